import SystemPackage

/// An exclusive lock on one catalog, held for a whole run, so that two dupelink runs (a timer run
/// and a hand-started one, say) never use one catalog at the same time.
///
/// The lock is `flock(2)` on `<catalog>.lock`, a small file beside the catalog; SQLite's own locks
/// on the database stay SQLite's. The kernel releases an `flock` lock when its holder dies, however
/// it dies, so a lock left by a killed run never blocks the next one. The holder writes its process
/// id into the file, for the message a second run prints. The lock file is never removed: removing
/// it while another process waits on it would let two runs hold "the" lock at once.
package final class CatalogLock: Sendable {
    /// What `acquire(catalog:waitingUpTo:onWait:)` achieved.
    package enum Attempt: Sendable {
        /// The lock is held until the `CatalogLock` is released or the process ends.
        case acquired(CatalogLock)
        /// Another process held the lock for the whole time allowed; `holder` is its process id,
        /// when the lock file names a live one.
        case busy(holder: Int32?)
    }

    /// The lock file.
    package let path: [UInt8]
    private let descriptor: FileDescriptor

    private init(path: [UInt8], descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        try? descriptor.close()
    }

    /// The lock file of the catalog at `catalog`: the same path with `.lock` appended.
    package static func lockPath(forCatalog catalog: [UInt8]) -> [UInt8] {
        catalog + Array(".lock".utf8)
    }

    /// Takes the lock of the catalog at `catalog`, waiting up to `seconds` for another run to
    /// release it.
    ///
    /// First the catalog must be trusted (`CatalogTrust.verify(catalog:)`): nothing is created or
    /// opened otherwise. The lock file is created when missing (and the catalog's missing folders,
    /// mode 0700), with mode 0600, and opened with `O_NOFOLLOW` and `O_CLOEXEC`. While waiting, the lock is tried
    /// again every 50 ms; `onWait` is called once, with the holder's process id, before the first
    /// wait. A SIGINT or SIGTERM while waiting ends the wait.
    /// Touches the disk: may create folders and the lock file; writes this process's id into it.
    /// - Throws: `DupelinkError(.untrustedCatalog)` when someone other than the user or root can
    ///   change the catalog, a file beside it or a folder above it.
    ///   `DupelinkError(.catalog)` naming the lock file when it cannot be created, opened or
    ///   locked, or when what is there is not a dupelink lock file (not a regular file, a file with
    ///   more than one name, or one holding anything but a process id): nothing is written to it
    ///   then. `DupelinkError(.cancelled)` when a signal ended the wait.
    package static func acquire(
        catalog: [UInt8], waitingUpTo seconds: Double, onWait: (Int32?) -> Void = { _ in }
    ) throws(DupelinkError) -> Attempt {
        let path = lockPath(forCatalog: catalog)
        try CatalogTrust.verify(catalog: catalog)
        // The lock lives only beside a catalog dupelink recognises or will create: `--catalog
        // /etc/passwd` must not leave /etc/passwd.lock, the lock that passwd and vipw honour.
        if case .refused(let detail) = try CatalogFile.inspect(catalog) {
            throw DupelinkError(.catalog, path: catalog, operation: "open the catalog", detail: detail)
        }
        try CatalogFile.createParentDirectories(of: path)
        // A folder someone else made first (in a sticky folder such as /tmp) is caught now.
        try CatalogTrust.verify(catalog: catalog)
        let descriptor = try openLockFile(path)
        let lock = CatalogLock(path: path, descriptor: descriptor)
        let deadline = monotonicNow() + max(0, seconds)
        var announced = false
        while true {
            let locked: Bool
            do {
                locked = try Syscalls.lockExclusivelyWithoutWaiting(descriptor)
            } catch {
                throw DupelinkError(.catalog, path: path, errno: error, operation: "lock the catalog")
            }
            if locked { break }
            let now = monotonicNow()
            if now >= deadline { return .busy(holder: lock.holder()) }
            if !announced {
                onWait(lock.holder())
                announced = true
            }
            if Cancellation.isRequested { throw DupelinkError(.cancelled) }
            pause(seconds: min(0.05, deadline - now))
            if Cancellation.isRequested { throw DupelinkError(.cancelled) }
        }
        try lock.recordHolder()
        return .acquired(lock)
    }

    /// Opens (creating when missing) the lock file, and checks it is one dupelink may write to.
    private static func openLockFile(_ path: [UInt8]) throws(DupelinkError) -> FileDescriptor {
        let options: Syscalls.OpenOptions = [.readWrite, .create, .noFollow, .noControllingTerminal, .nonBlocking]
        let result = Result { () throws(Errno) -> FileDescriptor in
            try Syscalls.open(path.cString, in: Syscalls.currentDirectory, options: options, permissions: 0o600)
        }
        let opened: FileDescriptor
        do {
            opened = try result.get()
        } catch {
            let detail: String? =
                error == .tooManySymbolicLinkLevels
                ? "it is a symbolic link, which dupelink does not follow here; remove it or choose another catalog path"
                : nil
            throw DupelinkError(.catalog, path: path, errno: error, operation: "open the catalog's lock file", detail: detail)
        }
        let status: FileStatus
        do {
            status = try Syscalls.status(of: opened)
        } catch {
            try? opened.close()
            throw DupelinkError(.catalog, path: path, errno: error, operation: "open the catalog's lock file")
        }
        guard status.kind == .regular, status.linkCount == 1 else {
            try? opened.close()
            throw DupelinkError(
                .catalog, path: path, operation: "open the catalog's lock file",
                detail: "it is not a regular file with a single name, so not a dupelink lock file; move it away or choose another catalog path")
        }
        return opened
    }

    /// The process id the lock file names, when that process is alive.
    private func holder() -> Int32? {
        guard let content = try? readContent(), let pid = Int32(content.trimmingWhitespace()), pid > 0 else {
            return nil
        }
        // EPERM: alive, but another user's.
        return Syscalls.processExists(pid) ? pid : nil
    }

    /// Replaces the lock file's content with this process's id, once the lock is held.
    private func recordHolder() throws(DupelinkError) {
        let content: String
        do {
            content = try readContent()
        } catch {
            throw DupelinkError(.catalog, path: path, errno: error, operation: "read the catalog's lock file")
        }
        guard content.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isWhitespace) }) else {
            throw DupelinkError(
                .catalog, path: path, operation: "lock the catalog",
                detail: "the file holds something other than a process id, so it is not a dupelink lock file; move it away or choose another catalog path")
        }
        let line = Array("\(Syscalls.processID)\n".utf8)
        do {
            try line.withUnsafeBytes { bytes in
                Result { () throws(Errno) in try Syscalls.write(descriptor, at: 0, from: bytes) }
            }.get()
            try Syscalls.truncate(descriptor, to: Int64(line.count))
        } catch {
            throw DupelinkError(.catalog, path: path, errno: error, operation: "write the catalog's lock file")
        }
    }

    /// The first 64 bytes of the lock file, as text (a longer file is not a lock file).
    private func readContent() throws(Errno) -> String {
        var buffer = [UInt8](repeating: 0, count: 65)
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in try Syscalls.read(descriptor, at: 0, into: raw) }
        }.get()
        if count > 64 { return "not a process id" }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    private static func monotonicNow() -> Double { Syscalls.monotonicSeconds() }

    /// A signal cuts the pause short; the caller checks the cancellation flag right after.
    private static func pause(seconds: Double) { Syscalls.pause(seconds: seconds) }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
