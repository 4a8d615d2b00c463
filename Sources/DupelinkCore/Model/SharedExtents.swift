/// The physical ranges of a file's data that its filesystem reported shared (`FIEMAP_EXTENT_SHARED`):
/// blocks another file, a snapshot or a reflinked copy uses too.
///
/// Which extents count, and why: only those flagged `shared` whose physical range is what it says.
/// An extent flagged `unknown` or `delayedAllocation` has no physical address yet; an `encoded`
/// (compressed, encrypted) one does not take `length` bytes from `physical` on disk; a
/// `notAligned`, `inline` or `tail` one lies in metadata or beside other files' data. Leaving them
/// out can only make dupelink count fewer bytes as already shared, never more: its reclaimable
/// figures then stay what they were without shared extents. `unwritten` (preallocated) and
/// `merged` extents have real physical ranges and count.
///
/// Ranges are kept sorted, disjoint and merged; each is bytes on the filesystem's device (btrfs:
/// its logical address space), so two files' ranges compare only within one filesystem.
public struct SharedExtents: Hashable, Sendable {
    /// The ranges, sorted by start, disjoint and not adjacent.
    public private(set) var ranges: [Range<UInt64>]

    /// The flags that make an extent's physical range unusable for counting shared bytes.
    static let uncountable: ExtentFlags = [.unknown, .delayedAllocation, .encoded, .encrypted, .notAligned, .inline, .tail]

    /// No shared range.
    public init() { ranges = [] }

    /// The union of `ranges`, in any order, overlapping or not.
    public init(ranges: [Range<UInt64>]) {
        self.ranges = Self.normalized(ranges)
    }

    /// The countable shared extents of a file's extent map (see the type's description).
    package init(extents: [FileExtent]) {
        self.init(ranges: extents.compactMap { extent in
            guard extent.flags.contains(.shared), extent.flags.isDisjoint(with: Self.uncountable), extent.length > 0
            else { return nil }
            let (end, overflow) = extent.physical.addingReportingOverflow(extent.length)
            return overflow ? nil : extent.physical..<end
        })
    }

    /// Whether no range is shared.
    public var isEmpty: Bool { ranges.isEmpty }

    /// The bytes in all ranges.
    public var byteCount: Int64 { ranges.reduce(0) { $0 + Int64(clamping: $1.count) } }

    /// The bytes that lie in both `self` and `other`: blocks the two files (or the two sets of
    /// files) use in common.
    public func overlap(with other: SharedExtents) -> Int64 {
        var total: Int64 = 0
        var i = 0
        var j = 0
        while i < ranges.count && j < other.ranges.count {
            let a = ranges[i]
            let b = other.ranges[j]
            let low = max(a.lowerBound, b.lowerBound)
            let high = min(a.upperBound, b.upperBound)
            if low < high { total += Int64(clamping: high - low) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return total
    }

    /// Adds `other`'s ranges to these.
    public mutating func formUnion(_ other: SharedExtents) {
        guard !other.isEmpty else { return }
        ranges = Self.normalized(ranges + other.ranges)
    }

    /// The form the catalog stores: each range as its start and end, 8 bytes little-endian each.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ranges.count * 16)
        for range in ranges {
            withUnsafeBytes(of: range.lowerBound.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: range.upperBound.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Decodes `encoded`'s form; nil when it is not one (a length not a multiple of 16, or a
    /// range that ends before it starts).
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count % 16 == 0 else { return nil }
        var decoded: [Range<UInt64>] = []
        decoded.reserveCapacity(bytes.count / 16)
        var offset = 0
        while offset < bytes.count {
            var low: UInt64 = 0
            var high: UInt64 = 0
            for byte in 0..<8 {
                low |= UInt64(bytes[offset + byte]) << (8 * byte)
                high |= UInt64(bytes[offset + 8 + byte]) << (8 * byte)
            }
            guard low <= high else { return nil }
            decoded.append(low..<high)
            offset += 16
        }
        self.init(ranges: decoded)
    }

    private static func normalized(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        let sorted = ranges.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var result: [Range<UInt64>] = []
        result.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
