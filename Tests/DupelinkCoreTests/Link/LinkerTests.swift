@_spi(Stages) @testable import DupelinkCore
import CLinux
import Foundation
import Glibc
import Testing

/// Tests that run the linker on real trees. Serialized: one of them raises the process-wide
/// cancellation flag, which would stop the others.
@Suite(.serialized) struct LinkerTests {
    /// What must not change about a name when it is left alone.
    struct Snapshot: Hashable, CustomStringConvertible {
        var inode: UInt64
        var linkCount: UInt64
        var size: Int64
        var modificationTime: Int64
        var changeTime: Int64

        init(_ raw: stat) {
            inode = UInt64(raw.st_ino)
            linkCount = UInt64(raw.st_nlink)
            size = Int64(raw.st_size)
            modificationTime = Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec)
            changeTime = Int64(raw.st_ctim.tv_sec) * 1_000_000_000 + Int64(raw.st_ctim.tv_nsec)
        }

        var description: String { "ino \(inode) nlink \(linkCount) size \(size) mtime \(modificationTime) ctime \(changeTime)" }
    }

    /// Snapshots of every entry of the tree, by relative path.
    static func snapshots(_ tree: LinkTestTree) throws -> [String: Snapshot] {
        var result: [String: Snapshot] = [:]
        for entry in try tree.entries() { result[entry] = Snapshot(try tree.status(entry)) }
        return result
    }

    static func inode(_ tree: LinkTestTree, _ relative: String) throws -> UInt64 { UInt64(try tree.status(relative).st_ino) }

    /// Plans and executes.
    static func link(
        _ scan: ScanResult, options: LinkOptions = LinkOptions(), dryRun: Bool = false, linker: Linker = Linker()
    ) -> (plan: LinkPlan, outcome: LinkOutcome) {
        let plan = LinkPlanner.plan(scan, options: options)
        return (plan, linker.execute(plan, scan: scan, dryRun: dryRun))
    }

    /// The skipped diagnostics as (code, path) pairs, for comparison.
    static func skips(_ outcome: LinkOutcome) -> [(code: DupelinkError.Code, path: String)] {
        outcome.skipped.map { ($0.error.code, $0.error.displayPath) }
    }

    @Test func reclaimableBytesEqualBytesActuallyFreed() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        // x: two inodes, one of them with two names already; the two-name inode is kept.
        try tree.write("scan/x1", LinkTestTree.content(seed: 10, count: 3000))
        try tree.write("scan/x2", LinkTestTree.content(seed: 10, count: 3000))
        try tree.link("scan/x2", "scan/sub/x3")
        // y: y1 is also linked from a snapshot folder that is not scanned, so it is kept.
        try tree.write("scan/y2", LinkTestTree.content(seed: 11, count: 5000))
        try tree.write("scan/y1", LinkTestTree.content(seed: 11, count: 5000))
        try tree.write("scan/sub/y3", LinkTestTree.content(seed: 11, count: 5000))
        try tree.makeDirectory("snapshot")
        try tree.link("scan/y1", "snapshot/y1")
        // z: already one inode.
        try tree.write("scan/z1", LinkTestTree.content(seed: 12, count: 700))
        try tree.link("scan/z1", "scan/sub/z2")
        // v: both inodes are held outside; replacing one frees nothing.
        try tree.write("scan/v1", LinkTestTree.content(seed: 13, count: 900))
        try tree.write("scan/v2", LinkTestTree.content(seed: 13, count: 900))
        try tree.link("scan/v1", "snapshot/v1")
        try tree.link("scan/v2", "snapshot/v2")
        let y1 = try Self.inode(tree, "scan/y1")
        let contents = try Dictionary(uniqueKeysWithValues: tree.entries().map { ($0, try tree.read($0)) })
        // Freed inodes: x1 and two of the y files, counted by their blocks (what df shows).
        let expected = try tree.allocatedBytes("scan/x1") + tree.allocatedBytes("scan/y2") + tree.allocatedBytes("scan/sub/y3")
        let before = try tree.distinctInodeAllocatedBytes(under: ["scan", "snapshot"])
        let apparentBefore = try tree.distinctInodeBytes(under: ["scan", "snapshot"])

        let scan = try LinkTestScan.scan([tree.path("scan")])
        let (plan, outcome) = Self.link(scan)
        let after = try tree.distinctInodeAllocatedBytes(under: ["scan", "snapshot"])

        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(plan.reclaimableBytes == expected)
        #expect(plan.apparentReclaimableBytes == 3000 + 2 * 5000)
        #expect(before - after == plan.reclaimableBytes)
        #expect(try apparentBefore - tree.distinctInodeBytes(under: ["scan", "snapshot"]) == plan.apparentReclaimableBytes)
        #expect(outcome.bytesFreed == plan.reclaimableBytes)
        #expect(outcome.apparentBytesFreed == plan.apparentReclaimableBytes)
        #expect(outcome.replacements.count == plan.actions.count)
        // The inode with the outside name is the keeper, and still the one the snapshot holds.
        #expect(try Self.inode(tree, "scan/y2") == y1)
        #expect(try Self.inode(tree, "scan/sub/y3") == y1)
        #expect(try Self.inode(tree, "snapshot/y1") == y1)
        #expect(try Self.inode(tree, "scan/x1") == Self.inode(tree, "scan/x2"))
        #expect(try Self.inode(tree, "scan/v1") == Self.inode(tree, "scan/v2"))
        for (entry, content) in contents {
            #expect(try tree.read(entry) == content, "\(entry)")
        }
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func linkReplacesEveryNameOfMultiNameDuplicateCarryingSnapshotsForward() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 14, count: 10_000)
        try tree.write("scan/a-keep", content)
        try tree.link("scan/a-keep", "scan/a-keep-2")
        try tree.link("scan/a-keep", "scan/a-keep-3")
        // One duplicate inode with two names, then five single duplicates: every link changes
        // the keeper's ctime and link count, every replaced name the duplicate's.
        try tree.write("scan/b-dup", content)
        try tree.link("scan/b-dup", "scan/sub/b-dup-2")
        for index in 0..<5 { try tree.write("scan/c-\(index)", content) }
        let keeper = try Self.inode(tree, "scan/a-keep")
        let blocks = try tree.allocatedBytes("scan/b-dup")
        let before = try tree.distinctInodeAllocatedBytes(under: ["scan"])

        let scan = try LinkTestScan.scan([tree.path("scan")])
        let (plan, outcome) = Self.link(scan)

        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(plan.actions.count == 7)
        #expect(outcome.replacements.count == 7)
        #expect(outcome.replacements.filter { $0.bytesFreed > 0 }.count == 6)
        #expect(try before - tree.distinctInodeAllocatedBytes(under: ["scan"]) == 6 * blocks)
        #expect(outcome.bytesFreed == 6 * blocks)
        #expect(outcome.apparentBytesFreed == 6 * 10_000)
        for entry in try tree.entries(under: "scan") {
            #expect(try Self.inode(tree, entry) == keeper, "\(entry)")
            #expect(try tree.read(entry) == content)
        }
        #expect(try tree.status("scan/a-keep").st_nlink == 10)
    }

    @Test func dryRunChangesNothing() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        for index in 0..<20 {
            let content = LinkTestTree.content(seed: 100 + index % 5, count: 1000 + index % 5)
            try tree.write("scan/d\(index % 3)/f\(index)", content)
        }
        try tree.link("scan/d0/f0", "scan/d1/f0-link")
        let before = try Self.snapshots(tree)

        let scan = try LinkTestScan.scan([tree.path("scan")])
        let (plan, outcome) = Self.link(scan, dryRun: true)

        #expect(try Self.snapshots(tree) == before)
        #expect(outcome.isDryRun)
        #expect(outcome.skipped.isEmpty)
        #expect(plan.actions.count == 15)
        #expect(outcome.replacements.map(\.duplicate) == plan.actions.map(\.duplicate))
        #expect(outcome.bytesFreed == plan.reclaimableBytes)
    }

    @Test func linkRefusesDifferentOwnerUnlessIgnored() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 15, count: 4000)
        // Read-only copies: handing nobody's name to root's inode takes nothing from nobody.
        try tree.write("scan/mine", content, mode: 0o444)
        try tree.write("scan/nobody", content, mode: 0o444)
        guard chown(tree.path("scan/nobody"), 65534, 65534) == 0 else {
            try Test.cancel("cannot chown to 65534 (tests are not running as root)")
        }
        let before = try Self.snapshots(tree)

        let scan = try LinkTestScan.scan([tree.path("scan")])
        let (plan, outcome) = Self.link(scan)
        #expect(plan.actions.isEmpty)
        #expect(plan.refusals.map(\.reason) == [.ownerDiffers])
        #expect(plan.refusedBytes == (try tree.allocatedBytes("scan/nobody")))
        #expect(outcome.replacements.isEmpty)
        #expect(try Self.snapshots(tree) == before)

        let (ignoringPlan, ignoringOutcome) = Self.link(scan, options: LinkOptions(ignoreOwner: true))
        #expect(ignoringPlan.refusals.isEmpty)
        #expect(ignoringOutcome.replacements.count == 1)
        #expect(ignoringOutcome.skipped.isEmpty, "\(ignoringOutcome.skipped)")
        #expect(try Self.inode(tree, "scan/mine") == Self.inode(tree, "scan/nobody"))
        #expect(try tree.read("scan/nobody") == content)
    }

    @Test func linkRefusesDifferentModeUnlessIgnored() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 16, count: 4000)
        // The group-writable copy's name goes to the 0644 inode: access narrows, which is allowed.
        try tree.write("scan/public", content, mode: 0o644)
        try tree.write("scan/private", content, mode: 0o664)
        // The 0644 copy must be the older, so it is kept: written within one timestamp tick, the
        // two would tie, and the path order would keep the 0664 one.
        var old = [timespec(tv_sec: 946_684_800, tv_nsec: 0), timespec(tv_sec: 946_684_800, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, tree.path("scan/public"), &old, 0) == 0 else {
            throw LinkTestTree.failure("utimensat", tree.path("scan/public"))
        }
        let before = try Self.snapshots(tree)

        let scan = try LinkTestScan.scan([tree.path("scan")])
        let (plan, outcome) = Self.link(scan)
        #expect(plan.actions.isEmpty)
        #expect(plan.refusals.map(\.reason) == [.modeDiffers])
        #expect(outcome.replacements.isEmpty)
        #expect(try Self.snapshots(tree) == before)

        let (ignoringPlan, ignoringOutcome) = Self.link(scan, options: LinkOptions(ignoreMode: true))
        #expect(ignoringPlan.refusals.isEmpty)
        #expect(ignoringOutcome.replacements.count == 1)
        #expect(ignoringOutcome.skipped.isEmpty, "\(ignoringOutcome.skipped)")
        #expect(try Self.inode(tree, "scan/public") == Self.inode(tree, "scan/private"))
    }

    @Test func linkStopsBetweenActionsWhenCancelled() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 17, count: 100)
        for index in 0..<4 { try tree.write("scan/f\(index)", content) }
        let before = try Self.snapshots(tree)
        let scan = try LinkTestScan.scan([tree.path("scan")])

        dl_request_cancel(SIGINT)
        defer { Cancellation.reset() }
        let (plan, outcome) = Self.link(scan)
        Cancellation.reset()

        #expect(plan.actions.count == 3)
        #expect(outcome.wasCancelled)
        #expect(outcome.replacements.isEmpty)
        #expect(try Self.snapshots(tree) == before)
    }

    @Test func linkFinishesCurrentReplacementWhenCancelledMidway() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 18, count: 100)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        for index in 0..<3 { try tree.write("scan/later\(index)", content) }
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let laterBefore = try Self.snapshots(tree).filter { $0.key.contains("later") }
        // SIGINT arrives in the middle of the first replacement.
        var linker = Linker()
        linker.beforeSwap = { _ in dl_request_cancel(SIGINT) }
        defer { Cancellation.reset() }

        let (plan, outcome) = Self.link(scan, linker: linker)
        Cancellation.reset()

        #expect(plan.actions.count == 4)
        #expect(outcome.wasCancelled)
        #expect(outcome.replacements.map { scan.pathString($0.duplicate) } == [tree.path("scan/dup")])
        #expect(try Self.inode(tree, "scan/dup") == Self.inode(tree, "scan/keep"))
        #expect(try Self.snapshots(tree).filter { $0.key.contains("later") } == laterBefore)
        #expect(try tree.temporaryNames().isEmpty)
    }
}
