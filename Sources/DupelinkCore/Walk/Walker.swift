import SystemPackage

/// What a walk found: every regular file in range, by name, and the problems met on the way.
@_spi(Stages) public struct WalkResult: Sendable {
    /// The directories and names.
    @_spi(Stages) public var table: PathTable
    /// One record per name of a regular file within the size range.
    @_spi(Stages) public var files: [FileRecord]
    /// Entries that could not be read, and roots that could not be scanned.
    @_spi(Stages) public var diagnostics: [Diagnostic]
    /// Entries left out because they are not regular files (symbolic links, FIFOs, sockets, devices).
    @_spi(Stages) public var skippedSpecial: Int
    /// How many of the roots could be scanned.
    @_spi(Stages) public var rootsScanned: Int
}

/// Walks directory trees through directory descriptors and collects their regular files.
///
/// Reads only metadata: `readdir` and `fstatat` with `AT_SYMLINK_NOFOLLOW`. Symbolic links below a
/// root are never followed, and FIFOs, sockets and devices are never opened. A directory is entered
/// at most once, so a root given twice, or nested inside another root, yields each file once.
///
/// Each root's directories are read by the pool's threads at once (`WorkerPool.drain`),
/// one root after the other. The result does not depend on which thread read what: the threads
/// record, per directory, the order `readdir` gave, and the shards are merged in the order a
/// single-threaded depth-first walk visits them, so files, directories and diagnostics come out in
/// that order. The one thing timing could decide, which of two paths under one root reaches a
/// directory first (a bind mount, or a directory moved while the walk runs), makes the walk start
/// again on one thread.
@_spi(Stages) public struct Walker: Sendable {
    /// What to include.
    @_spi(Stages) public var options: WalkOptions

    /// Creates a walker.
    @_spi(Stages) public init(options: WalkOptions) {
        self.options = options
    }

    /// Walks each root in turn. A root that is a symbolic link to a directory is followed (like
    /// `find -H`); nothing below a root is. A root that names a regular file is scanned as that one
    /// file.
    ///
    /// When SIGINT or SIGTERM arrives the walk stops early and returns what it found; the caller
    /// checks `Cancellation`.
    ///
    /// Touches the disk: reads directories and metadata, changes nothing.
    ///
    /// The result is the same for any number of threads in `pool`; only the time changes. The
    /// default is as many threads as the scan reads files with (`WorkerPool.readerCount`). Warm,
    /// the walk is all system calls, and two threads on two cores nearly halve it (100,000 files:
    /// 0.17 s on one thread, 0.10 s on 8; 1,000,000 files: 2.0 s and 1.15 s); more threads than
    /// cores cost nothing measurable. Cold, the threads mostly wait for inode blocks and more of
    /// them keep the disk busier (100,000 files, medians of 5 on a shared machine: 1.61 s on one
    /// thread, 0.77 s on 2, 0.46 s on 4, 0.56 s on 8, 0.54 s on 16; `Walk cold threads N` in
    /// Benchmarks/).
    @_spi(Stages) public func walk(
        roots: [[UInt8]], pool: WorkerPool = WorkerPool(threadCount: WorkerPool.readerCount),
        progress: ScanProgress? = nil
    ) -> WalkResult {
        Syscalls.raiseDescriptorLimit()
        var walk = RootWalk(options: options, progress: progress, pool: pool)
        walk.walk(roots.map(normalized))
        if walk.reachedTwiceWithinRoot && !Cancellation.isRequested {
            progress?.addFilesWalked(-walk.filesFound)
            walk = RootWalk(options: options, progress: progress, pool: pool.limited(to: 1))
            walk.walk(roots.map(normalized))
        }
        return walk.merged()
    }

    /// Removes trailing slashes (but keeps `/` itself).
    private func normalized(_ root: [UInt8]) -> [UInt8] {
        var root = root
        while root.count > 1 && root.last == UInt8(ascii: "/") { root.removeLast() }
        return root
    }
}

/// One pass over the roots: each directory root is read by the pool, then the next root; the
/// shards and the roots' trees are kept for `merged()`.
private struct RootWalk {
    /// What each root became, in root order.
    enum Item {
        case directory(DirectoryNode)
        case file(RootFile)
        case diagnostic(Diagnostic)
    }

    /// A root that names a file: its directory becomes a root node so the linker can reach it.
    struct RootFile {
        var directory: [UInt8]
        var directoryID: FileID
        var mount: DirectoryMount
        var isShown: Bool
        var name: [UInt8]
        var status: FileStatus
        var rootIndex: Int32
    }

    let options: WalkOptions
    let progress: ScanProgress?
    let pool: WorkerPool
    let reader: DirectoryReader
    var items: [Item] = []
    var shards: [WalkShard] = []
    var rootsScanned = 0
    var rootFiles = 0

    init(options: WalkOptions, progress: ScanProgress?, pool: WorkerPool) {
        self.options = options
        self.progress = progress
        self.pool = pool
        reader = DirectoryReader(
            options: options, visited: VisitedDirectories(), progress: progress, isThreaded: pool.threadCount > 1)
    }

    var reachedTwiceWithinRoot: Bool { shards.contains { $0.reachedTwiceWithinRoot } }
    var filesFound: Int { shards.reduce(rootFiles) { $0 + $1.files.count } }

    mutating func walk(_ roots: [[UInt8]]) {
        for (index, root) in roots.enumerated() {
            if Cancellation.isRequested { break }
            walkRoot(root, rootIndex: Int32(index))
        }
        var unreported = 0
        for index in shards.indices {
            unreported += shards[index].unreportedFiles
            shards[index].unreportedFiles = 0
        }
        progress?.addFilesWalked(unreported)
    }

    mutating func walkRoot(_ root: [UInt8], rootIndex: Int32) {
        let cRoot = root.cString
        let linkStatus: FileStatus
        do {
            linkStatus = try Syscalls.status(of: cRoot, in: Syscalls.currentDirectory)
        } catch {
            items.append(.diagnostic(Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "scan"))))
            return
        }
        var status = linkStatus
        if linkStatus.kind == .symbolicLink {
            do {
                status = try Syscalls.status(of: cRoot, in: Syscalls.currentDirectory, followSymlinks: true)
            } catch {
                items.append(.diagnostic(Diagnostic(.walk,
                    DupelinkError(.badRoot, path: root, errno: error, operation: "follow the symbolic link"))))
                return
            }
            guard status.kind == .directory else {
                items.append(.diagnostic(Diagnostic(.walk, DupelinkError(.badRoot, path: root,
                    detail: "a symbolic link to a file is not scanned; name the file itself"))))
                return
            }
        }
        switch status.kind {
        case .directory:
            walkRootDirectory(root, cRoot: cRoot, rootIndex: rootIndex)
        case .regular:
            addRootFile(root, rootIndex: rootIndex)
        default:
            items.append(.diagnostic(Diagnostic(.walk,
                DupelinkError(.badRoot, path: root, detail: "not a directory or a regular file"))))
        }
    }

    mutating func walkRootDirectory(_ root: [UInt8], cRoot: [CChar], rootIndex: Int32) {
        let descriptor: FileDescriptor
        let status: FileStatus
        do {
            descriptor = try Syscalls.openDirectory(cRoot, in: Syscalls.currentDirectory, followSymlinks: true)
            status = try Syscalls.status(of: descriptor)
        } catch {
            items.append(.diagnostic(Diagnostic(.walk,
                DupelinkError(.badRoot, path: root, errno: error, operation: "open directory"))))
            return
        }
        rootsScanned += 1
        guard reader.visited.claim(status.id, root: rootIndex) == .entered else {
            Syscalls.closeQuietly(descriptor)
            return
        }
        let node = DirectoryNode(root: root, rootIndex: rootIndex, descriptor: descriptor, id: status.id)
        items.append(.directory(node))
        let base = Int32(shards.count)
        let reader = reader
        do {
            shards += try pool.drain([node], makeState: { WalkShard(index: base + Int32($0)) }) { node, shard, found in
                reader.read(node, into: &shard, found: &found)
            }
        } catch {
            // Cancelled: the scan stops; what was read is dropped with the shards.
            if let descriptor = node.rootDescriptor { Syscalls.closeQuietly(descriptor) }
            items.removeLast()
        }
    }

    mutating func addRootFile(_ root: [UInt8], rootIndex: Int32) {
        let slash = root.lastIndex(of: UInt8(ascii: "/"))
        let directory: [UInt8] = slash.map { $0 == 0 ? [UInt8(ascii: "/")] : Array(root[..<$0]) } ?? [UInt8(ascii: ".")]
        let name = slash.map { Array(root[($0 + 1)...]) } ?? root
        let cDirectory = directory.cString
        let cName = name.cString
        do {
            let descriptor = try Syscalls.openDirectory(cDirectory, in: Syscalls.currentDirectory, followSymlinks: true)
            defer { Syscalls.closeQuietly(descriptor) }
            let directoryStatus = try Syscalls.status(of: descriptor)
            let mount = DirectoryMount.of(descriptor)
            let fileStatus = try Syscalls.status(of: cName, in: descriptor)
            rootsScanned += 1
            guard fileStatus.kind == .regular, reader.isInSizeRange(fileStatus.size) else { return }
            items.append(.file(RootFile(directory: directory, directoryID: directoryStatus.id, mount: mount,
                isShown: slash != nil,
                name: name, status: fileStatus, rootIndex: rootIndex)))
            rootFiles += 1
            progress?.addFilesWalked(1)
        } catch {
            items.append(.diagnostic(Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "scan"))))
        }
    }

    /// One table, one array of files and one list of diagnostics, in the order a single-threaded
    /// depth-first walk of the roots, one after the other, would have found them.
    consuming func merged() -> WalkResult {
        var merger = ShardMerger(shards: shards)
        for item in items {
            switch item {
            case .directory(let node): merger.add(tree: node)
            case .file(let file): merger.add(file)
            case .diagnostic(let diagnostic): merger.diagnostics.append(diagnostic)
            }
        }
        items = []
        var result = WalkResult(table: merger.table, files: merger.files, diagnostics: merger.diagnostics,
            skippedSpecial: shards.reduce(0) { $0 + $1.skippedSpecial }, rootsScanned: rootsScanned)
        if rootFiles > 0 { result.removeRepeatedNames() }
        return result
    }
}

/// Builds the walk's one `PathTable` from the shards: the shards' name arenas are copied as they
/// are, one after the other, and the directories and files are emitted in depth-first order.
private struct ShardMerger {
    var table = PathTable()
    var files: [FileRecord] = []
    var diagnostics: [Diagnostic] = []
    let shards: [WalkShard]
    /// Where each shard's arena starts in the table's.
    var offsets: [UInt32] = []

    init(shards: [WalkShard]) {
        self.shards = shards
        var bytes: [UInt8] = []
        bytes.reserveCapacity(shards.reduce(0) { $0 + $1.bytes.count } + 4096)
        for shard in shards {
            offsets.append(UInt32(bytes.count))
            bytes.append(contentsOf: shard.bytes)
        }
        table.bytes = bytes
        files.reserveCapacity(shards.reduce(0) { $0 + $1.files.count })
    }

    mutating func add(_ file: RootWalk.RootFile) {
        let index = table.addDirectory(parent: -1, name: file.directory, id: file.directoryID, root: file.rootIndex,
            isShown: file.isShown, mount: file.mount)
        let (start, length) = table.appendName(file.name)
        files.append(FileRecord(directory: index, nameStart: start, nameLength: UInt16(length), status: file.status))
    }

    /// Emits a root's tree. Iterative, so a deep tree cannot overflow the stack; each node lets go
    /// of its subdirectories once they are emitted, so the tree is freed leaf first, not by a
    /// recursion as deep as the tree.
    mutating func add(tree root: DirectoryNode) {
        struct Frame {
            let node: DirectoryNode
            let index: Int32
            var entry = 0
            var file: Int32
        }
        var stack = [Frame(node: root, index: addDirectory(root, parent: -1), file: root.filesStart)]
        while !stack.isEmpty {
            let top = stack.count - 1
            let node = stack[top].node
            guard stack[top].entry < node.entries.count else {
                copyFiles(of: node, upTo: node.filesEnd, from: stack[top].file, directory: stack[top].index)
                node.entries = []
                stack.removeLast()
                continue
            }
            let entry = node.entries[stack[top].entry]
            stack[top].entry += 1
            let upTo = node.filesStart + entry.filesBefore
            copyFiles(of: node, upTo: upTo, from: stack[top].file, directory: stack[top].index)
            stack[top].file = upTo
            switch entry.kind {
            case .diagnostic(let diagnostic):
                diagnostics.append(diagnostic)
            case .directory(let child):
                if let failure = child.failure { diagnostics.append(failure) }
                guard child.isEntered else {
                    table.addUnknownEntry(inDirectory: stack[top].index)
                    continue
                }
                stack.append(Frame(node: child, index: addDirectory(child, parent: stack[top].index), file: child.filesStart))
            }
        }
    }

    private mutating func addDirectory(_ node: DirectoryNode, parent: Int32) -> Int32 {
        let index = table.addDirectory(parent: parent, name: node.name, id: node.id, root: node.rootIndex, mount: node.mount)
        if !node.omitted.isEmpty { table.setOmitted(node.omitted, ofDirectory: index) }
        return index
    }

    private mutating func copyFiles(of node: DirectoryNode, upTo end: Int32, from start: Int32, directory: Int32) {
        guard start < end else { return }
        let offset = offsets[Int(node.shard)]
        shards[Int(node.shard)].files.withUnsafeBufferPointer { shardFiles in
            for position in Int(start)..<Int(end) {
                var record = shardFiles[position]
                record.directory = directory
                record.nameStart += offset
                files.append(record)
            }
        }
    }
}

extension WalkResult {
    /// A root that names a file may also be found under a directory root: keep one record per
    /// (directory, name), the first in root order.
    fileprivate mutating func removeRepeatedNames() {
        var seen = Set<NameKey>()
        let table = table
        files = files.filter { record in
            seen.insert(NameKey(directory: table.directories[Int(record.directory)].id, name: Array(table.name(ofFile: record)))).inserted
        }
    }
}

private struct NameKey: Hashable {
    var directory: FileID
    var name: [UInt8]
}
