import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Mounts where a hard link cannot be made or frees nothing: a bind mount of part of a tree
/// (`linkat` refuses `EXDEV` across two mounts of one filesystem) and overlayfs (a link to a
/// lower-layer file copies it up). Each is planned for, reported with its reason, counted as
/// nothing reclaimable, and the rest of the class is still linked.
@Suite struct MountRefusalTests {
    /// `tree/a1`, `tree/a2` and `tree/sub/c` are identical, `c` the oldest (the keeper by age);
    /// `tree/sub` is bind-mounted at `mnt`, and `mnt` is scanned first, so `c` is reached through
    /// the bind mount. Gives `body` the tree and the bytes one copy occupies, and unmounts when it is done.
    private func withBindMountedTree(_ body: (TestTree, Int) throws -> Void) throws {
        let tree = try TestTree()
        let size = 70_000
        let bytes = patternBytes(count: size, seed: 910)
        for name in ["tree/a1", "tree/a2", "tree/sub/c"] { try tree.write(name, bytes) }
        var old = [timespec(tv_sec: 946_684_800, tv_nsec: 0), timespec(tv_sec: 946_684_800, tv_nsec: 0)]
        try #require(utimensat(AT_FDCWD, tree.rootString + "/tree/sub/c", &old, 0) == 0)
        try tree.makeDirectory("mnt")
        guard run("/bin/mount", ["--bind", tree.rootString + "/tree/sub", tree.rootString + "/mnt"]) == 0 else {
            try Test.cancel("cannot bind-mount here")
        }
        defer { run("/bin/umount", ["-l", tree.rootString + "/mnt"]) }
        // Savings are counted by allocated blocks: what one copy occupies on the disk.
        try body(tree, Int(try tree.status("tree/a1").st_blocks) * 512)
        for name in ["tree/a1", "tree/a2", "mnt/c"] { #expect(try tree.read(name) == bytes) }
        #expect(KillTests.temporaryNames(tree).isEmpty)
    }

    /// Distinct inodes among the names: what the tree holds, in units of the class size.
    private func inodes(_ tree: TestTree, _ names: [String]) throws -> Int {
        Set(try names.map { try tree.status($0).st_ino }).count
    }

    @Test(.enabled(if: getuid() == 0, "bind-mounting needs root"))
    func bindMountedMemberIsRefusedAndTheMembersOnOneMountAreLinked() throws {
        try withBindMountedTree { tree, size in
            let names = ["tree/a1", "tree/a2", "mnt/c"]
            let before = try inodes(tree, names)
            let roots = [tree.rootString + "/mnt", tree.rootString + "/tree"]
            let result = try #require(try Hostile.run(
                (["link", "--no-catalog", "--format", "json"] + roots).map { Array($0.utf8) }))
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardError.isEmpty, "\(result.standardError)")
            #expect(try tree.status("tree/a1").st_ino == tree.status("tree/a2").st_ino)
            #expect(try tree.status("mnt/c").st_nlink == 1)
            let report = try JSONReport.decode(result.standardOutput)
            #expect(report.refusals.map(\.reason) == ["other-mount"])
            #expect(report.refusals.map(\.message) == ["not linked: on another mount of the same filesystem"])
            #expect(report.refusals.first?.path.bytes == Array((tree.rootString + "/mnt/c").utf8))
            // What the headline promised is what the disk shows: one inode fewer.
            let freed = Int64((before - (try inodes(tree, names))) * size)
            #expect(freed == Int64(size))
            #expect(report.summary.reclaimableBytes == freed)
            #expect(report.summary.bytesFreed == freed)
        }
    }

    @Test(.enabled(if: getuid() == 0, "bind-mounting needs root"))
    func preferringTheBindMountStillLinksTheOtherMountsMembersTogether() throws {
        try withBindMountedTree { tree, _ in
            let result = try CLI.run(
                "link", "--no-catalog", "--prefer", tree.rootString + "/mnt", tree.rootString + "/mnt",
                tree.rootString + "/tree")
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.output.contains("mnt/c: not linked: on another mount of the same filesystem"), "\(result.output)")
            #expect(try tree.status("tree/a1").st_ino == tree.status("tree/a2").st_ino)
            #expect(try tree.status("mnt/c").st_nlink == 1)
        }
    }

    @Test(.enabled(if: getuid() == 0, "bind-mounting needs root"))
    func savedScanOfABindMountIsPlannedByMountAsAFreshScanIs() throws {
        try withBindMountedTree { tree, size in
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            let roots = [tree.rootString + "/mnt", tree.rootString + "/tree"]
            let scan = try CLI.run((["scan", "--quiet", "--catalog", catalog] + roots).map { Array($0.utf8) })
            try #require(scan.status == 0, "\(scan.standardError)")
            let report = try JSONReport.decode(try CLI.run("report", "--format", "json", "--catalog", catalog).standardOutput)
            #expect(report.summary.reclaimableBytes == Int64(size))
            #expect(report.refusals.map(\.reason) == ["other-mount"])
            let result = try CLI.run("link", "--format", "json", "--catalog", catalog, "--scan", "1")
            #expect(result.status == 0, "\(result.standardError)")
            let linked = try JSONReport.decode(result.standardOutput)
            #expect(linked.refusals.map(\.reason) == ["other-mount"])
            #expect(linked.summary.bytesFreed == Int64(size))
            #expect(try tree.status("tree/a1").st_ino == tree.status("tree/a2").st_ino)
            #expect(try tree.status("mnt/c").st_nlink == 1)
        }
    }

    /// An overlay mounted at `merged` whose lower layer holds two identical files `x` and `y`.
    private func withOverlay(_ body: (TestTree, [UInt8]) throws -> Void) throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 40_000, seed: 920)
        for name in ["lower/x", "lower/y"] { try tree.write(name, bytes) }
        for name in ["upper", "work", "merged"] { try tree.makeDirectory(name) }
        let options = "lowerdir=\(tree.rootString)/lower,upperdir=\(tree.rootString)/upper,workdir=\(tree.rootString)/work"
        guard run("/bin/mount", ["-t", "overlay", "overlay", "-o", options, tree.rootString + "/merged"]) == 0 else {
            try Test.cancel("cannot mount an overlay here")
        }
        defer { run("/bin/umount", ["-l", tree.rootString + "/merged"]) }
        try body(tree, bytes)
        // Nothing was copied up: the upper layer is as empty as it was made.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.rootString + "/upper").isEmpty)
        #expect(try tree.status("merged/x").st_ino != tree.status("merged/y").st_ino)
        #expect(try tree.status("lower/x").st_nlink == 1 && tree.status("lower/y").st_nlink == 1)
        for name in ["merged/x", "merged/y"] { #expect(try tree.read(name) == bytes) }
    }

    @Test(.enabled(if: getuid() == 0, "mounting an overlay needs root"))
    func overlayfsFilesAreReportedAndNeverLinked() throws {
        try withOverlay { tree, bytes in
            let merged = tree.rootString + "/merged"
            let text = try CLI.run("link", "--no-catalog", merged)
            #expect(text.status == 3, "\(text.standardError)")
            #expect(text.output.contains("merged/x: not linked: on overlayfs, where a hard link copies the file up and frees nothing"),
                "\(text.output)")
            #expect(text.output.contains("Note: \(merged) is on overlayfs"), "\(text.output)")
            #expect(text.output.contains("Found 1 class of identical files: 1 duplicate, 0 B reclaimable"), "\(text.output)")
            #expect(text.standardError == "dupelink: note: \(merged): \(ScanReport.overlayNote)\n")
            let json = try CLI.run("link", "--no-catalog", "--format", "json", merged)
            #expect(json.status == 3, "\(json.standardError)")
            let report = try JSONReport.decode(json.standardOutput)
            #expect(report.refusals.map(\.reason) == ["overlayfs", "overlayfs"])
            #expect(report.refusals.allSatisfy { $0.bytes == 0 })
            #expect(report.classes.map(\.reclaimableBytes) == [0])
            #expect(report.summary.reclaimableBytes == 0)
            #expect(report.replacements?.isEmpty == true)
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting an overlay needs root"))
    func savedScanOnOverlayfsIsNotLinkedEither() throws {
        try withOverlay { tree, _ in
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            let scan = try CLI.run("scan", "--quiet", "--catalog", catalog, tree.rootString + "/merged")
            try #require(scan.status == 0, "\(scan.standardError)")
            let result = try CLI.run("link", "--format", "json", "--catalog", catalog, "--scan", "1")
            #expect(result.status == 3, "\(result.standardError)")
            let report = try JSONReport.decode(result.standardOutput)
            #expect(report.refusals.map(\.reason) == ["overlayfs", "overlayfs"])
            #expect(report.summary.reclaimableBytes == 0)
        }
    }
}
