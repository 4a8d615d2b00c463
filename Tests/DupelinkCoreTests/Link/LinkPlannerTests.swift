import DupelinkCore
import Glibc
import Testing

/// The planner is pure: these tests build real trees only to get real scans, then check the plan.
@Suite struct LinkPlannerTests {
    /// Sets a file's modification time to `seconds` since the epoch.
    private func setModificationTime(_ tree: LinkTestTree, _ relative: String, seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, tree.path(relative), &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw LinkTestTree.failure("utimensat", tree.path(relative))
        }
    }

    /// The path of the keeper the plan links to for the class holding `relative`.
    private func keeperPath(_ plan: LinkPlan, _ scan: ScanResult, classOf file: Int32) -> String? {
        let classIndex = scan.classes.firstIndex { $0.members.contains { $0.names.contains(file) } }
        return plan.actions.first { $0.classIndex == classIndex }.map { scan.pathString($0.keeper) }
    }

    @Test func plannerPrefersInodeUnderPreferredDirectoryOverOutsideLinks() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 1, count: 4096)
        try tree.write("scan/a/f", content)
        try tree.write("scan/bb/f", content)
        try tree.write("scan/b/f", content)
        // a and bb are held by a snapshot outside the roots, which would otherwise make them keepers;
        // bb also shares the prefix "b" byte-wise but is not under scan/b.
        try tree.link("scan/a/f", "outside-a")
        try tree.link("scan/bb/f", "outside-bb")
        try tree.link("scan/bb/f", "outside-bb2")
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let file = try #require(scan.fileIndex(tree.path("scan/b/f")))

        let preferred = LinkOptions(preferredDirectories: [Array(tree.path("scan/nothing").utf8), Array((tree.path("scan/b") + "/").utf8)])
        let plan = LinkPlanner.plan(scan, options: preferred)
        #expect(keeperPath(plan, scan, classOf: file) == tree.path("scan/b/f"))
        #expect(plan.actions.count == 2)
        // With no preference the inode with the most outside names is kept.
        let plain = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(keeperPath(plain, scan, classOf: file) == tree.path("scan/bb/f"))
    }

    @Test func plannerPrefersEarlierPreferredDirectory() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 2, count: 100)
        try tree.write("scan/first/f", content)
        try tree.write("scan/second/f", content)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let file = try #require(scan.fileIndex(tree.path("scan/first/f")))
        for (order, expected) in [(["second", "first"], "second"), (["first", "second"], "first")] {
            let options = LinkOptions(preferredDirectories: order.map { Array(tree.path("scan/" + $0).utf8) })
            #expect(keeperPath(LinkPlanner.plan(scan, options: options), scan, classOf: file) == tree.path("scan/\(expected)/f"))
        }
    }

    @Test func plannerKeepsMostLinkedThenOldestThenFirstPath() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        // Most links inside the roots: b has two names.
        try tree.write("scan/links/a", LinkTestTree.content(seed: 3, count: 500))
        try tree.write("scan/links/b1", LinkTestTree.content(seed: 3, count: 500))
        try tree.link("scan/links/b1", "scan/links/b2")
        // Oldest content: d is older although it comes later in path order.
        try tree.write("scan/age/c", LinkTestTree.content(seed: 4, count: 500))
        try tree.write("scan/age/d", LinkTestTree.content(seed: 4, count: 500))
        try setModificationTime(tree, "scan/age/c", seconds: 1_700_000_000)
        try setModificationTime(tree, "scan/age/d", seconds: 1_600_000_000)
        // All equal: first path byte-wise.
        try tree.write("scan/path/f", LinkTestTree.content(seed: 5, count: 500))
        try tree.write("scan/path/e", LinkTestTree.content(seed: 5, count: 500))
        try setModificationTime(tree, "scan/path/e", seconds: 1_600_000_000)
        try setModificationTime(tree, "scan/path/f", seconds: 1_600_000_000)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let plan = LinkPlanner.plan(scan, options: LinkOptions())

        #expect(keeperPath(plan, scan, classOf: try #require(scan.fileIndex(tree.path("scan/links/a")))) == tree.path("scan/links/b1"))
        #expect(keeperPath(plan, scan, classOf: try #require(scan.fileIndex(tree.path("scan/age/c")))) == tree.path("scan/age/d"))
        #expect(keeperPath(plan, scan, classOf: try #require(scan.fileIndex(tree.path("scan/path/f")))) == tree.path("scan/path/e"))
    }

    @Test func plannerBreaksTiesByFirstPathBytesWhateverTheMemberOrder() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        // Three inodes of two names each, equal in everything but their paths; `a-b` sorts before
        // `a/b` byte-wise ('-' is 0x2D, '/' 0x2F), and its second name sorts last.
        let content = LinkTestTree.content(seed: 6, count: 700)
        try tree.write("scan/a/b", content)
        try tree.write("scan/a-b", content)
        try tree.write("scan/c", content)
        try tree.link("scan/a-b", "scan/z")
        try tree.link("scan/a/b", "scan/x")
        try tree.link("scan/c", "scan/y")
        for relative in ["scan/a/b", "scan/a-b", "scan/c"] {
            try setModificationTime(tree, relative, seconds: 1_600_000_000)
        }
        var scan = try LinkTestScan.scan([tree.path("scan")])
        let file = try #require(scan.fileIndex(tree.path("scan/a/b")))
        #expect(scan.classes.count == 1)
        // Members in every order the planner could be handed: it ranks them the same way.
        let members = scan.classes[0].members
        for rotation in members.indices {
            for reversed in [false, true] {
                let rotated = Array(members[rotation...] + members[..<rotation])
                scan.classes[0].members = reversed ? rotated.reversed() : rotated
                let plan = LinkPlanner.plan(scan, options: LinkOptions())
                #expect(keeperPath(plan, scan, classOf: file) == tree.path("scan/a-b"))
                let replaced = plan.actions.map { scan.pathString($0.duplicate) }
                #expect(replaced == ["scan/a/b", "scan/x", "scan/c", "scan/y"].map { tree.path($0) })
            }
        }
    }

    @Test func plannerCountsBytesOncePerInodeAndNotForOutsideLinks() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        // Already one inode: nothing to reclaim.
        try tree.write("scan/one1", LinkTestTree.content(seed: 6, count: 700))
        try tree.link("scan/one1", "scan/one2")
        // A duplicate inode with three names frees its bytes once, on its last name.
        try tree.write("scan/keep", LinkTestTree.content(seed: 7, count: 1000))
        try tree.link("scan/keep", "scan/keep2")
        try tree.link("scan/keep", "scan/keep3")
        try tree.write("scan/dup1", LinkTestTree.content(seed: 7, count: 1000))
        try tree.link("scan/dup1", "scan/dup2")
        // A duplicate also named outside the roots frees nothing.
        try tree.write("scan/held1", LinkTestTree.content(seed: 8, count: 300))
        try tree.link("scan/held1", "outside-held1")
        try tree.write("scan/held2", LinkTestTree.content(seed: 8, count: 300))
        try tree.link("scan/held2", "outside-held2")
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let plan = LinkPlanner.plan(scan, options: LinkOptions())

        // Freed bytes are counted by blocks (what df shows), the size beside them.
        let dupBlocks = try tree.allocatedBytes("scan/dup1")
        #expect(plan.reclaimableBytes == dupBlocks)
        #expect(plan.apparentReclaimableBytes == 1000)
        #expect(plan.refusals.isEmpty)
        let dupActions = plan.actions.filter { scan.pathString($0.duplicate).hasPrefix(tree.path("scan/dup")) }
        #expect(dupActions.map(\.bytesFreed) == [0, dupBlocks])
        #expect(dupActions.map(\.apparentBytesFreed) == [0, 1000])
        #expect(!plan.actions.contains { scan.pathString($0.duplicate).hasPrefix(tree.path("scan/one")) })
        #expect(plan.actions.filter { scan.pathString($0.duplicate).contains("held") }.map(\.bytesFreed) == [0])
    }

    @Test func plannerRefusesLoneMemberAgainstKeeperOfLargestPartition() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 9, count: 2048)
        try tree.write("scan/p1", content, mode: 0o644)
        try tree.write("scan/p2", content, mode: 0o644)
        try tree.write("scan/p3", content, mode: 0o644)
        try tree.write("scan/q", content, mode: 0o600)
        let scan = try LinkTestScan.scan([tree.path("scan")])

        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(plan.actions.count == 2)
        #expect(plan.actions.allSatisfy { scan.pathString($0.keeper) == tree.path("scan/p1") })
        let refusal = try #require(plan.refusals.first)
        #expect(plan.refusals.count == 1)
        #expect(refusal.reason == .modeDiffers)
        #expect(scan.pathString(refusal.file) == tree.path("scan/q"))
        #expect(scan.pathString(refusal.reference) == tree.path("scan/p1"))
        // By blocks: 2048 bytes occupy one filesystem block each.
        let blocks = try tree.allocatedBytes("scan/q")
        #expect(refusal.bytes == blocks)
        #expect(plan.refusedBytes == blocks)
        #expect(plan.reclaimableBytes == 2 * blocks)
        #expect(plan.apparentReclaimableBytes == 2 * 2048)
        #expect(refusal.diagnostic(in: scan).error.code == .refused)

        // --ignore-mode never hands the private 0600 file's name to an inode others can read.
        let ignoring = LinkPlanner.plan(scan, options: LinkOptions(ignoreMode: true))
        #expect(ignoring.actions.count == 2)
        #expect(ignoring.refusals.map(\.reason) == [.accessWidens])
        #expect(ignoring.refusals.first?.detail?.contains("others could read it") == true)
        #expect(ignoring.reclaimableBytes == 2 * blocks)
    }

    @Test func dedupePlanIgnoresOwnerAndModeAndSharesEachDuplicateInodeOnce() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 11, count: 4096)
        try tree.write("scan/a", content, mode: 0o644)
        try tree.write("scan/b", content, mode: 0o600)
        try tree.write("scan/c", content, mode: 0o644)
        try tree.link("scan/c", "scan/c2")
        try tree.link("scan/c", "outside-c")
        let scan = try LinkTestScan.scan([tree.path("scan")])

        // link refuses the 0600 copy; dedupe changes no mode, so it does not.
        #expect(LinkPlanner.plan(scan, options: LinkOptions()).refusals.map(\.reason) == [.modeDiffers])
        var options = LinkOptions()
        options.sharesExtents = true
        let plan = LinkPlanner.plan(scan, options: options)
        #expect(plan.refusals.isEmpty)
        // One action per duplicate inode, on its first name, for its whole size: blocks are
        // shared even when the inode has a name outside the roots.
        #expect(plan.actions.count == 2)
        #expect(Set(plan.actions.map(\.duplicateMember)).count == 2)
        #expect(plan.actions.allSatisfy { $0.bytesFreed == 4096 })
        #expect(plan.reclaimableBytes == 2 * 4096)
    }

    @Test func ignoreModeLinksWhenTheKeptModeNarrowsAccess() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 19, count: 2048)
        try tree.write("scan/p1", content, mode: 0o644)
        try tree.write("scan/p2", content, mode: 0o644)
        try tree.write("scan/q", content, mode: 0o664)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let ignoring = LinkPlanner.plan(scan, options: LinkOptions(ignoreMode: true))
        #expect(ignoring.actions.count == 2)
        #expect(ignoring.refusals.isEmpty)
        #expect(ignoring.reclaimableBytes == 2 * (try tree.allocatedBytes("scan/q")))
        #expect(ignoring.apparentReclaimableBytes == 2 * 2048)
    }
}
