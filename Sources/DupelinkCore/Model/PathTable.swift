/// Every directory and file name the walk found, kept as raw bytes in one arena.
///
/// Names on Linux are byte strings that need not be UTF-8, so paths are never `String`s here. A
/// directory is stored once and files point at it, which keeps a million paths in a few arrays
/// instead of a million allocations, and keeps the chain of directories that leads to each file:
/// the linker re-opens that chain one component at a time, with `O_NOFOLLOW`, and checks each
/// directory's identity against the walk.
public struct PathTable: Sendable {
    /// A directory the walk entered.
    public struct Directory: Sendable {
        /// The index of the parent directory, or -1 for a root.
        public var parent: Int32
        /// Where the name starts in `bytes`; a root's name is the path it was opened by.
        var nameStart: UInt32
        /// The name's length in bytes.
        var nameLength: UInt32
        /// The directory's identity when the walk entered it.
        public var id: FileID
        /// The index of the root (as given on the command line) this directory is under.
        public var root: Int32
        /// For a root: whether its name is shown in paths (false for the `.` made up for a root
        /// that names a file in the working directory).
        var isShown: Bool
        /// Whether the directory is on overlayfs, where a hard link to a lower-layer file copies it
        /// up and frees nothing: its files are reported, never linked.
        public var isOverlay = false
        /// The id of the mount the walk reached it through (`statx` `stx_mnt_id`), or
        /// `PathTable.unknownMount` (a table rebuilt from a saved scan, an old kernel). Two names on
        /// one filesystem can be hard-linked only through one mount; the files in a directory share
        /// its mount, but for a file that is itself a bind-mount target, which the linker's own
        /// `EXDEV` check catches.
        public var mountID = PathTable.unknownMount
        /// Whether its filesystem's files can share extents (btrfs, XFS, bcachefs by `statfs`
        /// type), so that mapping them can find blocks they already share.
        public var canShareExtents = false
    }

    /// The mount id of a directory whose mount is not known: the planner then goes by device alone.
    public static let unknownMount = UInt64.max

    /// The name arena; each name is followed by a NUL byte so it can be passed to a syscall as is.
    var bytes: [UInt8] = []
    /// The directories, parents before children.
    public private(set) var directories: [Directory] = []
    /// For the directories that held more than the scan's files (empty files, links, files out
    /// of the size range), what that was; only a walk fills it in.
    package private(set) var omitted: [Int32: OmittedFiles] = [:]

    /// Records what directory `index` held besides the scan's files.
    mutating func setOmitted(_ omitted: OmittedFiles, ofDirectory index: Int32) {
        self.omitted[index] = omitted.isEmpty ? nil : omitted
    }

    /// Counts one entry of directory `index` whose contents the walk could not learn.
    mutating func addUnknownEntry(inDirectory index: Int32) {
        self.omitted[index, default: OmittedFiles()].unknown += 1
    }

    /// Creates an empty table.
    public init() {}

    /// Appends a name to the arena and returns its start and length.
    mutating func appendName(_ name: UnsafeBufferPointer<UInt8>) -> (start: UInt32, length: UInt32) {
        let start = UInt32(bytes.count)
        bytes.append(contentsOf: name)
        bytes.append(0)
        return (start, UInt32(name.count))
    }

    /// Appends a name given as an array of bytes.
    mutating func appendName(_ name: [UInt8]) -> (start: UInt32, length: UInt32) {
        name.withUnsafeBufferPointer { appendName($0) }
    }

    /// Adds a directory and returns its index.
    mutating func addDirectory(
        parent: Int32, name: UnsafeBufferPointer<UInt8>, id: FileID, root: Int32, isShown: Bool = true,
        mount: DirectoryMount = .unknown
    ) -> Int32 {
        let (start, length) = appendName(name)
        directories.append(
            Directory(parent: parent, nameStart: start, nameLength: length, id: id, root: root, isShown: isShown,
                isOverlay: mount.isOverlay, mountID: mount.id, canShareExtents: mount.canShareExtents))
        return Int32(directories.count - 1)
    }

    /// Adds a directory whose name is given as an array of bytes.
    mutating func addDirectory(
        parent: Int32, name: [UInt8], id: FileID, root: Int32, isShown: Bool = true, mount: DirectoryMount = .unknown
    ) -> Int32 {
        name.withUnsafeBufferPointer {
            addDirectory(parent: parent, name: $0, id: id, root: root, isShown: isShown, mount: mount)
        }
    }

    /// Records what was learnt of directory `index`'s mount after the table was built (a rebuilt
    /// saved scan, see `ScanResult.resolvingMounts()`).
    mutating func setMount(_ mount: DirectoryMount, ofDirectory index: Int32) {
        directories[Int(index)].mountID = mount.id
        directories[Int(index)].isOverlay = mount.isOverlay
        directories[Int(index)].canShareExtents = mount.canShareExtents
    }

    /// The directories where an overlayfs mount begins within the roots: an overlay directory that is
    /// a root, or whose parent is not on that overlay mount. Their files are reported, never linked.
    public var overlayMountPoints: [Int32] {
        directories.indices.compactMap { index in
            let directory = directories[index]
            guard directory.isOverlay else { return nil }
            if directory.parent >= 0 {
                let parent = directories[Int(directory.parent)]
                if parent.isOverlay && parent.mountID == directory.mountID && parent.id.device == directory.id.device {
                    return nil
                }
            }
            return Int32(index)
        }
    }

    /// The mount of the directory that holds `record`.
    /// One number per filesystem that a file can share extents within: its directory's mount,
    /// where the walk learnt it (btrfs subvolumes of one mount have device numbers of their own,
    /// but one superblock, and `FIDEDUPERANGE` works between them), else its device number. The
    /// two kinds of number are told apart by the top bit.
    public func extentDomain(ofFile record: FileRecord, device: UInt64) -> UInt64 {
        let mount = directories[Int(record.directory)].mountID
        return mount == PathTable.unknownMount ? device & ~(1 << 63) : mount | 1 << 63
    }

    public func mount(ofFile record: FileRecord) -> DirectoryMount {
        let directory = directories[Int(record.directory)]
        return DirectoryMount(id: directory.mountID, isOverlay: directory.isOverlay, canShareExtents: directory.canShareExtents)
    }

    /// The name stored at `start` with `length` bytes.
    func name(start: UInt32, length: UInt32) -> ArraySlice<UInt8> {
        bytes[Int(start)..<Int(start + length)]
    }

    /// Calls `body` with a NUL-terminated pointer to the name stored at `start`.
    func withCName<R, E: Error>(start: UInt32, _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            let raw = UnsafeRawPointer(buffer.baseAddress! + Int(start))
            return try body(raw.assumingMemoryBound(to: CChar.self))
        }
    }

    /// The directory's own name (for a root, the path it was opened by).
    public func name(ofDirectory index: Int32) -> ArraySlice<UInt8> {
        let directory = directories[Int(index)]
        return name(start: directory.nameStart, length: directory.nameLength)
    }

    /// The chain of directory indices from the root down to `index`, root first.
    public func chain(toDirectory index: Int32) -> [Int32] {
        var chain: [Int32] = []
        var current = index
        while current >= 0 {
            chain.append(current)
            current = directories[Int(current)].parent
        }
        return chain.reversed()
    }

    /// The full path of a directory, as bytes.
    public func path(ofDirectory index: Int32) -> [UInt8] {
        var result: [UInt8] = []
        appendPath(ofDirectory: index, to: &result)
        return result
    }

    /// The full path of a file named `name` in directory `directory`, as bytes.
    public func path(ofFile record: FileRecord) -> [UInt8] {
        var result: [UInt8] = []
        appendPath(ofDirectory: record.directory, to: &result)
        if Self.needsSlash(after: result) { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: name(start: record.nameStart, length: UInt32(record.nameLength)))
        return result
    }

    /// Whether a path continues past `path` with a slash before the next name: it is not empty and
    /// does not already end in one (a root given as `/` or `dir/`).
    static func needsSlash(after path: [UInt8]) -> Bool {
        !path.isEmpty && path.last != UInt8(ascii: "/")
    }

    /// `needsSlash(after:)` for a path kept in part of a larger buffer.
    static func needsSlash(after path: UnsafeBufferPointer<UInt8>) -> Bool {
        !path.isEmpty && path.last != UInt8(ascii: "/")
    }

    /// The file's own name, without its directory.
    public func name(ofFile record: FileRecord) -> ArraySlice<UInt8> {
        name(start: record.nameStart, length: UInt32(record.nameLength))
    }

    private func appendPath(ofDirectory index: Int32, to result: inout [UInt8]) {
        for (position, directory) in chain(toDirectory: index).enumerated() {
            let entry = directories[Int(directory)]
            if position == 0 && !entry.isShown { continue }
            if Self.needsSlash(after: result) { result.append(UInt8(ascii: "/")) }
            result.append(contentsOf: name(start: entry.nameStart, length: entry.nameLength))
        }
    }
}

/// What the walk learnt of the mount a directory was reached through.
public struct DirectoryMount: Sendable, Hashable {
    /// The mount id (`stx_mnt_id`), or `PathTable.unknownMount`.
    public var id: UInt64
    /// Whether the filesystem is overlayfs.
    public var isOverlay: Bool
    /// Whether its files can share extents (btrfs, XFS, bcachefs: `Syscalls.copyOnWriteFilesystems`).
    public var canShareExtents: Bool

    /// Creates a mount description.
    public init(id: UInt64, isOverlay: Bool, canShareExtents: Bool = false) {
        self.id = id
        self.isOverlay = isOverlay
        self.canShareExtents = canShareExtents
    }

    /// Nothing known: any mount of the device, not overlayfs as far as the planner can tell.
    public static let unknown = DirectoryMount(id: PathTable.unknownMount, isOverlay: false)

    /// Whether the mount id is known.
    public var isKnown: Bool { id != PathTable.unknownMount }
}
