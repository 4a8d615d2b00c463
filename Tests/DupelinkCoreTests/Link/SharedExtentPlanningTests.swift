import DupelinkCore
import Testing

/// The planner leaves out of what it counts freed the blocks a duplicate already shares with its
/// class: real trees for real scans, hand-written extents for what FIEMAP would say.
@Suite struct SharedExtentPlanningTests {
    /// A class of `count` copies of 64 KiB, each its own inode, scanned for real.
    private func scan(copies count: Int) throws -> (LinkTestTree, ScanResult) {
        let tree = try LinkTestTree()
        let content = LinkTestTree.content(seed: 14, count: 65536)
        for index in 0..<count { try tree.write("scan/\(index)", content) }
        let scan = try LinkTestScan.scan([tree.path("scan")])
        try #require(scan.classes.count == 1 && scan.classes[0].members.count == count)
        return (tree, scan)
    }

    @Test func aDuplicateSharingEveryBlockWithItsKeeperFreesNothing() throws {
        let (tree, scanned) = try scan(copies: 2)
        defer { tree.remove() }
        var scan = scanned
        let allocated = scan.classes[0].members[1].status.allocatedBytes
        let extents = SharedExtents(ranges: [1_000_000..<1_000_000 + UInt64(allocated)])
        scan.classes[0].members[0].sharedExtents = extents
        scan.classes[0].members[1].sharedExtents = extents

        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(plan.reclaimableBytes == 0)
        #expect(plan.apparentReclaimableBytes == 0)
        #expect(plan.alreadySharedBytes == allocated)
        #expect(plan.alreadySharedByClass(classCount: 1) == [allocated])
        #expect(plan.actions.count == 1, "the name is still linked: one inode is what link makes")
    }

    @Test func onlyTheRangesInTheKeepersExtentsCount() throws {
        let (tree, scanned) = try scan(copies: 2)
        defer { tree.remove() }
        var scan = scanned
        let allocated = scan.classes[0].members[1].status.allocatedBytes
        // The duplicate's first half is the keeper's; its second half is shared with something
        // else (a snapshot): that still counts as freed.
        let half = UInt64(allocated / 2)
        scan.classes[0].members[0].sharedExtents = SharedExtents(ranges: [0..<half])
        scan.classes[0].members[1].sharedExtents = SharedExtents(ranges: [0..<half, 10_000_000..<10_000_000 + half])

        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(plan.alreadySharedBytes == Int64(half))
        #expect(plan.reclaimableBytes == allocated - Int64(half))
    }

    @Test func blocksTwoDuplicatesShareAreCountedFreedOnce() throws {
        let (tree, scanned) = try scan(copies: 3)
        defer { tree.remove() }
        var scan = scanned
        let allocated = scan.classes[0].members[1].status.allocatedBytes
        // The keeper is a copy of its own; the two duplicates are reflinks of each other.
        let together = SharedExtents(ranges: [5_000_000..<5_000_000 + UInt64(allocated)])
        scan.classes[0].members[1].sharedExtents = together
        scan.classes[0].members[2].sharedExtents = together

        var dedupe = LinkOptions()
        dedupe.sharesExtents = true
        for options in [LinkOptions(), dedupe] {
            let plan = LinkPlanner.plan(scan, options: options)
            let freed = options.sharesExtents ? scan.classes[0].size : allocated
            #expect(plan.reclaimableBytes == freed, "sharesExtents \(options.sharesExtents)")
            #expect(plan.alreadySharedBytes == freed)
        }
    }

    @Test func aDuplicateWhoseKeeperWasNotMappedSharesNothing() throws {
        let (tree, scanned) = try scan(copies: 2)
        defer { tree.remove() }
        var scan = scanned
        let allocated = scan.classes[0].members[1].status.allocatedBytes
        scan.classes[0].members[1].sharedExtents = SharedExtents(ranges: [0..<UInt64(allocated)])
        // Nothing of the keeper's is known: nothing is already shared.
        #expect(LinkPlanner.plan(scan, options: LinkOptions()).reclaimableBytes == allocated)
    }
}
