/// One name of a regular file that the walk found, with the metadata `fstatat` gave for it.
public struct FileRecord: Sendable {
    /// The index of the directory that holds the name, in the walk's `PathTable`.
    public var directory: Int32
    /// Where the name starts in the table's arena.
    var nameStart: UInt32
    /// The name's length in bytes (at most 255 on Linux).
    var nameLength: UInt16
    /// The metadata seen by the walk.
    public var status: FileStatus

    /// Creates a record for a name stored in a `PathTable`.
    init(directory: Int32, nameStart: UInt32, nameLength: UInt16, status: FileStatus) {
        self.directory = directory
        self.nameStart = nameStart
        self.nameLength = nameLength
        self.status = status
    }
}
