import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Bytes that duplicates already share (reflinked copies, an earlier `dedupe`) are not
/// reclaimable: on real XFS (reflink=1) and btrfs images, and on ext4, where nothing changes.
@Suite(.serialized) struct SharedExtentTests {
    static let mib = 1 << 20

    /// Mounts `kind`, or cancels the test with the reason it cannot be mounted here.
    func mount(_ kind: String) throws -> Mounted {
        do {
            return try Mounted(kind)
        } catch let skip as Mounted.Skip {
            try Test.cancel("\(skip.reason)")
        }
    }

    /// Writes `tree/a` (`size` bytes of a pattern) and commits it.
    func writeOriginal(in mount: Mounted, size: Int) throws -> [UInt8] {
        try FileManager.default.createDirectory(atPath: mount.path("tree"), withIntermediateDirectories: true)
        let contents = patternBytes(count: size, seed: 41)
        try Data(contents).write(to: URL(fileURLWithPath: mount.path("tree/a")))
        sync()
        return contents
    }

    /// `cp --reflink=always tree/a tree/<name>`: a copy that shares every extent with `a`.
    func reflink(_ name: String, in mount: Mounted) throws {
        let status = run("/bin/cp", ["--reflink=always", mount.path("tree/a"), mount.path("tree/\(name)")])
        try #require(status == 0, "cp --reflink=always failed")
        sync()
    }

    func json(_ result: CLIResult) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
    }

    /// The class's and the summary's reclaimable and already shared bytes of a JSON report.
    func figures(_ result: CLIResult) throws -> (reclaimable: Int64, shared: Int64, totalReclaimable: Int64, totalShared: Int64) {
        let report = try json(result)
        let classes = try #require(report["classes"] as? [[String: Any]])
        try #require(classes.count == 1, "\(result.output)")
        let summary = try #require(report["summary"] as? [String: Any])
        return (
            try #require(classes[0]["reclaimableBytes"] as? Int64), try #require(classes[0]["alreadySharedBytes"] as? Int64),
            try #require(summary["reclaimableBytes"] as? Int64), try #require(summary["alreadySharedBytes"] as? Int64)
        )
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["xfs", "btrfs"])
    func aReflinkedCopyReclaimsNothingAndReportsItsSizeAlreadyShared(filesystem: String) throws {
        let mount = try mount(filesystem)
        let state = try TestTree()
        let size = 4 * Self.mib
        let contents = try writeOriginal(in: mount, size: size)
        try reflink("b", in: mount)

        let scan = try CLI.run("scan", "--no-catalog", "--format", "json", mount.path("tree"))
        #expect(scan.status == 0, "\(scan.standardError)")
        let found = try figures(scan)
        #expect(found.reclaimable == 0 && found.totalReclaimable == 0, "\(filesystem): \(found)")
        #expect(found.shared == Int64(size) && found.totalShared == Int64(size), "\(filesystem): \(found)")

        let summaryLog = state.rootString + "/runs.jsonl"
        let text = try CLI.run("scan", "--no-catalog", "--summary-json", summaryLog, mount.path("tree"))
        #expect(text.output.contains("2 files of 4.0 MiB, 0 B reclaimable (already shares its extents):"), "\(text.output)")
        #expect(text.output.contains("0 B reclaimable by hard-linking (4.0 MiB already shared, not counted)."), "\(text.output)")
        let line = try #require(String(contentsOfFile: summaryLog, encoding: .utf8).split(separator: "\n").last)
        let summary = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(summary["alreadySharedBytes"] as? Int64 == Int64(size) && summary["reclaimableBytes"] as? Int64 == 0)

        // A hard link in its place frees nothing either.
        let linkDryRun = try CLI.run("link", "--no-catalog", "--dry-run", "--format", "json", mount.path("tree"))
        #expect((try json(linkDryRun)["summary"] as? [String: Any])?["bytesFreed"] as? Int64 == 0, "\(linkDryRun.output)")

        // dedupe leaves it alone, without asking the kernel, and has nothing to do.
        let dedupe = try CLI.run("dedupe", "--no-catalog", "--format", "json", mount.path("tree"))
        #expect(dedupe.status == 3, "\(dedupe.standardError)")
        let report = try json(dedupe)
        #expect((report["replacements"] as? [Any])?.count == 0)
        #expect((report["summary"] as? [String: Any])?["filesAlreadyShared"] as? Int == 1)
        let again = try CLI.run("dedupe", "--no-catalog", mount.path("tree"))
        #expect(again.output.contains("tree/b  (already shares the kept copy's extents)"), "\(again.output)")
        #expect(again.output.contains("1 file already shared its kept copy's extents; left as they were."), "\(again.output)")
        for name in ["a", "b"] { #expect(try TestTree.read(Array(mount.path("tree/\(name)").utf8)) == contents) }
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["xfs", "btrfs"])
    func aHalfSharedCopyReclaimsTheHalfItNoLongerShares(filesystem: String) throws {
        let mount = try mount(filesystem)
        let size = 4 * Self.mib
        let contents = try writeOriginal(in: mount, size: size)
        try reflink("b", in: mount)
        // The same bytes written over b's second half: copy on write gives it blocks of its own.
        let rewrite = run("/bin/dd", [
            "if=\(mount.path("tree/a"))", "of=\(mount.path("tree/b"))", "bs=1M", "skip=2", "seek=2", "count=2",
            "conv=notrunc,fsync", "status=none",
        ])
        try #require(rewrite == 0)
        sync()
        #expect(try TestTree.read(Array(mount.path("tree/b").utf8)) == contents)

        let scan = try CLI.run("scan", "--no-catalog", "--format", "json", mount.path("tree"))
        #expect(scan.status == 0, "\(scan.standardError)")
        let found = try figures(scan)
        let half = Int64(size / 2)
        // By blocks: the shared half is not reclaimable, the rewritten half is.
        #expect(abs(found.reclaimable - half) <= 64 * 1024, "\(filesystem): \(found)")
        #expect(abs(found.shared - half) <= 64 * 1024, "\(filesystem): \(found)")
        #expect(found.reclaimable + found.shared == Int64(try TestTree.status(Array(mount.path("tree/b").utf8)).st_blocks) * 512)
        let text = try CLI.run("scan", "--no-catalog", mount.path("tree"))
        #expect(text.output.contains("2 files of 4.0 MiB, 2.0 MiB reclaimable (2.0 MiB already shared):"), "\(text.output)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"))
    func onExt4NothingIsSharedAndReclaimableBytesAreUnchanged() throws {
        let mount = try mount("ext4")
        let size = 4 * Self.mib
        _ = try writeOriginal(in: mount, size: size)
        // ext4 cannot share blocks: --reflink=auto makes an ordinary copy.
        try #require(run("/bin/cp", ["--reflink=auto", mount.path("tree/a"), mount.path("tree/b")]) == 0)
        sync()

        let scan = try CLI.run("scan", "--no-catalog", "--format", "json", mount.path("tree"))
        #expect(scan.status == 0, "\(scan.standardError)")
        let found = try figures(scan)
        let allocated = Int64(try TestTree.status(Array(mount.path("tree/b").utf8)).st_blocks) * 512
        #expect(found.shared == 0 && found.totalShared == 0)
        #expect(found.reclaimable == allocated && found.totalReclaimable == allocated)
        // Not one file mapped: FIEMAP cannot help on ext4.
        #expect((try json(scan)["statistics"] as? [String: Any])?["filesExtentsMapped"] as? Int == 0)
        let text = try CLI.run("scan", "--no-catalog", mount.path("tree"))
        #expect(!text.output.contains("already shar"), "\(text.output)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["xfs", "btrfs"])
    func afterDedupeARescanAndTheSavedScanReportTheClassFullyShared(filesystem: String) throws {
        let mount = try mount(filesystem)
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let size = 4 * Self.mib
        let contents = try writeOriginal(in: mount, size: size)
        // An ordinary copy: nothing shared yet.
        try Data(contents).write(to: URL(fileURLWithPath: mount.path("tree/b")))
        sync()

        let before = try CLI.run("scan", "--catalog", catalog, "--format", "json", mount.path("tree"))
        let unshared = try figures(before)
        #expect(unshared.shared == 0 && unshared.reclaimable >= Int64(size), "\(filesystem): \(unshared)")

        let dedupe = try CLI.run("dedupe", "--catalog", catalog, mount.path("tree"))
        #expect(dedupe.status == 0, "\(dedupe.standardError)")
        #expect(dedupe.output.contains("Deduplicated 1 file: 4.0 MiB now share the kept copies' extents."), "\(dedupe.output)")

        // The files' times did not move, so the rescan reuses the classes; the extents are mapped again.
        let rescan = try CLI.run("scan", "--catalog", catalog, "--format", "json", mount.path("tree"))
        #expect(rescan.status == 0, "\(rescan.standardError)")
        let shared = try figures(rescan)
        #expect(shared.reclaimable == 0 && shared.totalReclaimable == 0, "\(filesystem): \(shared)")
        #expect(shared.shared == Int64(size), "\(filesystem): \(shared)")
        let scanID = try #require(try json(rescan)["scanID"] as? Int)

        // The saved scan keeps the ranges: its report says the same without reading a file.
        let report = try CLI.run("report", "--catalog", catalog, "\(scanID)")
        #expect(report.output.contains("2 files of 4.0 MiB, 0 B reclaimable (already shares its extents):"), "\(report.output)")
        let list = try CLI.run("report", "--catalog", catalog, "--list", "--format", "json")
        #expect(list.output.contains("\"reclaimableBytes\" : 0"), "\(list.output)")

        let again = try CLI.run("dedupe", "--catalog", catalog, mount.path("tree"))
        #expect(again.status == 3, "\(again.standardError)")
        for name in ["a", "b"] { #expect(try TestTree.read(Array(mount.path("tree/\(name)").utf8)) == contents) }

        // Linking the shared copy frees nothing, and says so.
        let link = try CLI.run("link", "--catalog", catalog, "--format", "json", mount.path("tree"))
        #expect(link.status == 0, "\(link.standardError)")
        #expect((try json(link)["summary"] as? [String: Any])?["bytesFreed"] as? Int64 == 0, "\(link.output)")
        #expect(try TestTree.status(Array(mount.path("tree/a").utf8)).st_ino == TestTree.status(Array(mount.path("tree/b").utf8)).st_ino)
    }
}
