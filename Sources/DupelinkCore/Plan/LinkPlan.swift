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
    /// The bytes this action frees, counted by allocated blocks (what `df` will show): the
    /// replaced inode's `st_blocks` × 512 on the action that removes the last name of an inode
    /// with no names outside the scanned roots, otherwise 0. A sparse file frees less than its
    /// size; a hole frees nothing.
    public var bytesFreed: Int64
    /// The same action's figure by apparent size: the class size where `bytesFreed` counts the
    /// inode's blocks, otherwise 0. Reports show it beside `bytesFreed` when the two differ
    /// because of holes.
    public var apparentBytesFreed: Int64
    /// The bytes of the replaced inode that it already shares with its class (the same physical
    /// extents as the keeper, or as another member; see `LinkPlanner.discountSharedExtents`):
    /// replacing it does not free them, so they are taken out of `bytesFreed` and
    /// `apparentBytesFreed`. Set on the action that frees the inode; 0 elsewhere.
    public var alreadySharedBytes: Int64 = 0

    /// Creates an action; `apparentBytesFreed` defaults to `bytesFreed`.
    public init(
        classIndex: Int, keeper: Int32, duplicate: Int32, keeperMember: Int, duplicateMember: Int, bytesFreed: Int64,
        apparentBytesFreed: Int64? = nil
    ) {
        self.classIndex = classIndex
        self.keeper = keeper
        self.duplicate = duplicate
        self.keeperMember = keeperMember
        self.duplicateMember = duplicateMember
        self.bytesFreed = bytesFreed
        self.apparentBytesFreed = apparentBytesFreed ?? bytesFreed
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
        /// Linking would let someone read or write what they could not through the file's own
        /// owner, group and mode, or take access from its owner (`AccessRule`); only possible
        /// with `ignoreOwner` or `ignoreMode`.
        case accessWidens
        /// Their POSIX ACLs (`system.posix_acl_*`) differ.
        case aclsDiffer
        /// Their file capabilities (`security.capability`) differ.
        case capabilitiesDiffer
        /// Their security labels (other `security.*` attributes: SELinux, SMACK, IMA...) differ.
        case securityLabelsDiffer
        /// Other extended attributes differ (`user.*` unless relaxed, `trusted.*`).
        case extendedAttributesDiffer
        /// Their inode flags (`chattr`) differ.
        case flagsDiffer
        /// The file is immutable (`chattr +i`): it is never linked or replaced.
        case immutable
        /// The file is append-only (`chattr +a`): it is never linked or replaced.
        case appendOnly
        /// Its extended attributes or flags could not be read.
        case attributesUnreadable
        /// `undo` or `split` made it a file of its own, and links leave it so (see
        /// `LinkOptions.separated`).
        case keptSeparate
        /// It is on the same filesystem as the keeper but reached through another mount (a bind
        /// mount): `linkat` refuses to link across mounts (`EXDEV`).
        case otherMount
        /// It is on overlayfs, where a hard link to a lower-layer file copies the file up into the
        /// upper layer: the lower layer keeps its copy, so linking frees nothing and uses more.
        case overlayfs

        /// The stable, hyphenated code that JSON reports use (`different-filesystem`).
        public var code: String {
            switch self {
            case .differentFilesystem: "different-filesystem"
            case .ownerDiffers: "owner-differs"
            case .modeDiffers: "mode-differs"
            case .accessWidens: "access-widens"
            case .aclsDiffer: "acls-differ"
            case .capabilitiesDiffer: "capabilities-differ"
            case .securityLabelsDiffer: "security-labels-differ"
            case .extendedAttributesDiffer: "xattrs-differ"
            case .flagsDiffer: "flags-differ"
            case .immutable: "immutable"
            case .appendOnly: "append-only"
            case .attributesUnreadable: "attributes-unreadable"
            case .keptSeparate: "kept-separate"
            case .otherMount: "other-mount"
            case .overlayfs: "overlayfs"
            }
        }

        /// The reason as a phrase for a user.
        public var message: String {
            switch self {
            case .differentFilesystem: "not linked: on different filesystems"
            case .ownerDiffers: "not linked: owner differs"
            case .modeDiffers: "not linked: permissions differ"
            case .accessWidens: "not linked: the kept copy's owner and mode would change who may read or write it"
            case .aclsDiffer: "not linked: ACLs differ"
            case .capabilitiesDiffer: "not linked: capabilities differ"
            case .securityLabelsDiffer: "not linked: security labels differ"
            case .extendedAttributesDiffer: "not linked: extended attributes differ"
            case .flagsDiffer: "not linked: inode flags differ"
            case .immutable: "not linked: immutable file"
            case .appendOnly: "not linked: append-only file"
            case .attributesUnreadable: "not linked: its extended attributes or flags cannot be read"
            case .keptSeparate: "not linked: kept separate since undo or split"
            case .otherMount: "not linked: on another mount of the same filesystem"
            case .overlayfs: "not linked: on overlayfs, where a hard link copies the file up and frees nothing"
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
    /// The bytes that stay in use because of the refusal, by allocated blocks: the inode's
    /// `st_blocks` × 512 when it has no names outside the scanned roots, otherwise 0 (0 on overlayfs too,
    /// where linking would free nothing).
    public var bytes: Int64
    /// What differs, when the reason alone does not say: the attribute names, the owners and modes.
    public var detail: String?

    /// Creates a refusal.
    public init(
        classIndex: Int, member: Int, file: Int32, reference: Int32, reason: Reason, bytes: Int64, detail: String? = nil
    ) {
        self.classIndex = classIndex
        self.member = member
        self.file = file
        self.reference = reference
        self.reason = reason
        self.bytes = bytes
        self.detail = detail
    }

    /// The reason with its detail: `not linked: capabilities differ (security.capability)`.
    public var message: String {
        guard let detail else { return reason.message }
        return "\(reason.message) (\(detail))"
    }

    /// The refusal as a diagnostic naming the refused file, for reports.
    public func diagnostic(in scan: ScanResult) -> Diagnostic {
        Diagnostic(.link, DupelinkError(.refused, path: scan.path(ofFile: file), detail: message))
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
    /// Whether `user.*` attributes may differ (`LinkOptions.ignoreUserAttributes`): the linker
    /// compares every other attribute again before each replacement.
    public var ignoresUserAttributes: Bool

    /// Creates a plan.
    public init(actions: [LinkAction], refusals: [LinkRefusal], ignoresUserAttributes: Bool = false) {
        self.actions = actions
        self.refusals = refusals
        self.ignoresUserAttributes = ignoresUserAttributes
    }

    /// The bytes executing the plan frees, counted once per inode, only for inodes with no names
    /// outside the scanned roots, and by allocated blocks (what `df` will show).
    public var reclaimableBytes: Int64 { actions.reduce(0) { $0 + $1.bytesFreed } }

    /// The same inodes' apparent sizes: more than `reclaimableBytes` when some are sparse.
    public var apparentReclaimableBytes: Int64 { actions.reduce(0) { $0 + $1.apparentBytesFreed } }

    /// The bytes that linking each class frees (by allocated blocks), by class index, for
    /// `classCount` classes.
    public func reclaimableByClass(classCount: Int) -> [Int64] {
        var result = [Int64](repeating: 0, count: classCount)
        for action in actions { result[action.classIndex] += action.bytesFreed }
        return result
    }

    /// `reclaimableByClass` by apparent size.
    public func apparentReclaimableByClass(classCount: Int) -> [Int64] {
        var result = [Int64](repeating: 0, count: classCount)
        for action in actions { result[action.classIndex] += action.apparentBytesFreed }
        return result
    }

    /// The bytes that replaced inodes already share with their classes, not counted as freed.
    public var alreadySharedBytes: Int64 { actions.reduce(0) { $0 + $1.alreadySharedBytes } }

    /// `alreadySharedBytes` by class index, for `classCount` classes.
    public func alreadySharedByClass(classCount: Int) -> [Int64] {
        var result = [Int64](repeating: 0, count: classCount)
        for action in actions { result[action.classIndex] += action.alreadySharedBytes }
        return result
    }

    /// The bytes that stay in use because members were refused.
    public var refusedBytes: Int64 { refusals.reduce(0) { $0 + $1.bytes } }
}
