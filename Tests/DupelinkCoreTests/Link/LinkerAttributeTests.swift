@_spi(Stages) @testable import DupelinkCore
import CLinux
import Foundation
import Glibc
import Testing

/// The linker compares attributes itself, on the descriptors it is about to link, whatever the
/// plan knew: a plan from a scan that never read them (an old saved scan, a hand-built one) still
/// never gives a name another file's attributes.
extension LinkerTests {
    @Test func linkerRefusesDifferingAttributesThatThePlanDidNotKnow() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 61, count: 6000)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        #expect(setxattr(tree.path("scan/dup"), "user.origin", "camera", 6, 0) == 0)
        var scan = try LinkTestScan.scan([tree.path("scan")])
        for c in scan.classes.indices {
            for m in scan.classes[c].members.indices { scan.classes[c].members[m].attributes = .unknown }
        }
        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(plan.actions.count == 1, "the plan cannot tell the files apart")
        let outcome = Linker().execute(plan, scan: scan, dryRun: false)
        #expect(outcome.replacements.isEmpty)
        #expect(outcome.skipped.map(\.error.code) == [.refused])
        #expect(outcome.skipped.first?.error.description.contains("extended attributes differ (user.origin)") == true)
        #expect(try tree.status("scan/dup").st_ino != tree.status("scan/keep").st_ino)
        #expect(getxattr(tree.path("scan/dup"), "user.origin", nil, 0) == 6)

        // With user.* relaxed the same plan links.
        let relaxed = LinkPlanner.plan(scan, options: { var o = LinkOptions(); o.ignoreUserAttributes = true; return o }())
        #expect(Linker().execute(relaxed, scan: scan, dryRun: false).replacements.count == 1)
        #expect(try tree.status("scan/dup").st_ino == tree.status("scan/keep").st_ino)
    }

    @Test func attributesReadByTheScanSplitAClassIntoLinkableSets() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 62, count: 6000)
        for name in ["a1", "a2", "b1", "b2"] { try tree.write("scan/\(name)", content) }
        for name in ["b1", "b2"] { #expect(setxattr(tree.path("scan/\(name)"), "user.set", "b", 1, 0) == 0) }
        let scan = try Pipeline(options: ScanOptions()).scan(roots: [Array(tree.path("scan").utf8)])
        #expect(scan.classes.count == 1 && scan.classes[0].members.count == 4)
        #expect(scan.statistics.filesAttributesRead == 4)
        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        #expect(plan.actions.count == 2 && plan.refusals.isEmpty)
        _ = Linker().execute(plan, scan: scan, dryRun: false)
        #expect(try tree.status("scan/a1").st_ino == tree.status("scan/a2").st_ino)
        #expect(try tree.status("scan/b1").st_ino == tree.status("scan/b2").st_ino)
        #expect(try tree.status("scan/a1").st_ino != tree.status("scan/b1").st_ino)
    }
}
