/// Replacing one name of a duplicate inode with a hard link to the class's keeper.
public struct LinkAction: Hashable, Sendable, Codable {
    /// The index of the class in the scan's `classes`.
    public var classIndex: Int
    /// The index in the scan's `files` of the keeper's first name: the name that is linked.
    public var keeper: Int32
    /// The index in the scan's `files` of the name that is replaced.
    public var duplicate: Int32
    /// The index of the keeper in the class's `members`.
    public var keeperMember: Int
    /// The index of the replaced inode in the class's `members`.
    public var duplicateMember: Int
    /// The bytes this action frees: the class size on the action that removes the last name of an
    /// inode with no names outside the scanned roots, otherwise 0.
    public var bytesFreed: Int64

    /// Creates an action.
    public init(classIndex: Int, keeper: Int32, duplicate: Int32, keeperMember: Int, duplicateMember: Int, bytesFreed: Int64) {
        self.classIndex = classIndex
        self.keeper = keeper
        self.duplicate = duplicate
        self.keeperMember = keeperMember
        self.duplicateMember = duplicateMember
        self.bytesFreed = bytesFreed
    }
}

/// An inode of a duplicate class that will not be linked, and why.
public struct LinkRefusal: Hashable, Sendable, Codable {
    /// Why two identical inodes cannot share one inode.
    public enum Reason: String, Hashable, Sendable, Codable {
        /// They live on different filesystems; a hard link cannot cross them (and a symbolic link
        /// is never used instead).
        case differentFilesystem
        /// Their owners (user or group) differ, and `ignoreOwner` is off.
        case ownerDiffers
        /// Their permission bits differ, and `ignoreMode` is off.
        case modeDiffers

        /// The stable, hyphenated code that JSON reports use (`different-filesystem`).
        public var code: String {
            switch self {
            case .differentFilesystem: "different-filesystem"
            case .ownerDiffers: "owner-differs"
            case .modeDiffers: "mode-differs"
            }
        }

        /// The reason as a phrase for a user.
        public var message: String {
            switch self {
            case .differentFilesystem: "not linked: on different filesystems"
            case .ownerDiffers: "not linked: owner differs"
            case .modeDiffers: "not linked: permissions differ"
            }
        }
    }

    /// The index of the class in the scan's `classes`.
    public var classIndex: Int
    /// The index of the refused inode in the class's `members`.
    public var member: Int
    /// The index in the scan's `files` of the refused inode's first name.
    public var file: Int32
    /// The index in the scan's `files` of the first name of the keeper it was compared against.
    public var reference: Int32
    /// Why it was refused.
    public var reason: Reason
    /// The bytes that stay in use because of the refusal: the class size when the inode has no
    /// names outside the scanned roots, otherwise 0.
    public var bytes: Int64

    /// Creates a refusal.
    public init(classIndex: Int, member: Int, file: Int32, reference: Int32, reason: Reason, bytes: Int64) {
        self.classIndex = classIndex
        self.member = member
        self.file = file
        self.reference = reference
        self.reason = reason
        self.bytes = bytes
    }

    /// The refusal as a diagnostic naming the refused file, for reports.
    public func diagnostic(in scan: ScanResult) -> Diagnostic {
        Diagnostic(.link, DupelinkError(.refused, path: scan.path(ofFile: file), detail: reason.message))
    }
}

/// What the linker would do to a scan: pure data, made without touching a disk.
///
/// It can be printed, saved and reviewed before `Linker` executes it.
public struct LinkPlan: Hashable, Sendable, Codable {
    /// The replacements, grouped by class and partition, keeper first in rank order of the
    /// inodes they replace.
    public var actions: [LinkAction]
    /// The inodes that cannot be linked to any other member of their class.
    public var refusals: [LinkRefusal]

    /// Creates a plan.
    public init(actions: [LinkAction], refusals: [LinkRefusal]) {
        self.actions = actions
        self.refusals = refusals
    }

    /// The bytes executing the plan frees, counted once per inode and only for inodes with no
    /// names outside the scanned roots.
    public var reclaimableBytes: Int64 { actions.reduce(0) { $0 + $1.bytesFreed } }

    /// The bytes that linking each class frees, by class index, for `classCount` classes.
    public func reclaimableByClass(classCount: Int) -> [Int64] {
        var result = [Int64](repeating: 0, count: classCount)
        for action in actions { result[action.classIndex] += action.bytesFreed }
        return result
    }

    /// The bytes that stay in use because members were refused.
    public var refusedBytes: Int64 { refusals.reduce(0) { $0 + $1.bytes } }
}
