/// One inode in a duplicate class, with every name of it that the walk found.
public struct Member: Sendable {
    /// Indices into the scan's `files` of every name of this inode inside the roots, in path order.
    public var names: NameList
    /// The metadata of the inode as `fstat` reported it on the descriptor whose bytes were compared.
    /// The linker refuses to touch the inode unless its size, mtime and ctime still match.
    public var status: FileStatus
    /// Its extended attributes and inode flags, read after its bytes were compared.
    public var attributes: AttributeState
    /// The physical ranges of its data that its filesystem reports shared (see
    /// `SharedExtentStage`), or nil where they were not mapped: a filesystem that shares no
    /// extents (ext4, tmpfs), a member alone on its filesystem in its class, a scan saved before
    /// dupelink mapped them.
    public var sharedExtents: SharedExtents? = nil

    /// The inode's identity.
    public var id: FileID { status.id }

    /// Creates a member.
    public init(names: NameList, status: FileStatus, attributes: AttributeState = .unknown) {
        self.names = names
        self.status = status
        self.attributes = attributes
    }

    /// Creates a member from an array of names.
    public init(names: [Int32], status: FileStatus, attributes: AttributeState = .unknown) {
        self.init(names: NameList(names), status: status, attributes: attributes)
    }
}

/// Files whose contents were compared byte for byte and found identical.
///
/// A class has at least two names; they may all be one inode already (nothing to reclaim), and may
/// span filesystems (only members on one device can be linked together).
public struct DuplicateClass: Sendable {
    /// The size of each file, in bytes.
    public var size: Int64
    /// The XXH3-128 digest of the content, when it was computed.
    public var digest: Digest?
    /// The distinct inodes, each with its names.
    public var members: [Member]

    /// Creates a class.
    public init(size: Int64, digest: Digest?, members: [Member]) {
        self.size = size
        self.digest = digest
        self.members = members
    }

    /// The number of names in the class.
    public var nameCount: Int { members.reduce(0) { $0 + $1.names.count } }
}

/// Everything a scan found, ready to be reported or planned for linking.
public struct ScanResult: Sendable {
    /// The roots scanned, as given: every path in `table` lies under one of them.
    public var roots: [[UInt8]]
    /// Directories and names.
    public var table: PathTable
    /// Every regular file the walk found within the size range.
    public var files: [FileRecord]
    /// The duplicate classes, largest reclaimable first.
    public var classes: [DuplicateClass]
    /// Problems met on the way; the files involved were left out.
    public var diagnostics: [Diagnostic]
    /// Counters.
    public var statistics: ScanStatistics
    /// The fingerprint of the walk the classes were found in (see `UnchangedWalk`), when the scan
    /// used a catalog.
    public var walkFingerprint: Digest?

    /// Creates a result.
    public init(
        roots: [[UInt8]], table: PathTable, files: [FileRecord], classes: [DuplicateClass], diagnostics: [Diagnostic],
        statistics: ScanStatistics
    ) {
        self.roots = roots
        self.table = table
        self.files = files
        self.classes = classes
        self.diagnostics = diagnostics
        self.statistics = statistics
    }

    /// The full path of the file at `index` in `files`, as bytes.
    public func path(ofFile index: Int32) -> [UInt8] { table.path(ofFile: files[Int(index)]) }
}

/// What a scan did, for `--stats` and the JSON report.
public struct ScanStatistics: Sendable, Hashable, Codable {
    /// Roots that could be opened and walked.
    public var rootsScanned = 0
    /// Regular files found within the size range.
    public var filesWalked = 0
    /// Their total size.
    public var bytesWalked: Int64 = 0
    /// Entries left out because they are not regular files.
    public var specialFilesSkipped = 0
    /// Files that shared a size with another inode (candidates after grouping).
    public var filesAfterSizeGrouping = 0
    /// Candidates after the head/tail digest.
    public var filesAfterHeadTail = 0
    /// The floor: the total size of the inodes that survived the head/tail stage, each of which
    /// must be read in full at least once.
    public var floorBytes: Int64 = 0
    /// Bytes read by the head/tail stage.
    public var bytesReadHeadTail: Int64 = 0
    /// Bytes read by the content stage (full digest and byte comparison together).
    public var bytesReadContent: Int64 = 0
    /// Head/tail digests taken from the catalog instead of the file.
    public var catalogHits = 0
    /// Files whose content the catalog vouched for (byte-identical to a file compared earlier), so
    /// the content stage did not read them.
    public var filesConfirmedByCatalog = 0
    /// Wall time of each stage, in seconds.
    public var walkSeconds = 0.0
    public var headTailSeconds = 0.0
    public var contentSeconds = 0.0
    /// Class members whose extended attributes and flags were read from disk (the catalog gave the
    /// others), and the wall time the attribute stage took (nil in scans saved before dupelink
    /// read them).
    public var filesAttributesRead: Int?
    public var attributeSeconds: Double?
    /// Each filesystem the walk entered: the storage below it, and the readers and order used
    /// there (nil in scans saved before dupelink looked).
    public var storage: [FilesystemStorage]?
    /// Class members whose extents were mapped (`FIEMAP`) to find the blocks they already share
    /// (only on btrfs, XFS and bcachefs), and the wall time it took (nil in scans saved before
    /// dupelink mapped them).
    public var filesExtentsMapped: Int?
    public var extentSeconds: Double?

    /// Creates zeroed counters.
    public init() {}
}
