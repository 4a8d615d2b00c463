import Glibc
import CLinux
import SystemPackage

/// What is at the catalog path before SQLite is allowed near it.
///
/// SQLite opens almost anything and only complains at the first query, and some files it would
/// change on the way (switching a foreign database to WAL mode). So the first 100 bytes, the
/// SQLite header, are read first and anything that is not a dupelink catalog (or an empty SQLite
/// database, which becomes one) is refused without SQLite touching it.
enum CatalogFile {
    /// The verdict on the file at the path.
    enum Inspection: Equatable {
        /// Nothing is there.
        case missing
        /// An SQLite database that dupelink may use: its own (`isOurs`) or an empty one.
        case usable(isOurs: Bool)
        /// A dupelink catalog (its header carries dupelink's mark) that is visibly damaged; the
        /// detail says how. It may be moved aside.
        case damaged(detail: String)
        /// Something dupelink must not use or move; the detail says what and what to do.
        case refused(detail: String)
    }

    /// The 16 bytes every SQLite database starts with.
    static let magic: [UInt8] = Array("SQLite format 3".utf8) + [0]

    /// What to tell the user to do about a file that is not a catalog.
    static let chooseAnother = "move it away or choose another catalog path"
    /// What to tell the user to do about a damaged catalog.
    static let startAgain =
        "move it away or delete it, and dupelink will start a new catalog (the digests and saved scans in it are lost)"

    /// Reads the header of the file at `path` and decides whether dupelink may open it.
    ///
    /// Touches the disk: reads at most 100 bytes; changes nothing.
    /// - Throws: `DupelinkError(.catalog)` when the file exists but cannot be read.
    static func inspect(_ path: [UInt8]) throws(DupelinkError) -> Inspection {
        let opened = withCPath(path) { open($0, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        if opened < 0 {
            let error = Errno(rawValue: errno)
            if error == .noSuchFileOrDirectory { return .missing }
            throw DupelinkError(.catalog, path: path, errno: error, operation: "open the catalog")
        }
        defer { _ = close(opened) }
        var status = stat()
        guard fstat(opened, &status) == 0 else {
            throw DupelinkError(.catalog, path: path, errno: Errno(rawValue: errno), operation: "open the catalog")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return .refused(detail: "it is not a regular file; choose another catalog path")
        }
        let fileSize = Int64(status.st_size)
        if fileSize == 0 {
            return .refused(detail: "the file is empty, not a dupelink catalog; \(chooseAnother)")
        }
        var header = [UInt8](repeating: 0, count: 100)
        let count: Int
        do {
            count = try header.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try Syscalls.read(FileDescriptor(rawValue: opened), at: 0, into: buffer) }
            }.get()
        } catch {
            throw DupelinkError(.catalog, path: path, errno: error, operation: "read the catalog")
        }
        let prefixLength = min(count, magic.count)
        guard header[0..<prefixLength].elementsEqual(magic[0..<prefixLength]) else {
            return .refused(detail: "the file is not an SQLite database, so not a dupelink catalog; \(chooseAnother)")
        }
        guard count == 100 else {
            return .refused(detail: "the catalog is truncated (\(fileSize) bytes, not even its header); \(startAgain)")
        }
        let applicationID = bigEndian32(header, at: 68)
        let pageSizeField = UInt32(bigEndian16(header, at: 16))
        let pageSize = Int64(pageSizeField == 1 ? 65536 : pageSizeField)
        // The page count in the header is valid only when the change counter matches "version valid for".
        let pageCount = bigEndian32(header, at: 24) == bigEndian32(header, at: 92) ? bigEndian32(header, at: 28) : nil

        if applicationID == CatalogSchema.applicationID {
            // With a WAL file beside it, pages may legitimately live only in the WAL.
            if let pageCount, pageCount > 0, Int64(pageCount) * pageSize > fileSize, !exists(path + Array("-wal".utf8)) {
                let expected = Int64(pageCount) * pageSize
                return .damaged(detail: "the catalog is truncated (\(fileSize) of \(expected) bytes); \(startAgain)")
            }
            return .usable(isOurs: true)
        }
        if applicationID == 0, let pageCount, pageCount <= 1 {
            // An SQLite database with nothing in it (its header may be stale while a WAL holds the
            // rest; the schema is checked again once SQLite has opened it).
            return .usable(isOurs: false)
        }
        let shown = "0x" + String(applicationID, radix: 16)
        return .refused(
            detail: "the file is an SQLite database of another program (application id \(shown)), not a dupelink catalog; \(chooseAnother)")
    }

    /// Creates the missing folders above `path`, each with mode 0700: the catalog lists file names
    /// that other users need not see.
    ///
    /// Touches the disk: creates directories; changes no existing one.
    /// - Throws: `DupelinkError(.catalog)` when a folder cannot be created.
    static func createParentDirectories(of path: [UInt8]) throws(DupelinkError) {
        var end = path.count
        while end > 0 && path[end - 1] != UInt8(ascii: "/") { end -= 1 }
        while end > 1 && path[end - 1] == UInt8(ascii: "/") { end -= 1 }
        guard end > 0 else { return }
        let parent = Array(path[0..<end])
        if isDirectory(parent) { return }
        // Create from the top down, so each level's absence is handled once.
        var index = 1
        while index <= parent.count {
            if index == parent.count || parent[index] == UInt8(ascii: "/") {
                let prefix = Array(parent[0..<index])
                if !(prefix.last == UInt8(ascii: "/")) && !isDirectory(prefix) {
                    let result = withCPath(prefix) { mkdir($0, 0o700) }
                    if result != 0 && errno != EEXIST {
                        throw DupelinkError(
                            .catalog, path: prefix, errno: Errno(rawValue: errno),
                            operation: "create the catalog folder")
                    }
                }
            }
            index += 1
        }
    }

    /// Creates an empty file at `path` with mode 0600, failing if anything is there already.
    ///
    /// SQLite gives the `-wal` and `-shm` files the same mode as the database.
    /// Touches the disk: creates one file.
    /// - Throws: `DupelinkError(.catalog)` when the file cannot be created.
    static func createEmpty(_ path: [UInt8]) throws(DupelinkError) {
        let created = withCPath(path) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard created >= 0 else {
            throw DupelinkError(.catalog, path: path, errno: Errno(rawValue: errno), operation: "create the catalog")
        }
        _ = close(created)
    }

    /// Renames a damaged catalog (and its `-wal` and `-shm` files) to `<path>.corrupt-<UTC time>`,
    /// never replacing an existing file, and returns the new path.
    ///
    /// Touches the disk: renames up to three files; deletes nothing.
    /// - Throws: `DupelinkError(.catalog)` when the database itself cannot be renamed.
    static func moveAside(_ path: [UInt8], now: Int64) throws(DupelinkError) -> [UInt8] {
        let base = path + Array(".corrupt-\(utcStamp(now))".utf8)
        var target = base
        var attempt = 1
        while true {
            let result = withCPath(path) { from in
                withCPath(target) { to in dl_renameat2(AT_FDCWD, from, AT_FDCWD, to, dl_rename_noreplace()) }
            }
            if result == 0 { break }
            let error = Errno(rawValue: errno)
            guard error == .fileExists, attempt < 100 else {
                throw DupelinkError(.catalog, path: path, errno: error, operation: "move the damaged catalog aside")
            }
            attempt += 1
            target = base + Array("-\(attempt)".utf8)
        }
        for suffix in ["-wal", "-shm"] {
            let from = path + Array(suffix.utf8)
            let to = target + Array(suffix.utf8)
            // Best effort: without them the moved database is still what it was, minus uncommitted pages.
            _ = withCPath(from) { f in withCPath(to) { t in dl_renameat2(AT_FDCWD, f, AT_FDCWD, t, dl_rename_noreplace()) } }
        }
        return target
    }

    /// Whether something exists at `path` (a symbolic link counts).
    static func exists(_ path: [UInt8]) -> Bool {
        var status = stat()
        return withCPath(path) { lstat($0, &status) } == 0
    }

    /// The size of the file at `path`, or 0.
    static func size(_ path: [UInt8]) -> Int64 {
        var status = stat()
        return withCPath(path) { stat($0, &status) } == 0 ? Int64(status.st_size) : 0
    }

    private static func isDirectory(_ path: [UInt8]) -> Bool {
        var status = stat()
        return withCPath(path) { stat($0, &status) } == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// Calls `body` with `path` as a NUL-terminated C string.
    static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    /// `YYYYMMDDTHHMMSSZ` for a time in nanoseconds since the epoch.
    static func utcStamp(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// The current time in nanoseconds since the epoch.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    private static func bigEndian16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
