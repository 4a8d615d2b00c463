import GRDB
import SystemPackage

/// The SQLite database that remembers file digests between runs and keeps saved scans.
///
/// It is the only writer of the database, and is used from one thread: look digests up before a
/// parallel pass, store the new ones in one transaction after it. One `DatabaseQueue` (one
/// connection) in WAL mode; the schema is versioned by `DatabaseMigrator`.
public final class Catalog {
    /// What `open(at:recovery:)` does with a catalog that SQLite reports damaged or that is truncated.
    public enum Recovery: Sendable, Hashable {
        /// Throw a `DupelinkError(.catalog)` that says what to do.
        case refuse
        /// Rename the damaged file to `<path>.corrupt-<UTC time>` and start a new catalog; the new
        /// catalog's `movedAside` says where the old one went, for the caller to report. Only a
        /// file that carries dupelink's mark in its SQLite header is ever moved; nothing is deleted.
        case moveAside
    }

    /// The database file, or empty for an in-memory catalog.
    public let path: [UInt8]
    /// Where a damaged catalog was moved by `open(at:recovery: .moveAside)`, or nil when nothing was moved.
    public private(set) var movedAside: [UInt8]?

    /// The one connection; every access runs on its serial queue.
    let queue: DatabaseQueue

    private init(path: [UInt8], queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    /// Opens the catalog at `path`, creating it (and its missing parent folders, mode 0700) when
    /// nothing is there, and brings its schema up to date.
    ///
    /// Touches the disk: checks that only the user (or root) can change the catalog, the files beside
    /// it and the folders above it (`CatalogTrust`), reads the file's header before SQLite opens it,
    /// may create folders and the database, writes the schema. A file that is not a dupelink
    /// catalog is never changed.
    /// - Throws: `DupelinkError(.untrustedCatalog)` when another user could change the catalog, a
    ///   file beside it or a folder above it: nothing is created or opened then.
    ///   `DupelinkError(.catalog)` naming the file and what to do when it is empty, not an
    ///   SQLite database, an SQLite database of another program, truncated or damaged (unless
    ///   `recovery` is `.moveAside`), written by a newer dupelink, in use by another process for
    ///   more than ten seconds, or cannot be created, read or written.
    public static func open(at path: [UInt8], recovery: Recovery = .refuse) throws(DupelinkError) -> Catalog {
        let sqlitePath = try sqlitePath(for: path)
        try CatalogTrust.verify(catalog: path)
        try CatalogFile.createParentDirectories(of: path)
        try CatalogTrust.verify(catalog: path)
        var isOurs = false
        var inspection = try CatalogFile.inspect(path)
        if inspection == .missing {
            do {
                try CatalogFile.createEmpty(path)
            } catch {
                // Another process made it meanwhile; a dangling symbolic link stays an error.
                guard error.errno == .fileExists else { throw error }
                inspection = try CatalogFile.inspect(path)
                if inspection == .missing { throw error }
            }
        }
        switch inspection {
        case .missing:
            break
        case .usable(let ours):
            isOurs = ours
        case .damaged(let detail):
            if recovery == .moveAside {
                return try openAfterMovingAside(path, sqlitePath: sqlitePath)
            }
            throw DupelinkError(.catalog, path: path, operation: "open the catalog", detail: detail)
        case .refused(let detail):
            throw DupelinkError(.catalog, path: path, operation: "open the catalog", detail: detail)
        }
        do {
            return try attach(path, sqlitePath: sqlitePath)
        } catch let failure {
            if recovery == .moveAside, isOurs, failure.isDamage {
                return try openAfterMovingAside(path, sqlitePath: sqlitePath)
            }
            throw failure.error
        }
    }

    /// Opens a new, empty catalog that lives in memory and disappears with the object (for tests
    /// and `--no-catalog` runs).
    ///
    /// - Throws: `DupelinkError(.catalog)` when SQLite cannot create it (out of memory).
    public static func inMemory() throws(DupelinkError) -> Catalog {
        do {
            let queue = try DatabaseQueue(configuration: configuration())
            try CatalogSchema.migrator.migrate(queue)
            return Catalog(path: [], queue: queue)
        } catch {
            throw catalogError(error, path: [], operation: "create the in-memory catalog")
        }
    }

    /// Where the catalog lives by default: `$XDG_CACHE_HOME/dupelink/catalog.sqlite`, else
    /// `$HOME/.cache/dupelink/catalog.sqlite`.
    ///
    /// An `XDG_CACHE_HOME` that is empty or relative is ignored, as the XDG Base Directory
    /// specification asks. Returns nil when neither variable gives an absolute folder: the caller
    /// should then ask for an explicit path rather than guess one (a guessed folder in `/tmp`
    /// could be prepared by another user).
    public static func defaultPath(environment: [String: String]) -> [UInt8]? {
        let relative = "dupelink/catalog.sqlite"
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return Array(joined(cache, relative).utf8)
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return Array(joined(home, ".cache/" + relative).utf8)
        }
        return nil
    }

    // MARK: - Opening

    /// What went wrong while opening: the error to throw, and whether SQLite found the file damaged.
    struct OpenFailure: Error {
        var error: DupelinkError
        var isDamage: Bool
    }

    private static func attach(_ path: [UInt8], sqlitePath: String) throws(OpenFailure) -> Catalog {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: sqlitePath, configuration: configuration())
        } catch {
            throw OpenFailure(error: catalogError(error, path: path, operation: "open the catalog"), isDamage: isDamage(error))
        }
        do {
            let migrator = CatalogSchema.migrator
            try queue.inDatabase { db in
                let applicationID = UInt32(bitPattern: try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0)
                let isEmpty = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") == 0
                if applicationID != CatalogSchema.applicationID && !isEmpty {
                    let shown = "0x" + String(applicationID, radix: 16)
                    throw DupelinkError(
                        .catalog, path: path, operation: "open the catalog",
                        detail: "the file is an SQLite database of another program (application id \(shown)), not a dupelink catalog; \(CatalogFile.chooseAnother)")
                }
                if try migrator.hasBeenSuperseded(db) {
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
                    throw DupelinkError(
                        .catalog, path: path, operation: "open the catalog",
                        detail: "it was written by a newer version of dupelink, with schema changes this one does not know: \(unknown.joined(separator: ", ")); upgrade dupelink or choose another catalog path")
                }
                // Checked before: only now may SQLite change the file.
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                // In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last
                // transaction, which for a cache costs a rehash.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            try migrator.migrate(queue)
        } catch {
            try? queue.close()
            throw OpenFailure(error: catalogError(error, path: path, operation: "open the catalog"), isDamage: isDamage(error))
        }
        return Catalog(path: path, queue: queue)
    }

    private static func openAfterMovingAside(_ path: [UInt8], sqlitePath: String) throws(DupelinkError) -> Catalog {
        let aside = try CatalogFile.moveAside(path, now: CatalogFile.now())
        try CatalogFile.createEmpty(path)
        let catalog: Catalog
        do {
            catalog = try attach(path, sqlitePath: sqlitePath)
        } catch {
            throw error.error
        }
        catalog.movedAside = aside
        return catalog
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        // Another dupelink (a timer run) may be writing; wait for it rather than fail at once.
        configuration.busyMode = .timeout(10)
        configuration.label = "dupelink.catalog"
        return configuration
    }

    /// The path as SQLite takes it: UTF-8, and never read as a `file:` URI.
    private static func sqlitePath(for path: [UInt8]) throws(DupelinkError) -> String {
        guard !path.isEmpty, !path.contains(0) else {
            throw DupelinkError(.catalog, path: path, operation: "open the catalog", detail: "the catalog path is empty or contains a NUL byte")
        }
        guard let text = String(validating: path, as: UTF8.self) else {
            throw DupelinkError(
                .catalog, path: path, operation: "open the catalog",
                detail: "SQLite needs a catalog path that is valid UTF-8; choose another catalog path")
        }
        return text.hasPrefix("/") ? text : "./" + text
    }

    private static func joined(_ folder: String, _ relative: String) -> String {
        folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
    }

    // MARK: - Errors

    /// Whether an error from SQLite means the file is damaged.
    static func isDamage(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    /// Turns an error thrown by GRDB (or a `DupelinkError` thrown through it) into the library's error.
    static func catalogError(_ error: any Error, path: [UInt8], operation: String) -> DupelinkError {
        if let error = error as? DupelinkError { return error }
        guard let error = error as? DatabaseError else {
            return DupelinkError(.catalog, path: path, operation: operation, detail: "\(error)")
        }
        let sqlite = "SQLite: \(error.message ?? "error \(error.extendedResultCode.rawValue)")"
        let detail: String
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            detail = "the catalog is damaged (\(sqlite)); \(CatalogFile.startAgain)"
        case .SQLITE_FULL:
            detail = "the disk that holds the catalog is full (\(sqlite))"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            detail = "another dupelink process is using the catalog; try again when it has finished (\(sqlite))"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN, .SQLITE_AUTH:
            detail = "check the permissions of the catalog and of its folder (\(sqlite))"
        case .SQLITE_IOERR:
            detail = "the disk reported an input/output error (\(sqlite))"
        case .SQLITE_NOMEM:
            detail = "out of memory (\(sqlite))"
        default:
            detail = sqlite
        }
        return DupelinkError(.catalog, path: path, operation: operation, detail: detail)
    }

    /// Runs `body` on the connection outside any transaction, turning errors into `DupelinkError`.
    func access<T>(_ operation: String, _ body: (Database) throws -> T) throws(DupelinkError) -> T {
        do {
            return try queue.inDatabase(body)
        } catch {
            throw Self.catalogError(error, path: path, operation: operation)
        }
    }

    /// Runs `body` in one read transaction.
    func read<T>(_ body: (Database) throws -> T) throws(DupelinkError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw Self.catalogError(error, path: path, operation: "read the catalog")
        }
    }

    /// Runs `body` in one write transaction, taken at once (`BEGIN IMMEDIATE`) so that waiting for
    /// another writer happens before any work and never ends in a deadlock.
    func write<T>(_ body: (Database) throws -> T) throws(DupelinkError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no result") }
                return result
            }
        } catch {
            throw Self.catalogError(error, path: path, operation: "write the catalog")
        }
    }
}
