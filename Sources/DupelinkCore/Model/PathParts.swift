
/// A path in its parts, each where it already is: a directory's path, perhaps a slash, a name.
///
/// Compared as the bytes of the whole path would be, without joining them: sorting needs only the
/// first bytes that differ, and building every path to compare it cost an allocation or a copy
/// of it per name.
struct PathParts {
    /// The directory's path.
    var directory: UnsafeBufferPointer<UInt8>
    /// Whether a slash joins the directory's path and the name.
    var slash: Bool
    /// The name.
    var name: UnsafeBufferPointer<UInt8>

    /// Whether the whole path sorts before the whole of `other`, in the order
    /// `[UInt8].lexicographicallyPrecedes` gives: byte by byte as unsigned values, a path before
    /// any longer path it is a prefix of.
    func precedes(_ other: PathParts) -> Bool {
        var offset = 0
        while true {
            let mine = run(from: offset)
            let theirs = other.run(from: offset)
            if mine.isEmpty || theirs.isEmpty { return mine.isEmpty && !theirs.isEmpty }
            guard let left = mine.baseAddress, let right = theirs.baseAddress else { return false }
            let count = min(mine.count, theirs.count)
            let order = compareBytes(left, right, count: count)
            if order != 0 { return order < 0 }
            offset += count
        }
    }

    /// The bytes from `offset` to the end of the part that holds it; empty past the end.
    private func run(from offset: Int) -> UnsafeBufferPointer<UInt8> {
        if offset < directory.count { return UnsafeBufferPointer(rebasing: directory[offset...]) }
        var offset = offset - directory.count
        if slash {
            if offset == 0 {
                let slash: StaticString = "/"
                return UnsafeBufferPointer(start: slash.utf8Start, count: 1)
            }
            offset -= 1
        }
        return offset < name.count ? UnsafeBufferPointer(rebasing: name[offset...]) : UnsafeBufferPointer(start: nil, count: 0)
    }
}
