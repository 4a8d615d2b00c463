import DupelinkCore
import Testing

/// The arithmetic of shared physical ranges, on hand-written extent maps.
@Suite struct SharedExtentsTests {
    private func extent(_ physical: UInt64, _ length: UInt64, _ flags: ExtentFlags = .shared, at logical: UInt64 = 0) -> FileExtent {
        FileExtent(logical: logical, physical: physical, length: length, flags: flags)
    }

    @Test func onlySharedExtentsWithARealPhysicalRangeCount() {
        let extents = [
            extent(0, 4096),
            extent(8192, 4096, []),
            extent(16384, 4096, [.shared, .unknown, .delayedAllocation]),
            extent(24576, 4096, [.shared, .encoded]),
            extent(32768, 4096, [.shared, .notAligned, .inline]),
            extent(40960, 4096, [.shared, .notAligned, .tail]),
            extent(49152, 4096, [.shared, .encoded, .encrypted]),
            extent(57344, 4096, [.shared, .unwritten]),
            extent(61440, 4096, [.shared, .merged, .last]),
        ]
        let shared = SharedExtents(extents: extents)
        // The first, and the unwritten and merged ones (adjacent: one range).
        #expect(shared.ranges == [0..<4096, 57344..<65536])
        #expect(shared.byteCount == 3 * 4096)
    }

    @Test func rangesAreMergedAndOverlapsCountedOnce() {
        let a = SharedExtents(ranges: [100..<200, 0..<50, 150..<300, 300..<310])
        #expect(a.ranges == [0..<50, 100..<310])
        let b = SharedExtents(ranges: [40..<120, 305..<400])
        #expect(a.overlap(with: b) == 10 + 20 + 5)
        #expect(b.overlap(with: a) == a.overlap(with: b))
        #expect(a.overlap(with: SharedExtents()) == 0)
        var union = a
        union.formUnion(b)
        #expect(union.ranges == [0..<400])
    }

    @Test func theCatalogFormRoundTripsAndRejectsGarbage() {
        let extents = SharedExtents(ranges: [0..<4096, 1 << 40..<(1 << 40) + 65536])
        #expect(SharedExtents(encoded: extents.encoded) == extents)
        #expect(SharedExtents(encoded: []) == SharedExtents())
        #expect(SharedExtents(encoded: Array(extents.encoded.dropLast())) == nil)
        // A range that ends before it starts.
        var backwards = [UInt8](repeating: 0, count: 16)
        backwards[0] = 9
        #expect(SharedExtents(encoded: backwards) == nil)
    }
}
