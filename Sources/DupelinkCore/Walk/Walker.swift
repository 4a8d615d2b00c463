import Glibc
import SystemPackage

/// What a walk found: every regular file in range, by name, and the problems met on the way.
public struct WalkResult: Sendable {
    /// The directories and names.
    public var table: PathTable
    /// One record per name of a regular file within the size range.
    public var files: [FileRecord]
    /// Entries that could not be read, and roots that could not be scanned.
    public var diagnostics: [Diagnostic]
    /// Entries left out because they are not regular files (symbolic links, FIFOs, sockets, devices).
    public var skippedSpecial: Int
    /// How many of the roots could be scanned.
    public var rootsScanned: Int
}

/// Walks directory trees through directory descriptors and collects their regular files.
///
/// Reads only metadata: `readdir` and `fstatat` with `AT_SYMLINK_NOFOLLOW`. Symbolic links below a
/// root are never followed, and FIFOs, sockets and devices are never opened. A directory is entered
/// at most once, so a root given twice, or nested inside another root, yields each file once.
public struct Walker: Sendable {
    /// What to include.
    public var options: WalkOptions

    /// Creates a walker.
    public init(options: WalkOptions) {
        self.options = options
    }

    /// Walks each root in turn. A root that is a symbolic link to a directory is followed (like
    /// `find -H`); nothing below a root is. A root that names a regular file is scanned as that one
    /// file.
    ///
    /// Touches the disk: reads directories and metadata, changes nothing.
    public func walk(roots: [[UInt8]], progress: ScanProgress? = nil) -> WalkResult {
        Syscalls.raiseDescriptorLimit()
        var state = WalkState(options: options, progress: progress)
        for (index, root) in roots.enumerated() {
            state.walkRoot(normalized(root), rootIndex: Int32(index))
        }
        state.flushProgress()
        if state.rootFiles > 0 { state.removeRepeatedNames() }
        return WalkResult(
            table: state.table, files: state.files, diagnostics: state.diagnostics,
            skippedSpecial: state.skippedSpecial, rootsScanned: state.rootsScanned)
    }

    /// Removes trailing slashes (but keeps `/` itself).
    private func normalized(_ root: [UInt8]) -> [UInt8] {
        var root = root
        while root.count > 1 && root.last == UInt8(ascii: "/") { root.removeLast() }
        return root
    }
}

private struct WalkState {
    let options: WalkOptions
    let progress: ScanProgress?
    var table = PathTable()
    var files: [FileRecord] = []
    var diagnostics: [Diagnostic] = []
    var skippedSpecial = 0
    var rootsScanned = 0
    var rootFiles = 0
    var visited = Set<FileID>()
    var unreportedFiles = 0
    let nameExcludes: [[CChar]]
    let pathExcludes: [[CChar]]

    init(options: WalkOptions, progress: ScanProgress?) {
        self.options = options
        self.progress = progress
        nameExcludes = options.excludes.filter { !$0.contains("/") }.map { Array($0.utf8CString) }
        pathExcludes = options.excludes.filter { $0.contains("/") }.map { Array($0.utf8CString) }
    }

    mutating func flushProgress() {
        progress?.addFilesWalked(unreportedFiles)
        unreportedFiles = 0
    }

    mutating func walkRoot(_ root: [UInt8], rootIndex: Int32) {
        let cRoot = root.map { CChar(bitPattern: $0) } + [0]
        let linkStatus: FileStatus
        do {
            linkStatus = try Syscalls.status(of: cRoot, in: Syscalls.currentDirectory)
        } catch {
            diagnostics.append(Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "scan")))
            return
        }
        var status = linkStatus
        if linkStatus.kind == .symbolicLink {
            do {
                status = try Syscalls.status(of: cRoot, in: Syscalls.currentDirectory, followSymlinks: true)
            } catch {
                diagnostics.append(
                    Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "follow the symbolic link")))
                return
            }
            guard status.kind == .directory else {
                diagnostics.append(
                    Diagnostic(.walk, DupelinkError(.badRoot, path: root,
                        detail: "a symbolic link to a file is not scanned; name the file itself")))
                return
            }
        }
        switch status.kind {
        case .directory:
            walkRootDirectory(root, cRoot: cRoot, rootIndex: rootIndex)
        case .regular:
            addRootFile(root, rootIndex: rootIndex)
        default:
            diagnostics.append(
                Diagnostic(.walk, DupelinkError(.badRoot, path: root, detail: "not a directory or a regular file")))
        }
    }

    mutating func walkRootDirectory(_ root: [UInt8], cRoot: [CChar], rootIndex: Int32) {
        let descriptor: FileDescriptor
        let status: FileStatus
        do {
            descriptor = try Syscalls.openDirectory(cRoot, in: Syscalls.currentDirectory, followSymlinks: true)
            status = try Syscalls.status(of: descriptor)
        } catch {
            diagnostics.append(Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "open directory")))
            return
        }
        rootsScanned += 1
        guard visited.insert(status.id).inserted else {
            Syscalls.closeQuietly(descriptor)
            return
        }
        let index = table.addDirectory(parent: -1, name: root, id: status.id, root: rootIndex)
        walkTree(from: descriptor, index: index, device: status.id.device, rootIndex: rootIndex)
    }

    /// A root that names a file: its directory becomes a root node so the linker can reach it.
    mutating func addRootFile(_ root: [UInt8], rootIndex: Int32) {
        let slash = root.lastIndex(of: UInt8(ascii: "/"))
        let directory: [UInt8] = slash.map { $0 == 0 ? [UInt8(ascii: "/")] : Array(root[..<$0]) } ?? [UInt8(ascii: ".")]
        let name = slash.map { Array(root[($0 + 1)...]) } ?? root
        let cDirectory = directory.map { CChar(bitPattern: $0) } + [0]
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        do {
            let descriptor = try Syscalls.openDirectory(cDirectory, in: Syscalls.currentDirectory, followSymlinks: true)
            defer { Syscalls.closeQuietly(descriptor) }
            let directoryStatus = try Syscalls.status(of: descriptor)
            let fileStatus = try Syscalls.status(of: cName, in: descriptor)
            rootsScanned += 1
            guard fileStatus.kind == .regular, isInSizeRange(fileStatus.size) else { return }
            let index = table.addDirectory(
                parent: -1, name: directory, id: directoryStatus.id, root: rootIndex, isShown: slash != nil)
            let (start, length) = table.appendName(name)
            files.append(FileRecord(directory: index, nameStart: start, nameLength: UInt16(length), status: fileStatus))
            rootFiles += 1
            unreportedFiles += 1
        } catch {
            diagnostics.append(Diagnostic(.walk, DupelinkError(.badRoot, path: root, errno: error, operation: "scan")))
        }
    }

    func isInSizeRange(_ size: Int64) -> Bool {
        size >= options.minimumSize && (options.maximumSize.map { size <= $0 } ?? true)
    }

    /// Depth-first walk with one open directory stream per level; descriptors are closed as each
    /// directory is finished.
    mutating func walkTree(from descriptor: FileDescriptor, index: Int32, device: UInt64, rootIndex: Int32) {
        guard let stream = fdopendir(descriptor.rawValue) else {
            diagnostics.append(Diagnostic(.walk, DupelinkError(.ioError, path: table.path(ofDirectory: index),
                errno: Errno(rawValue: errno), operation: "read directory")))
            Syscalls.closeQuietly(descriptor)
            return
        }
        var stack: [(stream: OpaquePointer, index: Int32)] = [(stream, index)]
        while let top = stack.last {
            errno = 0
            guard let entry = readdir(top.stream) else {
                if errno != 0 {
                    diagnostics.append(Diagnostic(.walk, DupelinkError(.ioError, path: table.path(ofDirectory: top.index),
                        errno: Errno(rawValue: errno), operation: "read directory")))
                }
                closedir(top.stream)
                stack.removeLast()
                continue
            }
            if unreportedFiles >= 4096 { flushProgress() }
            let type = entry.pointee.d_type
            let pushed: (OpaquePointer, Int32)? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                    visit(name: name, type: type, parentStream: top.stream, parent: top.index, device: device, rootIndex: rootIndex)
                }
            }
            if let pushed { stack.append((stream: pushed.0, index: pushed.1)) }
        }
    }

    /// Handles one directory entry; returns the stream of a subdirectory to descend into.
    mutating func visit(
        name: UnsafePointer<CChar>, type: UInt8, parentStream: OpaquePointer, parent: Int32, device: UInt64,
        rootIndex: Int32
    ) -> (OpaquePointer, Int32)? {
        let length = strlen(name)
        if name[0] == 0x2E && (length == 1 || (length == 2 && name[1] == 0x2E)) { return nil }
        if !options.includeHidden && name[0] == 0x2E { return nil }
        let parentDescriptor = FileDescriptor(rawValue: dirfd(parentStream))
        switch Int(type) {
        case Int(DT_LNK), Int(DT_FIFO), Int(DT_SOCK), Int(DT_CHR), Int(DT_BLK):
            skippedSpecial += 1
            return nil
        case Int(DT_DIR):
            if isExcluded(name: name, parent: parent) { return nil }
            return enterDirectory(name: name, parent: parentDescriptor, parentIndex: parent, device: device, rootIndex: rootIndex)
        default:
            // DT_REG, or DT_UNKNOWN on filesystems that do not fill d_type: fstatat decides.
            let status: FileStatus
            do {
                status = try Syscalls.status(of: name, in: parentDescriptor)
            } catch {
                if error != .noSuchFileOrDirectory { record(error, name: name, parent: parent, operation: "stat") }
                return nil
            }
            switch status.kind {
            case .regular:
                guard isInSizeRange(status.size), !isExcluded(name: name, parent: parent) else { return nil }
                let (start, nameLength) = table.appendName(
                    UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: length))
                files.append(FileRecord(directory: parent, nameStart: start, nameLength: UInt16(nameLength), status: status))
                unreportedFiles += 1
                return nil
            case .directory:
                if isExcluded(name: name, parent: parent) { return nil }
                return enterDirectory(name: name, parent: parentDescriptor, parentIndex: parent, device: device, rootIndex: rootIndex)
            default:
                skippedSpecial += 1
                return nil
            }
        }
    }

    mutating func enterDirectory(
        name: UnsafePointer<CChar>, parent: FileDescriptor, parentIndex: Int32, device: UInt64, rootIndex: Int32
    ) -> (OpaquePointer, Int32)? {
        let descriptor: FileDescriptor
        let status: FileStatus
        do {
            descriptor = try Syscalls.openDirectory(name, in: parent)
        } catch {
            // ELOOP/ENOTDIR: the entry was swapped for something else since readdir; ENOENT: gone.
            if error != .noSuchFileOrDirectory && error != .tooManySymbolicLinkLevels && error != .notDirectory {
                record(error, name: name, parent: parentIndex, operation: "open directory")
            }
            return nil
        }
        do {
            status = try Syscalls.status(of: descriptor)
        } catch {
            record(error, name: name, parent: parentIndex, operation: "stat")
            Syscalls.closeQuietly(descriptor)
            return nil
        }
        if (options.oneFileSystem && status.id.device != device) || !visited.insert(status.id).inserted {
            Syscalls.closeQuietly(descriptor)
            return nil
        }
        guard let stream = fdopendir(descriptor.rawValue) else {
            record(Errno(rawValue: errno), name: name, parent: parentIndex, operation: "read directory")
            Syscalls.closeQuietly(descriptor)
            return nil
        }
        let buffer = UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name))
        let index = table.addDirectory(parent: parentIndex, name: buffer, id: status.id, root: rootIndex)
        return (stream, index)
    }

    func isExcluded(name: UnsafePointer<CChar>, parent: Int32) -> Bool {
        for pattern in nameExcludes where fnmatch(pattern, name, 0) == 0 { return true }
        if pathExcludes.isEmpty { return false }
        var path = table.path(ofDirectory: parent)
        path.append(UInt8(ascii: "/"))
        path.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)))
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        for pattern in pathExcludes where fnmatch(pattern, cPath, 0) == 0 { return true }
        return false
    }

    mutating func record(_ error: Errno, name: UnsafePointer<CChar>, parent: Int32, operation: String) {
        var path = table.path(ofDirectory: parent)
        path.append(UInt8(ascii: "/"))
        path.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)))
        diagnostics.append(Diagnostic(.walk, DupelinkError(.ioError, path: path, errno: error, operation: operation)))
    }

    /// A root that names a file may also be found under a directory root: keep one record per
    /// (directory, name).
    mutating func removeRepeatedNames() {
        var seen = Set<NameKey>()
        files = files.filter { record in
            seen.insert(NameKey(directory: table.directories[Int(record.directory)].id, name: Array(table.name(ofFile: record)))).inserted
        }
    }
}

private struct NameKey: Hashable {
    var directory: FileID
    var name: [UInt8]
}
