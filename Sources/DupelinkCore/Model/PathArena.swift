import Glibc

/// The full paths of many files laid end to end in one buffer, each built once, then compared by
/// number.
///
/// Sorting by `PathTable.path(ofFile:)` inside a comparator built two fresh paths, each with an
/// array of its directories, for every comparison. Here each path is built once, from
/// `DirectoryPaths`, and compared in place, in the order `[UInt8].lexicographicallyPrecedes` gives:
/// byte by byte as unsigned values, a path before any longer path it is a prefix of.
struct PathArena {
    private var bytes: [UInt8] = []
    /// Where each path ends in `bytes`; it starts where the previous one ends.
    private var ends: [Int] = []

    /// Builds the paths of every name in `classes`, numbered in order of class, member and name.
    init(table: PathTable, files: [FileRecord], namesIn classes: [DuplicateClass]) {
        // The records first, in a loop that does nothing else: they are scattered over the walk's
        // array, and this way the processor fetches many at once instead of one per path built.
        var records: [FileRecord] = []
        records.reserveCapacity(classes.reduce(0) { $0 + $1.nameCount })
        for duplicateClass in classes {
            for member in duplicateClass.members {
                for name in member.names { records.append(files[Int(name)]) }
            }
        }
        var directories = DirectoryPaths(table: table)
        ends.reserveCapacity(records.count)
        for record in records {
            directories.appendPath(ofFile: record, to: &bytes)
            ends.append(bytes.count)
        }
    }

    /// The number of paths.
    var count: Int { ends.count }

    /// Calls `body` with a function that tells whether path number `left` sorts before path
    /// number `right`; it holds the buffers open, so that comparisons do not copy or retain them.
    func withComparator<R>(_ body: ((_ left: Int, _ right: Int) -> Bool) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { bytes in
            try ends.withUnsafeBufferPointer { ends in
                try body { left, right in
                    let leftStart = left == 0 ? 0 : ends[left - 1]
                    let rightStart = right == 0 ? 0 : ends[right - 1]
                    let leftCount = ends[left] - leftStart
                    let rightCount = ends[right] - rightStart
                    guard let base = bytes.baseAddress else { return leftCount < rightCount }
                    let order = memcmp(base + leftStart, base + rightStart, min(leftCount, rightCount))
                    return order != 0 ? order < 0 : leftCount < rightCount
                }
            }
        }
    }
}
