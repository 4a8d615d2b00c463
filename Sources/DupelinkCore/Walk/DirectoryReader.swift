import Glibc
import SystemPackage

/// What one walk thread collected: the files of the directories it read, their names in its own
/// arena, and its counters. `Walker` merges the shards into one `PathTable` at the end.
struct WalkShard: Sendable {
    /// The shard's number among all the walk's shards.
    let index: Int32
    /// Files found, with `directory` not yet set and `nameStart` in `bytes`.
    var files: [FileRecord] = []
    /// The names of `files`, each followed by a NUL byte.
    var bytes: [UInt8] = []
    var skippedSpecial = 0
    var unreportedFiles = 0
    /// Whether a directory was reached twice under one root while several threads walked: which
    /// path reached it first then depends on timing, and the walk is redone on one thread.
    var reachedTwiceWithinRoot = false

    init(index: Int32) { self.index = index }
}

/// The directories entered so far, by identity, with the root each was first entered from; shared
/// by the walk's threads.
///
/// Split into stripes by inode, each behind its own `pthread_mutex_t`, so threads claiming
/// different directories rarely meet. (A single `Synchronization.Mutex` spent a quarter of a
/// 1,000,000-file walk spinning: on Linux it spins, then waits on a priority-inheriting futex,
/// and with eight threads on two cores the holder was often descheduled.)
final class VisitedDirectories: @unchecked Sendable {
    enum Claim {
        /// Not seen before: enter it.
        case entered
        /// Already entered from this root.
        case sameRoot
        /// Already entered from an earlier root.
        case earlierRoot
    }

    private static let stripeCount = 64
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    /// One table per stripe, each used only with its stripe's lock held. Raw memory rather than an
    /// array, so threads on different stripes never touch a shared array.
    private let stripes: UnsafeMutablePointer<[FileID: Int32]>

    init() {
        locks = .allocate(capacity: Self.stripeCount)
        stripes = .allocate(capacity: Self.stripeCount)
        for index in 0..<Self.stripeCount { pthread_mutex_init(locks + index, nil) }
        stripes.initialize(repeating: [:], count: Self.stripeCount)
    }

    deinit {
        for index in 0..<Self.stripeCount { pthread_mutex_destroy(locks + index) }
        stripes.deinitialize(count: Self.stripeCount)
        stripes.deallocate()
        locks.deallocate()
    }

    func claim(_ id: FileID, root: Int32) -> Claim {
        let stripe = Int(truncatingIfNeeded: (id.inode ^ id.device &* 0x9E37_79B9_7F4A_7C15) % UInt64(Self.stripeCount))
        pthread_mutex_lock(locks + stripe)
        defer { pthread_mutex_unlock(locks + stripe) }
        if let first = stripes[stripe][id] { return first == root ? .sameRoot : .earlierRoot }
        stripes[stripe][id] = root
        return .entered
    }
}

/// Reads one directory at a time for the walk: what every walk thread does with a node it takes.
///
/// Reads only metadata: `readdir` and `fstatat` with `AT_SYMLINK_NOFOLLOW`. Subdirectories are
/// opened relative to their parent's descriptor with `O_NOFOLLOW | O_DIRECTORY`, never by path,
/// and only regular files are ever `stat`ed as candidates: FIFOs, sockets and devices are counted
/// and left alone.
struct DirectoryReader: Sendable {
    let options: WalkOptions
    let visited: VisitedDirectories
    let progress: ScanProgress?
    /// Whether other threads walk at the same time (see `WalkShard.reachedTwiceWithinRoot`).
    let isThreaded: Bool
    let nameExcludes: [[CChar]]
    let pathExcludes: [[CChar]]

    init(options: WalkOptions, visited: VisitedDirectories, progress: ScanProgress?, isThreaded: Bool) {
        self.options = options
        self.visited = visited
        self.progress = progress
        self.isThreaded = isThreaded
        nameExcludes = options.excludes.filter { !$0.contains("/") }.map { Array($0.utf8CString) }
        pathExcludes = options.excludes.filter { $0.contains("/") }.map { Array($0.utf8CString) }
    }

    /// Enters `node` (unless it cannot or need not be) and reads it: its files go to `shard`, its
    /// subdirectories to `node.entries` and to `found`.
    func read(_ node: DirectoryNode, into shard: inout WalkShard, found: inout [DirectoryNode]) {
        guard let stream = enter(node, shard: &shard) else { return }
        let directory = OpenDirectory(stream)
        let descriptor = directory.descriptor
        let path: [UInt8]? = pathExcludes.isEmpty ? nil : node.path()
        node.shard = shard.index
        node.filesStart = Int32(shard.files.count)
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 {
                    node.entries.append(DirectoryNode.Entry(
                        filesBefore: Int32(shard.files.count) - node.filesStart,
                        kind: .diagnostic(Diagnostic(.walk, DupelinkError(.ioError, path: node.path(),
                            errno: Errno(rawValue: errno), operation: "read directory")))))
                }
                break
            }
            let type = entry.pointee.d_type
            let child: [UInt8]? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                    visit(name: name, type: type, in: node, descriptor: descriptor, path: path, shard: &shard)
                }
            }
            if let child {
                let subdirectory = DirectoryNode(name: child, in: node, parentStream: directory)
                node.entries.append(DirectoryNode.Entry(
                    filesBefore: Int32(shard.files.count) - node.filesStart, kind: .directory(subdirectory)))
                found.append(subdirectory)
            }
        }
        node.filesEnd = Int32(shard.files.count)
        if shard.unreportedFiles >= 256 {
            progress?.addFilesWalked(shard.unreportedFiles)
            shard.unreportedFiles = 0
        }
    }

    /// Opens the node's directory relative to its parent and claims it; nil when it is not to be
    /// read (gone, replaced by a symbolic link, on another device, or already entered).
    private func enter(_ node: DirectoryNode, shard: inout WalkShard) -> OpaquePointer? {
        let descriptor: FileDescriptor
        if let rootDescriptor = node.rootDescriptor {
            // A root: opened, checked and claimed by the walk already.
            node.rootDescriptor = nil
            descriptor = rootDescriptor
            node.isEntered = true
        } else {
            guard let parent = node.parentStream else { return nil }
            defer { node.parentStream = nil }
            do {
                descriptor = try node.name.withUnsafeBufferPointer { buffer throws(Errno) in
                    try withCName(buffer) { name throws(Errno) in try Syscalls.openDirectory(name, in: parent.descriptor) }
                }
            } catch {
                // ELOOP/ENOTDIR: the entry was swapped for something else since readdir; ENOENT: gone.
                if error != .noSuchFileOrDirectory && error != .tooManySymbolicLinkLevels && error != .notDirectory {
                    node.failure = Diagnostic(.walk, DupelinkError(.ioError, path: node.path(), errno: error, operation: "open directory"))
                }
                return nil
            }
            let status: FileStatus
            do {
                status = try Syscalls.status(of: descriptor)
            } catch {
                node.failure = Diagnostic(.walk, DupelinkError(.ioError, path: node.path(), errno: error, operation: "stat"))
                Syscalls.closeQuietly(descriptor)
                return nil
            }
            if options.oneFileSystem && status.id.device != node.rootDevice {
                Syscalls.closeQuietly(descriptor)
                return nil
            }
            switch visited.claim(status.id, root: node.rootIndex) {
            case .entered:
                break
            case .sameRoot:
                if isThreaded { shard.reachedTwiceWithinRoot = true }
                Syscalls.closeQuietly(descriptor)
                return nil
            case .earlierRoot:
                Syscalls.closeQuietly(descriptor)
                return nil
            }
            node.id = status.id
        }
        // Per directory, not per file: a file shares its directory's mount (unless it is itself a
        // bind-mount target, which the linker's EXDEV check catches).
        node.mount = DirectoryMount.of(descriptor, sameMountAs: node.parent?.mount)
        guard let stream = fdopendir(descriptor.rawValue) else {
            let diagnostic = Diagnostic(.walk, DupelinkError(.ioError, path: node.path(), errno: Errno(rawValue: errno),
                operation: "read directory"))
            Syscalls.closeQuietly(descriptor)
            if node.isEntered {
                node.entries.append(DirectoryNode.Entry(filesBefore: 0, kind: .diagnostic(diagnostic)))
            } else {
                node.failure = diagnostic
            }
            return nil
        }
        node.isEntered = true
        return stream
    }

    /// Handles one directory entry; returns the name of a subdirectory to enter.
    private func visit(
        name: UnsafePointer<CChar>, type: UInt8, in node: DirectoryNode, descriptor: FileDescriptor, path: [UInt8]?,
        shard: inout WalkShard
    ) -> [UInt8]? {
        if name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0)) { return nil }
        if !options.includeHidden && name[0] == 0x2E { return nil }
        switch Int32(type) {
        case Int32(DT_LNK):
            shard.skippedSpecial += 1
            if !isExcluded(name: name, in: path) { omitLink(named: name, in: node, descriptor: descriptor) }
            return nil
        case Int32(DT_FIFO), Int32(DT_SOCK), Int32(DT_CHR), Int32(DT_BLK):
            shard.skippedSpecial += 1
            if !isExcluded(name: name, in: path) { node.omitted.unknown += 1 }
            return nil
        case Int32(DT_DIR):
            return isExcluded(name: name, in: path) ? nil : bytes(of: name)
        default:
            // A temporary name of a run in progress (or killed) holds a kept copy or a duplicate
            // already counted under its own name: never a class member of its own.
            if name[0] == 0x2E && strncmp(name, ".dupelink.", 10) == 0,
                JournalPaths.isTemporaryName(Array(UnsafeRawBufferPointer(start: name, count: strlen(name))))
            {
                return nil
            }
            // DT_REG, or DT_UNKNOWN on filesystems that do not fill d_type: fstatat decides.
            let status: FileStatus
            do {
                status = try Syscalls.status(of: name, in: descriptor)
            } catch {
                if error != .noSuchFileOrDirectory {
                    node.omitted.unknown += 1
                    node.entries.append(DirectoryNode.Entry(
                        filesBefore: Int32(shard.files.count) - node.filesStart,
                        kind: .diagnostic(Diagnostic(.walk, DupelinkError(.ioError, path: node.path(of: name), errno: error,
                            operation: "stat")))))
                }
                return nil
            }
            switch status.kind {
            case .regular:
                guard !isExcluded(name: name, in: path) else { return nil }
                guard isInSizeRange(status.size) else {
                    omit(status.size, named: name, in: node)
                    return nil
                }
                let length = strlen(name)
                let start = UInt32(shard.bytes.count)
                shard.bytes.append(contentsOf: UnsafeRawBufferPointer(start: name, count: length + 1))
                shard.files.append(FileRecord(directory: 0, nameStart: start, nameLength: UInt16(length), status: status))
                shard.unreportedFiles += 1
                return nil
            case .directory:
                return isExcluded(name: name, in: path) ? nil : bytes(of: name)
            default:
                shard.skippedSpecial += 1
                if !isExcluded(name: name, in: path) { node.omitted.unknown += 1 }
                return nil
            }
        }
    }

    /// Notes a symbolic link in its directory's `omitted` by its name and target (never followed),
    /// so that two folders are identical only if their links are; one that cannot be read is
    /// contents unknown.
    private func omitLink(named name: UnsafePointer<CChar>, in node: DirectoryNode, descriptor: FileDescriptor) {
        guard let target = try? Syscalls.linkTarget(of: name, in: descriptor) else {
            node.omitted.unknown += 1
            return
        }
        var bytes = Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
        bytes.append(0)
        bytes.append(contentsOf: target)
        node.omitted.addSymbolicLink(digest: bytes.withUnsafeBytes { XXH3Hasher.digest($0) })
    }

    /// Notes a regular file outside the size range in its directory's `omitted`: an empty one by
    /// its name, any other as contents unknown.
    private func omit(_ size: Int64, named name: UnsafePointer<CChar>, in node: DirectoryNode) {
        guard size == 0 else {
            node.omitted.unknown += 1
            return
        }
        node.omitted.addEmptyFile(nameDigest: XXH3Hasher.digest(UnsafeRawBufferPointer(start: name, count: strlen(name))))
    }

    func isInSizeRange(_ size: Int64) -> Bool {
        size >= options.minimumSize && (options.maximumSize.map { size <= $0 } ?? true)
    }

    /// Whether a name (in the directory whose path is `path`, given when there are path patterns)
    /// matches an exclude pattern.
    private func isExcluded(name: UnsafePointer<CChar>, in path: [UInt8]?) -> Bool {
        for pattern in nameExcludes where fnmatch(pattern, name, 0) == 0 { return true }
        guard let path, !pathExcludes.isEmpty else { return false }
        var full = path
        if full.last != UInt8(ascii: "/") { full.append(UInt8(ascii: "/")) }
        full.append(contentsOf: bytes(of: name))
        let cFull = full.cString
        for pattern in pathExcludes where fnmatch(pattern, cFull, 0) == 0 { return true }
        return false
    }

    private func bytes(of name: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
    }
}

/// Calls `body` with a NUL-terminated copy of `name`.
private func withCName<R, E: Error>(
    _ name: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<CChar>) throws(E) -> R
) throws(E) -> R {
    // Names are at most 255 bytes; a stack buffer avoids an allocation per directory (which
    // `cString` would make).
    try withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { (buffer) throws(E) -> R in
        for (index, byte) in name.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[name.count] = 0
        return try body(UnsafePointer(buffer.baseAddress!))
    }
}
