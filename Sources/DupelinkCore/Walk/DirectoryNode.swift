import Glibc
import SystemPackage

/// One directory the walk means to enter, and, once a thread has read it, what it held.
///
/// Nodes form the tree the threads discover: a node's `entries` list its subdirectories (and the
/// problems met) in the order `readdir` gave them, with the number of the directory's files that
/// came before each, so the tree can be read back in the one order a single-threaded depth-first
/// walk would have produced, whatever thread read which directory.
///
/// The fields below `parentStream` are written by the one thread that takes the node from the
/// stack, and read only after every thread was joined.
final class DirectoryNode: @unchecked Sendable {
    /// One thing met in the directory besides its files, in `readdir` order.
    struct Entry {
        /// How many of the directory's files `readdir` gave before it.
        var filesBefore: Int32
        /// A subdirectory, or a problem met.
        var kind: Kind
    }

    enum Kind {
        case directory(DirectoryNode)
        case diagnostic(Diagnostic)
    }

    /// The directory this one was found in; nil for a root. Every node is held by its parent's
    /// `entries` (a root by the walk), so the parent outlives it.
    unowned let parent: DirectoryNode?
    /// Its name in the parent (for a root, the path it was opened by).
    let name: [UInt8]
    /// The index of the root it is under.
    let rootIndex: Int32
    /// The device of that root, for `--one-file-system`.
    let rootDevice: UInt64
    /// The open parent directory to resolve `name` in; released once the node has been opened,
    /// which closes the parent when its last subdirectory is open.
    var parentStream: OpenDirectory?
    /// For a root: the descriptor the walk opened it with, and its identity was already checked.
    var rootDescriptor: FileDescriptor?

    /// Whether the directory was entered (opened, not seen before, on the right device).
    var isEntered = false
    /// Its identity when it was entered.
    var id = FileID(device: 0, inode: 0)
    /// The mount it was reached through, learnt when it was entered (set before any of its
    /// subdirectories is handed to another thread, which reads it to skip `fstatfs` on one mount).
    var mount = DirectoryMount.unknown
    /// The walk shard (thread) that read it; its files are `files[filesStart..<filesEnd]` there.
    var shard: Int32 = 0
    var filesStart: Int32 = 0
    var filesEnd: Int32 = 0
    /// Subdirectories and problems, in `readdir` order.
    var entries: [Entry] = []
    /// Why it could not be entered, when that is worth telling.
    var failure: Diagnostic?
    /// What it held besides the files kept (empty files, links, files out of the size range).
    var omitted = OmittedFiles()

    /// A root, opened and claimed by the walk.
    init(root: [UInt8], rootIndex: Int32, descriptor: FileDescriptor, id: FileID) {
        parent = nil
        name = root
        self.rootIndex = rootIndex
        rootDevice = id.device
        rootDescriptor = descriptor
        self.id = id
    }

    /// A subdirectory named `name` in the open directory `parentStream`.
    init(name: [UInt8], in parent: DirectoryNode, parentStream: OpenDirectory) {
        self.parent = parent
        self.name = name
        rootIndex = parent.rootIndex
        rootDevice = parent.rootDevice
        self.parentStream = parentStream
    }

    /// The directory's full path, as `PathTable.path(ofDirectory:)` would spell it.
    func path() -> [UInt8] {
        var chain: [DirectoryNode] = []
        var node: DirectoryNode? = self
        while let current = node {
            chain.append(current)
            node = current.parent
        }
        var result: [UInt8] = []
        for current in chain.reversed() {
            if !result.isEmpty && result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
            result.append(contentsOf: current.name)
        }
        return result
    }

    /// The full path of `name` in this directory.
    func path(of name: UnsafePointer<CChar>) -> [UInt8] {
        var result = path()
        if result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)))
        return result
    }
}

/// An open directory stream shared by the subdirectories still to be opened in it; closed when
/// the last of them lets go.
final class OpenDirectory: @unchecked Sendable {
    /// The stream; only its descriptor is used once the directory has been read.
    let stream: OpaquePointer

    init(_ stream: OpaquePointer) { self.stream = stream }

    deinit { closedir(stream) }

    /// The stream's descriptor, for `*at` calls.
    var descriptor: FileDescriptor { FileDescriptor(rawValue: dirfd(stream)) }
}
