/// What the link planner may link together, and which copy it keeps.
public struct LinkOptions: Sendable, Hashable {
    /// Link copies owned by different users or groups. The kept inode's owner then owns every name,
    /// so a root-owned copy is preferred as keeper, and a name is never handed to an inode owned by
    /// another ordinary user (that user could then write to it), nor to one whose owner, group and
    /// mode would let anyone read or write what they could not through the name's own file, or
    /// would take write access from the name's owner (see `AccessRule`): such a member is refused.
    public var ignoreOwner: Bool
    /// Link copies with different permission bits (`mode & 0o777`). The kept inode's permissions
    /// then apply to every name. Set-user-ID, set-group-ID and sticky bits must still match: a
    /// copy never gains them by being linked.
    public var ignoreMode: Bool
    /// Link copies whose `user.*` extended attributes differ (the kept copy's then apply to every
    /// name; the journal keeps the replaced copy's, so `undo` puts them back). Only `user.*`:
    /// ACLs, capabilities, security labels, `trusted.*` attributes and inode flags must always
    /// match, since they decide who may do what.
    public var ignoreUserAttributes: Bool = false
    /// Inodes that `undo` or `split` made separate, with the run that did: never linked nor
    /// kept, so a timer's next run does not undo the undo (see `Catalog.separatedMembers(of:)`).
    public var separated: [FileID: Int64] = [:]
    /// Raw path prefixes, most preferred first: an inode with a name under one of these
    /// directories is kept rather than replaced. A prefix matches whole path components only.
    public var preferredDirectories: [[UInt8]]
    /// The identities of the preferred directories, in the same order as `preferredDirectories`
    /// (the caller resolves them): a name whose directory chain passes through one matches however
    /// the path was spelled (relative, absolute, through a symbolic link).
    public var preferredDirectoryIDs: [FileID] = []

    /// Plan for `dedupe`, which makes duplicates share data extents (`FIDEDUPERANGE`) instead of
    /// one inode: every file keeps its own inode, owner, mode, times, attributes and flags, so
    /// only the filesystem counts. Owner, mode and attribute differences are not refusals, and
    /// each duplicate inode gets one action (on its first name) for its whole size, even when it
    /// has names outside the roots: its blocks are shared all the same. Immutable, append-only
    /// and unreadable-attribute files are still refused (the kernel would refuse them anyway).
    public var sharesExtents: Bool = false

    /// Creates options; by default owner and permissions must match and no directory is preferred.
    public init(ignoreOwner: Bool = false, ignoreMode: Bool = false, preferredDirectories: [[UInt8]] = []) {
        self.ignoreOwner = ignoreOwner
        self.ignoreMode = ignoreMode
        self.preferredDirectories = preferredDirectories
    }
}
