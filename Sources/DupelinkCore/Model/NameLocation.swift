/// Where a file's name is: the directory that holds it and the name's bytes in the `PathTable`.
///
/// What a path is built from, without the rest of a `FileRecord` (its 64-byte status): code that
/// gathers the names of many files copies these 12 bytes, which fit many to a cache line.
struct NameLocation {
    /// The index of the directory that holds the name.
    var directory: Int32
    /// Where the name starts in the table's arena.
    var nameStart: UInt32
    /// The name's length in bytes.
    var nameLength: UInt16

    /// The location of the name of `record`.
    init(_ record: FileRecord) {
        directory = record.directory
        nameStart = record.nameStart
        nameLength = record.nameLength
    }

    /// The range of the name in the table's arena.
    var name: Range<Int> { Int(nameStart)..<Int(nameStart) + Int(nameLength) }
}
