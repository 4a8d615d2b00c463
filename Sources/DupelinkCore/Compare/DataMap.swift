import SystemPackage

/// Where a sparse file's data lies, as its filesystem reports it (`SEEK_DATA`, `SEEK_HOLE`):
/// every byte outside `extents` is in a hole, and a hole reads as zeros.
///
/// The comparers use it to skip reading holes: a range that lies wholly in a hole is compared
/// and hashed as the zeros a read would have returned, so the result is exactly that of reading
/// every byte (a hole equals zeros written out; two files compare equal whatever their maps). Only
/// files with fewer blocks allocated than their size are mapped, so dense files pay nothing.
/// A map is a snapshot: a file written after it was taken is caught by the fingerprint checks
/// that follow every read (size, modification and change time), as with any read.
struct DataMap: Sendable {
    /// The ranges holding data, ascending and disjoint, within `0..<size`.
    private(set) var extents: [Range<Int64>]
    /// The size the map covers: the file's size when it was mapped.
    let size: Int64

    /// The most extents kept; the rest of a file more fragmented than that is taken as data
    /// (read as usual), so a pathological file costs no more memory than 1 MiB of ranges.
    static let extentLimit = 1 << 16

    /// Builds a map from its extents (tests, and `map(of:status:)`).
    init(extents: [Range<Int64>], size: Int64) {
        self.extents = extents
        self.size = size
    }

    /// The map of an open file whose status is `status`, or nil when the file has no holes to
    /// skip: it is not sparse (`st_blocks` × 512 at least its size), the filesystem reports it
    /// all as data, or asking failed (then everything is read, as for any file).
    ///
    /// Touches the disk: asks the filesystem for the file's extents, reads no content.
    static func map(of descriptor: FileDescriptor, status: FileStatus) -> DataMap? {
        guard status.mayHaveHoles, status.size > 0 else { return nil }
        let size = status.size
        var extents: [Range<Int64>] = []
        var position: Int64 = 0
        do {
            while position < size {
                guard let start = try Syscalls.seek(descriptor, toNext: .data, from: position), start < size else { break }
                if extents.count == extentLimit {
                    extents.append(start..<size)
                    break
                }
                let end = min(try Syscalls.seek(descriptor, toNext: .hole, from: start) ?? size, size)
                guard end > start else { return nil }
                extents.append(start..<end)
                position = end
            }
        } catch {
            return nil
        }
        if extents == [0..<size] { return nil }
        return DataMap(extents: extents, size: size)
    }

    /// Whether `range` lies wholly in holes: reading it would return only zeros. A range reaching
    /// past `size` is not (the file may have grown; it is read).
    func isHole(_ range: Range<Int64>) -> Bool {
        guard range.upperBound <= size else { return false }
        // The first extent that ends after the range starts.
        var low = 0
        var high = extents.count
        while low < high {
            let middle = (low + high) / 2
            if extents[middle].upperBound <= range.lowerBound { low = middle + 1 } else { high = middle }
        }
        return low == extents.count || extents[low].lowerBound >= range.upperBound
    }

    /// The bytes of the file that hold data.
    var dataBytes: Int64 { extents.reduce(0) { $0 + Int64($1.count) } }
}
