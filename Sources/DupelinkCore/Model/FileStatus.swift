/// A snapshot of one inode's metadata, as `fstatat` or `fstat` reported it at one moment.
///
/// Safety checks compare snapshots: a file whose `size`, `modificationTime` or `changeTime`
/// differs from the snapshot taken when it was compared is never linked.
public struct FileStatus: Hashable, Sendable {
    // The wide fields first and the link count in 32 bits: 64 bytes a snapshot, not 72, and every
    // file the walk finds holds one.

    /// The inode's identity.
    public var id: FileID
    /// The size in bytes.
    public var size: Int64
    /// The number of 512-byte blocks allocated.
    public var blocks: Int64
    /// The last content modification, in nanoseconds since the epoch.
    public var modificationTime: Int64
    /// The last status change (content, owner, mode or link count), in nanoseconds since the epoch.
    public var changeTime: Int64
    /// The file type and permission bits (`st_mode`).
    public var mode: UInt32
    /// The owner's user id.
    public var userID: UInt32
    /// The owner's group id.
    public var groupID: UInt32
    /// No Linux filesystem allows more than 2^32 - 1 names to an inode (ext4: 65,000; XFS: 2^31).
    private var links: UInt32

    /// The number of names the inode has (`st_nlink`), inside or outside the scanned roots.
    public var linkCount: UInt64 {
        get { UInt64(links) }
        set { links = UInt32(clamping: newValue) }
    }

    /// Creates a snapshot from its fields.
    public init(
        id: FileID, mode: UInt32, linkCount: UInt64, userID: UInt32, groupID: UInt32,
        size: Int64, blocks: Int64, modificationTime: Int64, changeTime: Int64
    ) {
        self.id = id
        self.mode = mode
        self.links = UInt32(clamping: linkCount)
        self.userID = userID
        self.groupID = groupID
        self.size = size
        self.blocks = blocks
        self.modificationTime = modificationTime
        self.changeTime = changeTime
    }

    /// The bytes the inode occupies on disk (`st_blocks` × 512): what removing its last name
    /// frees, and what `df` shows. Less than `size` for a sparse file, whose holes take no blocks;
    /// for other files `size` rounded up to the filesystem's block, plus any blocks of metadata.
    public var allocatedBytes: Int64 { blocks &* 512 }

    /// Whether fewer bytes are allocated than the size says: the file may have holes (or be
    /// compressed, or inline), so its data and hole map is worth asking for before reading it.
    public var mayHaveHoles: Bool { allocatedBytes < size }

    /// The kind of file, from the type bits of `mode`.
    public var kind: FileKind { FileKind(mode: mode) }

    /// The permission bits (`mode & 0o7777`).
    public var permissions: UInt32 { mode & 0o7777 }

    /// Whether `other` describes the same inode with the same size, content time and change time.
    ///
    /// This is the test that decides whether a file may still be trusted to hold the bytes that
    /// were compared.
    public func isUnchanged(comparedTo other: FileStatus) -> Bool {
        id == other.id && size == other.size && modificationTime == other.modificationTime
            && changeTime == other.changeTime
    }
}

/// The type of a directory entry, from the `S_IFMT` bits of its mode.
public enum FileKind: Sendable, Hashable {
    case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

    /// Decodes the type bits of a `st_mode` value.
    public init(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o100000: self = .regular
        case 0o040000: self = .directory
        case 0o120000: self = .symbolicLink
        case 0o010000: self = .fifo
        case 0o140000: self = .socket
        case 0o020000: self = .characterDevice
        case 0o060000: self = .blockDevice
        default: self = .unknown
        }
    }
}
