/// What the link planner may link together, and which copy it keeps.
public struct LinkOptions: Sendable, Hashable {
    /// Link copies owned by different users or groups. The kept inode's owner then owns every name.
    public var ignoreOwner: Bool
    /// Link copies with different permission bits (`mode & 0o7777`). The kept inode's permissions
    /// then apply to every name.
    public var ignoreMode: Bool
    /// Raw path prefixes, most preferred first: an inode with a name under one of these
    /// directories is kept rather than replaced. A prefix matches whole path components only.
    public var preferredDirectories: [[UInt8]]

    /// Creates options; by default owner and permissions must match and no directory is preferred.
    public init(ignoreOwner: Bool = false, ignoreMode: Bool = false, preferredDirectories: [[UInt8]] = []) {
        self.ignoreOwner = ignoreOwner
        self.ignoreMode = ignoreMode
        self.preferredDirectories = preferredDirectories
    }
}
