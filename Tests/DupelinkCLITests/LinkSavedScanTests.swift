import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `dupelink link --scan ID`: a saved scan applied later, every file re-checked first.
@Suite struct LinkSavedScanTests {
    @Test func linkScanLinksExactlyWhatTheScanFound() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let a = patternBytes(count: 30_000, seed: 21)
        let b = patternBytes(count: 7_000, seed: 22)
        try tree.write("a1", a)
        try tree.write("one/two/three/a2", a)
        try tree.write("one/a3", a)
        try tree.write("b1", b)
        try tree.write("x/y/b2", b)
        let scan = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(scan.output.contains("Saved in the catalog as scan 1."))
        // A copy made after the scan was never compared: it must not be linked.
        try tree.write("one/two/late", a)
        let lateInode = try tree.status("one/two/late").st_ino

        let dryRun = try CLI.run("link", "--scan", "1", "--dry-run", "--catalog", catalog)
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(dryRun.output.contains("Dry run: would link 3 files"))
        #expect(try tree.status("a1").st_nlink == 1)

        let result = try CLI.run("link", "--scan", "1", "--format", "json", "--catalog", catalog)
        #expect(result.status == 0, "\(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.command == "link")
        #expect(report.replacements?.count == 3)
        // By blocks, what df shows: two copies of a (30,000 bytes) and one of b (7,000).
        let freed = try tree.allocatedBytes("one/a3") + tree.allocatedBytes("a1") + tree.allocatedBytes("b1")
        #expect(report.summary.bytesFreed == freed)
        #expect(report.summary.apparentBytesFreed == 67_000)
        let aInode = try tree.status("a1").st_ino
        #expect(try tree.status("one/two/three/a2").st_ino == aInode && tree.status("one/a3").st_ino == aInode)
        #expect(try tree.status("b1").st_ino == tree.status("x/y/b2").st_ino)
        #expect(try tree.status("one/two/late").st_ino == lateInode && tree.status("one/two/late").st_nlink == 1)
        #expect(try tree.read("one/two/three/a2") == a && tree.read("x/y/b2") == b)
    }

    @Test func linkScanSkipsEveryMemberChangedSinceTheScanAndNothingOutsideChanges() throws {
        let tree = try TestTree()
        let outside = try TestTree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let pairs = ["rewritten", "touched", "renamed", "symlinked", "moved", "untouched"]
        var contents: [String: [UInt8]] = [:]
        for (seed, name) in pairs.enumerated() {
            let bytes = patternBytes(count: 5_000 + seed, seed: UInt64(30 + seed))
            contents[name] = bytes
            try tree.write("\(name)/keep/one", bytes)
            try tree.write("\(name)/dir/sub/two", bytes)
        }
        try outside.write("bait", contents["symlinked"] ?? [])
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)

        // Rewritten in place with the same bytes: a new mtime and ctime.
        try tree.write("rewritten/dir/sub/two", contents["rewritten"] ?? [])
        // Only the modification time moved.
        #expect(run("/usr/bin/touch", ["-m", "-d", "2001-02-03 04:05:06", tree.rootString + "/touched/dir/sub/two"]) == 0)
        // Replaced by renaming an identical copy over it: another inode.
        try tree.write("renamed/dir/sub/new", contents["renamed"] ?? [])
        #expect(rename(tree.rootString + "/renamed/dir/sub/new", tree.rootString + "/renamed/dir/sub/two") == 0)
        // Replaced by a symbolic link to an identical file outside the root.
        #expect(unlink(tree.rootString + "/symlinked/dir/sub/two") == 0)
        try tree.symlink(outside.rootString + "/bait", "symlinked/dir/sub/two")
        // An unverified intermediate directory moved outside and replaced by a symbolic link to
        // it: following the link would reach the very directory that was scanned, with the very
        // inode, outside the root. O_NOFOLLOW refuses it.
        #expect(rename(tree.rootString + "/moved/dir", outside.rootString + "/moved-dir") == 0)
        try tree.symlink(outside.rootString + "/moved-dir", "moved/dir")

        let treeBefore = try TreeSnapshot(tree.root)
        let outsideBefore = try TreeSnapshot(outside.root)
        let result = try CLI.run("link", "--scan", "1", "--catalog", catalog)
        #expect(result.status == 1)
        for name in ["rewritten", "touched", "renamed", "symlinked"] {
            #expect(result.standardError.contains("\(tree.rootString)/\(name)/dir/sub/two: changed since it was compared"),
                "\(name): \(result.standardError)")
        }
        #expect(result.standardError.contains("\(tree.rootString)/moved/dir: directory changed since the scan"),
            "\(result.standardError)")
        #expect(result.output.contains("Linked 1 file"), "\(result.output)")
        #expect(try outside.status("moved-dir/sub/two").st_nlink == 1)
        #expect(try TreeSnapshot(outside.root) == outsideBefore)
        var treeAfter = try TreeSnapshot(tree.root)
        #expect(try tree.status("untouched/keep/one").st_ino == tree.status("untouched/dir/sub/two").st_ino)
        // Apart from the one class left untouched, nothing in the tree changed.
        for key in ["untouched/keep/one", "untouched/dir/sub/two", "untouched/dir/sub", "untouched/dir", "untouched/keep"] {
            treeAfter.entries[key] = treeBefore.entries[key]
        }
        #expect(treeAfter == treeBefore)
    }

    @Test func applyingTakesNoPathsAndNoWalkOptionsAndScanStillNeedsAPath() throws {
        let tree = try TestTree()
        for arguments in [
            ["link", "--scan", "1", tree.rootString], ["link", "--scan", "1", "--from", "r.json"],
            ["link", "--from", "r.json", "--exclude", "*.tmp"], ["link", "--scan", "1", "--no-catalog"], ["link"], ["scan"],
        ] {
            let result = try CLI.run(arguments.map { Array($0.utf8) })
            #expect(result.status == 64, "\(arguments): \(result.standardError)")
        }
    }
}
