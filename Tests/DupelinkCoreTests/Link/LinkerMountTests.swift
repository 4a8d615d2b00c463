import DupelinkTestSupport
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// Mounts as the walk records them, and the linker's own checks where a plan does not know them
/// (a table whose mounts could not be learnt again): a bind mount of one filesystem and overlayfs.
@Suite struct LinkerMountTests {
    /// The scan with every directory's mount forgotten, as a rebuilt table that could not learn them.
    private func forgettingMounts(_ scan: ScanResult) -> ScanResult {
        var scan = scan
        for index in scan.table.directories.indices { scan.table.setMount(.unknown, ofDirectory: Int32(index)) }
        return scan
    }

    @Test(.enabled(if: getuid() == 0, "bind-mounting needs root"))
    func walkRecordsTheMountEachDirectoryWasReachedThrough() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5_000, seed: 930)
        try tree.write("tree/a", bytes)
        try tree.write("tree/sub/b", bytes)
        try tree.makeDirectory("mnt")
        guard run("/bin/mount", ["--bind", tree.rootString + "/tree/sub", tree.rootString + "/mnt"]) == 0 else {
            try Test.cancel("cannot bind-mount here")
        }
        defer { run("/bin/umount", ["-l", tree.rootString + "/mnt"]) }
        let scan = try LinkTestScan.scan([tree.rootString + "/mnt", tree.rootString + "/tree"])
        let a = try #require(scan.fileIndex(tree.rootString + "/tree/a"))
        let b = try #require(scan.fileIndex(tree.rootString + "/mnt/b"))
        let mountA = scan.table.mount(ofFile: scan.files[Int(a)])
        let mountB = scan.table.mount(ofFile: scan.files[Int(b)])
        #expect(mountA.isKnown && mountB.isKnown)
        #expect(mountA.id != mountB.id)
        #expect(!mountA.isOverlay && !mountB.isOverlay)
        #expect(scan.table.overlayMountPoints.isEmpty)
    }

    @Test(.enabled(if: getuid() == 0, "mounting an overlay needs root"))
    func linkerRefusesOverlayfsWhenThePlanDoesNotKnowIt() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 6_000, seed: 932)
        for name in ["lower/x", "lower/y"] { try tree.write(name, bytes) }
        for name in ["upper", "work", "merged"] { try tree.makeDirectory(name) }
        let options = "lowerdir=\(tree.rootString)/lower,upperdir=\(tree.rootString)/upper,workdir=\(tree.rootString)/work"
        guard run("/bin/mount", ["-t", "overlay", "overlay", "-o", options, tree.rootString + "/merged"]) == 0 else {
            try Test.cancel("cannot mount an overlay here")
        }
        defer { run("/bin/umount", ["-l", tree.rootString + "/merged"]) }
        let fresh = try LinkTestScan.scan([tree.rootString + "/merged"])
        #expect(fresh.table.overlayMountPoints.map { fresh.table.path(ofDirectory: $0) } == [Array((tree.rootString + "/merged").utf8)])
        let scan = forgettingMounts(fresh)
        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        try #require(plan.actions.count == 1)
        let outcome = Linker().execute(plan, scan: scan, dryRun: false)
        #expect(outcome.replacements.isEmpty)
        #expect(outcome.skipped.map(\.description).contains { $0.contains(LinkRefusal.Reason.overlayfs.message) },
            "\(outcome.skipped.map(\.description))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.rootString + "/upper").isEmpty)
        #expect(try tree.status("merged/x").st_ino != tree.status("merged/y").st_ino)
    }
}
