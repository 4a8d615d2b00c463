import DupelinkCore
import Foundation
import Glibc
import Synchronization

/// How a command gets at its catalog: find the path, take the catalog's lock for the rest of the
/// run, then open the database.
///
/// A catalog named with `--catalog` must work: any problem stops the run. The default catalog is a
/// cache, so a problem with it (no cache folder, a file there that is not a catalog, a folder that
/// cannot be written) is a warning and the run goes on without one. A catalog held by another run
/// is never a warning: the run waits up to `wait` seconds and otherwise stops with status 4. Nor is
/// a catalog that another user could change (`CatalogTrust`): that stops the run with status 2,
/// before anything there is created, opened or locked.
struct CatalogAccess {
    /// The path given with `--catalog`, if any.
    var named: String?
    /// How long to wait for another run to release the catalog, in seconds.
    var wait: Double
    /// Whether warnings are silenced.
    var quiet: Bool
    /// Whether the catalog must already exist (the `catalog` commands report on one; they do not
    /// make one). A missing catalog then stops the run.
    var mustExist = false
    /// What to do with a damaged dupelink catalog: move it aside and start a new one (a cache may
    /// be started again), or refuse it (the journal commands need what is in it).
    var recovery: Catalog.Recovery = .moveAside

    /// The catalog's path: the named one, else the default one (nil when no cache folder is known).
    var path: [UInt8]? {
        if let named { return RawArguments.bytes(for: named) }
        return Catalog.defaultPath(environment: ProcessInfo.processInfo.environment)
    }

    /// Takes the lock and opens the catalog; returns nil when the run goes on without one.
    ///
    /// The lock is kept until the process ends (see `HeldCatalogLocks`). Warnings are printed on
    /// standard error unless `quiet`.
    /// Touches the disk: may create the catalog's folder, its lock file and the catalog; may move a
    /// damaged dupelink catalog aside.
    /// - Throws: `CommandFailure` with status 4 when another run holds the catalog past `wait`,
    ///   130 when a signal ended the wait, and 2 when a catalog that must work cannot be used or
    ///   any catalog is not trusted.
    func open() throws(CommandFailure) -> Catalog? {
        let mustWork = named != nil || mustExist
        let failure: CommandFailure
        do {
            return try openCatalog()
        } catch let error as CommandFailure {
            failure = error
        } catch let error as DupelinkError {
            // A catalog another user could change is a reason to stop, never to go on without it
            // unnoticed: someone may be tampering with this user's files.
            if error.code == .untrustedCatalog { throw CommandFailure(status: ExitStatus.failure, message: error.description) }
            failure = CommandFailure(status: ExitStatus.failure, message: error.description)
        } catch {
            failure = CommandFailure(status: ExitStatus.failure, message: "\(error)")
        }
        // Only a failure to use the default catalog is forgiven; being locked out never is.
        if mustWork || failure.status != ExitStatus.failure { throw failure }
        warn("warning: \(failure.message); running without a catalog")
        return nil
    }

    private func openCatalog() throws -> Catalog {
        guard let path else {
            throw CommandFailure(
                status: ExitStatus.failure,
                message: "neither XDG_CACHE_HOME nor HOME is set, so there is no default catalog; name one with --catalog")
        }
        let shown = PathText.display(path)
        if mustExist && !Self.exists(path) {
            throw CommandFailure(
                status: ExitStatus.failure,
                message: "there is no catalog at \(shown) (a scan makes one); name another with --catalog")
        }
        if Self.isDirectory(path) {
            throw CommandFailure(
                status: ExitStatus.failure,
                message: "\(shown): cannot open the catalog (it is a directory; name a file with --catalog)")
        }
        try lock(path, shown: shown)
        let opened = try Catalog.open(at: path, recovery: recovery)
        if let aside = opened.movedAside {
            warn("warning: the catalog \(shown) was damaged; moved it to \(PathText.display(aside)) and started a new one")
        }
        return opened
    }

    /// Takes the catalog's lock, waiting up to `wait` seconds, and keeps it for the rest of the run.
    private func lock(_ path: [UInt8], shown: String) throws -> Void {
        let quiet = quiet, wait = wait
        let announce: (Int32?) -> Void = { holder in
            if !quiet {
                StandardStreams.error(
                    "waiting up to \(Self.seconds(wait)) for another dupelink run (\(Self.holderText(holder))) to finish with the catalog \(shown)")
            }
        }
        let attempt: CatalogLock.Attempt
        do {
            attempt = try CatalogLock.acquire(catalog: path, waitingUpTo: wait, onWait: announce)
        } catch {
            if error.code == .cancelled {
                throw CommandFailure(status: ExitStatus.interrupted, message: "interrupted while waiting for the catalog \(shown)")
            }
            throw error
        }
        switch attempt {
        case .acquired(let lock):
            HeldCatalogLocks.keep(lock)
        case .busy(let holder):
            let waited = wait > 0 ? " after waiting \(Self.seconds(wait))" : ""
            throw CommandFailure(
                status: ExitStatus.locked,
                message: "the catalog \(shown) is in use by another dupelink run (\(Self.holderText(holder)))\(waited); "
                    + "try again when it has finished, or wait for it with --wait SECONDS")
        }
    }

    private func warn(_ message: String) {
        if !quiet { StandardStreams.error(message) }
    }

    private static func holderText(_ holder: Int32?) -> String {
        holder.map { "pid \($0)" } ?? "pid unknown"
    }

    /// `5 s`, `0.5 s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? "\(Int(value)) s" : "\(value) s"
    }

    private static func exists(_ path: [UInt8]) -> Bool {
        var status = stat()
        return (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &status) }
        } == 0
    }

    private static func isDirectory(_ path: [UInt8]) -> Bool {
        var status = stat()
        let found = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &status) }
        }
        return found == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}

/// The catalog locks this process holds, kept until it exits.
///
/// A lock must outlive the command's `run()`: swift-argument-parser ends the process with `exit`
/// when a command throws its exit status, and the kernel then releases the lock. Keeping the locks
/// here also holds them for commands that open the catalog through `CatalogOptionGroup.open(quiet:)`
/// without keeping anything themselves.
enum HeldCatalogLocks {
    private static let locks = Mutex<[CatalogLock]>([])

    /// Keeps `lock` held until the process ends.
    static func keep(_ lock: CatalogLock) {
        locks.withLock { $0.append(lock) }
    }
}
