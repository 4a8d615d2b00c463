/// A scan as the catalog kept it: enough to report it again and to plan and apply links later,
/// without the walk's `PathTable`.
///
/// Every name carries its full path and the identity of the directory that held it, and every
/// member the fingerprint taken when its bytes were compared: the linker re-opens each name by
/// path, checks the directory and the inode against these, and refuses anything that changed.
public struct SavedScan: Hashable, Sendable {
    /// The scan's number in the catalog.
    public var id: Int64
    /// When the scan started, in nanoseconds since the epoch: the latest scan that found this,
    /// when later scans found the same and updated it.
    public var startedAt: Int64
    /// When it was saved or last updated, in nanoseconds since the epoch.
    public var savedAt: Int64
    /// The roots, as given on the command line.
    public var roots: [[UInt8]]
    /// The counters of the scan that last saved or updated it.
    public var statistics: ScanStatistics
    /// The duplicate classes, in the order the scan listed them.
    public var classes: [SavedClass]

    /// Creates a saved scan from its parts.
    public init(
        id: Int64, startedAt: Int64, savedAt: Int64, roots: [[UInt8]], statistics: ScanStatistics,
        classes: [SavedClass]
    ) {
        self.id = id
        self.startedAt = startedAt
        self.savedAt = savedAt
        self.roots = roots
        self.statistics = statistics
        self.classes = classes
    }
}

/// One class of identical files in a saved scan.
public struct SavedClass: Hashable, Sendable {
    /// The size of each file, in bytes.
    public var size: Int64
    /// The XXH3-128 digest of the content, when the scan computed it.
    public var digest: Digest?
    /// The distinct inodes, each with its names.
    public var members: [SavedMember]

    /// Creates a class.
    public init(size: Int64, digest: Digest?, members: [SavedMember]) {
        self.size = size
        self.digest = digest
        self.members = members
    }

    /// The number of names in the class.
    public var nameCount: Int { members.reduce(0) { $0 + $1.names.count } }
}

/// One inode of a saved class: its fingerprint when it was compared, and its names.
public struct SavedMember: Hashable, Sendable {
    /// The inode's metadata when its bytes were compared (device, inode, mode, owner, link count,
    /// size, blocks, modification and change time).
    public var status: FileStatus
    /// Every name of the inode that the scan found, in path order.
    public var names: [SavedName]
    /// Its extended attributes and flags as the scan read them (`unknown` for a scan saved before
    /// dupelink read them).
    public var attributes: AttributeState
    /// The physical ranges it shared when it was scanned (see `Member.sharedExtents`), or nil.
    public var sharedExtents: SharedExtents?

    /// Creates a member.
    public init(
        status: FileStatus, names: [SavedName], attributes: AttributeState = .unknown, sharedExtents: SharedExtents? = nil
    ) {
        self.status = status
        self.names = names
        self.attributes = attributes
        self.sharedExtents = sharedExtents
    }
}

/// One name of a saved member.
public struct SavedName: Hashable, Sendable {
    /// The full path, as raw bytes (need not be UTF-8).
    public var path: [UInt8]
    /// The identity of the directory that held the name when the walk entered it.
    public var directory: FileID

    /// Creates a name.
    public init(path: [UInt8], directory: FileID) {
        self.path = path
        self.directory = directory
    }
}

/// A line of the scan history: what `listScans()` returns for each saved scan.
public struct ScanSummary: Hashable, Sendable {
    /// The scan's number in the catalog.
    public var id: Int64
    /// When the scan started (the latest scan that found the same, when one updated it), in
    /// nanoseconds since the epoch.
    public var startedAt: Int64
    /// When it was saved or last updated, in nanoseconds since the epoch.
    public var savedAt: Int64
    /// The roots, as given on the command line.
    public var roots: [[UInt8]]
    /// The number of duplicate classes.
    public var classCount: Int
    /// The number of names in all classes.
    public var nameCount: Int
    /// The bytes the scan reported reclaimable, or nil for a scan saved before they were kept.
    public var reclaimableBytes: Int64? = nil

    /// Creates a summary.
    public init(id: Int64, startedAt: Int64, savedAt: Int64, roots: [[UInt8]], classCount: Int, nameCount: Int) {
        self.id = id
        self.startedAt = startedAt
        self.savedAt = savedAt
        self.roots = roots
        self.classCount = classCount
        self.nameCount = nameCount
    }
}
