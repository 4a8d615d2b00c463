import CLinux
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `dupelink dedupe` on real filesystems made in the test: XFS (reflink=1) and btrfs share
/// extents; ext4 and tmpfs cannot, and must be left exactly as they were.
@Suite(.serialized) struct DedupeCommandTests {
    static let size = 8 << 20
    static let mib: Int64 = 1 << 20

    /// Mounts `kind`, or cancels the test with the reason it cannot be mounted here.
    func mount(_ kind: String) throws -> Mounted {
        do {
            return try Mounted(kind)
        } catch let skip as Mounted.Skip {
            try Test.cancel("\(skip.reason)")
        }
    }

    /// Writes `names` with the same contents, each written on its own (never a reflinked copy),
    /// and commits the filesystem so its free space is settled.
    func writeCopies(_ names: [String], in mount: Mounted, size: Int = size) throws {
        try FileManager.default.createDirectory(atPath: mount.path("tree"), withIntermediateDirectories: true)
        let contents = Data(patternBytes(count: size, seed: 14))
        for name in names {
            try contents.write(to: URL(fileURLWithPath: mount.path("tree/\(name)")))
        }
        sync()
    }

    func available(_ mount: Mounted) -> Int64 {
        sync()
        var space = statvfs()
        statvfs(mount.point, &space)
        return Int64(space.f_bavail) * Int64(space.f_frsize)
    }

    struct Metadata: Equatable {
        var inode: ino_t
        var owner: uid_t
        var mode: mode_t
        var modified: Int
        var modifiedNanoseconds: Int
        var tag: String?
    }

    func metadata(_ path: String) throws -> Metadata {
        let status = try TestTree.status(Array(path.utf8))
        var value = [UInt8](repeating: 0, count: 64)
        let length = getxattr(path, "user.tag", &value, value.count)
        return Metadata(
            inode: status.st_ino, owner: status.st_uid, mode: status.st_mode, modified: status.st_mtim.tv_sec,
            modifiedNanoseconds: status.st_mtim.tv_nsec,
            tag: length >= 0 ? String(decoding: value.prefix(length), as: UTF8.self) : nil)
    }

    func json(_ result: CLIResult) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"))
    func dedupeWorksAcrossBtrfsSubvolumesWhereLinkRefuses() throws {
        let mount = try mount("btrfs")
        try FileManager.default.createDirectory(atPath: mount.path("tree"), withIntermediateDirectories: true)
        for subvolume in ["one", "two"] {
            try #require(run("/usr/bin/btrfs", ["-q", "subvolume", "create", mount.path("tree/" + subvolume)]) == 0
                || run("/usr/sbin/btrfs", ["-q", "subvolume", "create", mount.path("tree/" + subvolume)]) == 0)
        }
        try writeCopies(["one/a", "two/b"], in: mount)
        let devices = try ["one/a", "two/b"].map { try TestTree.status(Array(mount.path("tree/" + $0).utf8)).st_dev }
        #expect(devices[0] != devices[1], "each subvolume has a device number of its own")
        // A hard link cannot cross subvolumes: link leaves the pair alone.
        let link = try CLI.run("link", "--no-catalog", mount.path("tree"))
        #expect(try TestTree.status(Array(mount.path("tree/two/b").utf8)).st_nlink == 1)
        #expect(!link.output.contains("Linked 1 file"), "\(link.output)")
        // dedupe shares the extents: one superblock, one domain.
        let before = available(mount)
        let dedupe = try CLI.run("dedupe", "--no-catalog", mount.path("tree"))
        #expect(dedupe.status == 0, "\(dedupe.output) \(dedupe.standardError)")
        #expect(dedupe.output.contains("Deduplicated 1 file"), "\(dedupe.output)")
        #expect(available(mount) - before >= Int64(Self.size) / 2, "the copy's blocks were freed")
        #expect(try ["one/a", "two/b"].map { try TestTree.status(Array(mount.path("tree/" + $0).utf8)).st_dev } == devices)
        // Planned again, the pair shares every block across the subvolumes: nothing to reclaim,
        // nothing left to deduplicate.
        let again = try json(try CLI.run("dedupe", "--no-catalog", "--dry-run", "--format", "json", mount.path("tree")))
        let first = try #require((again["classes"] as? [[String: Any]])?.first)
        #expect(first["alreadySharedBytes"] as? Int == Self.size, "\(first)")
        #expect(first["reclaimableBytes"] as? Int == 0, "\(first)")
        #expect(try CLI.run("dedupe", "--no-catalog", mount.path("tree")).status == 3)
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["xfs", "btrfs"])
    func dedupeSharesExtentsAndEachFileKeepsItsOwnMetadata(filesystem: String) throws {
        let mount = try mount(filesystem)
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let names = ["a", "b", "c"]
        try writeCopies(names, in: mount)
        // Differences link refuses; dedupe changes none of them, so they do not matter.
        #expect(chown(mount.path("tree/b"), 65534, 65534) == 0)
        #expect(chmod(mount.path("tree/b"), 0o600) == 0)
        #expect(setxattr(mount.path("tree/c"), "user.tag", "kept", 4, 0) == 0)
        let before = try names.map { try metadata(mount.path("tree/\($0)")) }

        let dryRun = try CLI.run("dedupe", "--dry-run", "--catalog", catalog, mount.path("tree"))
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(dryRun.output.contains("Dry run: would deduplicate 2 files"), "\(dryRun.output)")
        let afterDryRun = available(mount)

        let result = try CLI.run("dedupe", "--format", "json", "--catalog", catalog, mount.path("tree"))
        #expect(result.status == 0, "\(result.standardError)")
        let freed = available(mount) - afterDryRun
        #expect(freed > 15 * Self.mib && freed < 17 * Self.mib, "\(filesystem): free space grew by \(freed)")
        let report = try json(result)
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["bytesFreed"] as? Int64 == 16 * Self.mib)
        let measured = try #require(summary["bytesFreedMeasured"] as? Int64)
        #expect(measured > 15 * Self.mib && measured < 17 * Self.mib, "\(filesystem): measured \(measured)")
        #expect((report["replacements"] as? [Any])?.count == 2)

        let after = try names.map { try metadata(mount.path("tree/\($0)")) }
        #expect(after == before, "\(filesystem): every file keeps its inode, owner, mode, mtime and xattrs")
        for name in names {
            #expect(try TestTree.read(Array(mount.path("tree/\(name)").utf8)) == patternBytes(count: Self.size, seed: 14))
        }

        let history = try CLI.run("history", "--catalog", catalog)
        let lines = history.output.split(separator: "\n").filter { $0.contains("dedupe") }
        #expect(lines.count == 2, "\(history.output)")
        #expect(lines.first?.contains("dry run") == true && lines.last?.contains("completed") == true, "\(history.output)")
        #expect(lines.last?.contains("16.0 MiB") == true, "\(history.output)")
        let undo = try CLI.run("undo", "--catalog", catalog, "2")
        #expect(undo.status == 2)
        #expect(undo.standardError.contains("was a dedupe run") && undo.standardError.contains("nothing to undo"))
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"))
    func dedupeSkipsAFileChangedSinceTheScan() throws {
        let mount = try mount("xfs")
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        try writeCopies(["a", "b", "c"], in: mount)
        let scan = try CLI.run("scan", "--catalog", catalog, mount.path("tree"))
        #expect(scan.status == 0 && scan.output.contains("Saved in the catalog as scan 1."), "\(scan.output)")
        // The same bytes written again: only the fingerprint tells, and it must.
        try Data(patternBytes(count: Self.size, seed: 14)).write(to: URL(fileURLWithPath: mount.path("tree/c")))
        let before = available(mount)

        let result = try CLI.run("dedupe", "--format", "json", "--catalog", catalog, "--scan", "1")
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("tree/c: changed since it was compared"), "\(result.standardError)")
        let replacements = try #require(try json(result)["replacements"] as? [[String: Any]])
        #expect(replacements.count == 1)
        #expect((replacements.first?["duplicate"] as? [String: Any])?["path"] as? String == mount.path("tree/b"))
        let freed = available(mount) - before
        #expect(freed > 7 * Self.mib && freed < 9 * Self.mib, "only b was deduplicated: free space grew by \(freed)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"))
    func aDedupeKilledAtAnyMomentLosesNothing() throws {
        let mount = try mount("xfs")
        let trials = KillTests.longRun ? 20 : 4
        var killedWhileRunning = 0
        for trial in 0..<trials {
            let tree = mount.path("trial\(trial)")
            var contents: [String: Data] = [:]
            for index in 0..<40 {
                let bytes = Data(patternBytes(count: 128 * 1024 + index, seed: UInt64(trial * 100 + index)))
                for side in ["a", "b"] {
                    let path = "\(tree)/\(side)/\(index)"
                    try FileManager.default.createDirectory(atPath: "\(tree)/\(side)", withIntermediateDirectories: true)
                    try bytes.write(to: URL(fileURLWithPath: path))
                    contents[path] = bytes
                }
            }
            let running = try CLI.start(["dedupe", "--quiet", "--no-catalog", tree].map { Array($0.utf8) })
            usleep(useconds_t(15_000 * (trial % 6 + 1)))
            running.signal(SIGKILL)
            if try running.wait().status == 128 + SIGKILL { killedWhileRunning += 1 }
            for (path, bytes) in contents {
                #expect(FileManager.default.contents(atPath: path) == bytes, "trial \(trial): \(path) changed")
            }
            // Every file is still its own inode; the next run finishes the work.
            let again = try CLI.run("dedupe", "--quiet", "--no-catalog", tree)
            #expect(again.status == 0 || again.status == 3, "\(again.standardError)")
            for (path, bytes) in contents { #expect(FileManager.default.contents(atPath: path) == bytes) }
            #expect(try TestTree.status(Array("\(tree)/a/0".utf8)).st_nlink == 1)
            try FileManager.default.removeItem(atPath: tree)
        }
        print("dedupe kill trials: \(trials); killed while running: \(killedWhileRunning)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["xfs", "btrfs", "ext4"])
    func linkOnACopyOnWriteFilesystemHintsAtDedupe(filesystem: String) throws {
        let mount = try mount(filesystem)
        try writeCopies(["a", "b"], in: mount, size: 64 * 1024)
        let result = try CLI.run("link", "--no-catalog", mount.path("tree"))
        #expect(result.status == 0, "\(result.standardError)")
        let hint = "Hint: \(mount.path("tree")) is on \(filesystem == "xfs" ? "XFS" : filesystem), where files can share their data instead: 'dupelink dedupe'"
        if filesystem == "ext4" {
            #expect(!result.output.contains("Hint:"), "\(result.output)")
        } else {
            #expect(result.output.contains(hint), "\(result.output)")
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["ext4", "tmpfs"])
    func dedupeRefusesWhereExtentsCannotBeShared(filesystem: String) throws {
        let mount = try mount(filesystem)
        let names = ["a", "b", "c"]
        try writeCopies(names, in: mount, size: 1 << 20)
        let before = try names.map { try metadata(mount.path("tree/\($0)")) }

        let result = try CLI.run("dedupe", "--no-catalog", "--format", "json", mount.path("tree"))
        #expect(result.status == 1, "\(result.standardError)")
        let message = "not deduplicated: this filesystem cannot share extents (FIDEDUPERANGE); use link, or btrfs/XFS with reflink"
        for name in ["b", "c"] {
            #expect(result.standardError.contains("tree/\(name): \(message)"), "\(result.standardError)")
        }
        #expect((try json(result)["replacements"] as? [Any])?.count == 0)
        #expect(try names.map { try metadata(mount.path("tree/\($0)")) } == before, "nothing changed")
    }
}
