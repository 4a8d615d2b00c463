/// The identity of an inode: the device it lives on and its inode number.
///
/// Two names with the same `FileID` are hard links to one file; reading either reads the same bytes.
public struct FileID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The device number (`st_dev`) of the filesystem that holds the inode.
    public var device: UInt64
    /// The inode number (`st_ino`).
    public var inode: UInt64

    /// Creates an identity from a device and an inode number.
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public static func < (lhs: FileID, rhs: FileID) -> Bool {
        (lhs.device, lhs.inode) < (rhs.device, rhs.inode)
    }

    public var description: String { "\(device):\(inode)" }
}
