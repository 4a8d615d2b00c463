import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The `link` command end to end: the real binary on real trees, checked afterwards on disk.
@Suite struct LinkCommandTests {
    /// Sum of allocated bytes (`st_blocks` × 512) over distinct inodes under the tree: the space
    /// its files use, as `df` counts it.
    func bytesInUse(_ tree: TestTree) throws -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(atPath: tree.rootString)
        while let relative = enumerator?.nextObject() as? String {
            let status = try tree.status(relative)
            if (status.st_mode & S_IFMT) == S_IFREG, seen.insert(UInt64(status.st_ino)).inserted {
                total += Int64(status.st_blocks) * 512
            }
        }
        return total
    }

    @Test func reclaimableBytesEqualTheBytesActuallyFreed() throws {
        let tree = try TestTree()
        let outside = try TestTree()
        let a = patternBytes(count: 200_000, seed: 1)
        let b = patternBytes(count: 50_000, seed: 2)
        try tree.write("a1", a)
        try tree.write("d/a2", a)
        try tree.link("d/a2", "d/a2-link")  // an existing hard link: must not count twice
        try tree.write("e/a3", a)
        try tree.write("b1", b)
        try tree.write("b2", b)
        // b2 also has a name outside the scanned root: linking it frees nothing.
        try withCPath(tree.path("b2")) { from in
            try withCPath(outside.path("b2-elsewhere")) { to in
                guard Glibc.link(from, to) == 0 else { throw POSIXFailure(operation: "link", code: errno) }
            }
        }
        let scan = try JSONReport.decode(try CLI.run("scan", "--format", "json", tree.rootString).standardOutput)
        // a: three inodes, two freed (200,000 each); b: b2 is kept for its outside name, b1 freed.
        // Counted by blocks, as df counts: each size rounded up to the filesystem's block.
        let freed = try tree.allocatedBytes("d/a2") + tree.allocatedBytes("e/a3") + tree.allocatedBytes("b1")
        #expect(scan.summary.reclaimableBytes == freed)
        #expect(scan.summary.apparentReclaimableBytes == 450_000)
        let before = try bytesInUse(tree)
        let link = try CLI.run("link", "--format", "json", tree.rootString)
        #expect(link.status == 0, "\(link.standardError)")
        let report = try JSONReport.decode(link.standardOutput)
        let after = try bytesInUse(tree)
        #expect(report.summary.bytesFreed == freed)
        #expect(report.summary.apparentBytesFreed == 450_000)
        #expect(try tree.status("a1").st_ino == tree.status("e/a3").st_ino)
        #expect(try tree.status("d/a2-link").st_ino == tree.status("a1").st_ino)
        #expect(try tree.status("b1").st_ino == tree.status("b2").st_ino)
        #expect(try outside.status("b2-elsewhere").st_ino == tree.status("b2").st_ino)
        #expect(before - after == freed)
        #expect(try tree.read("e/a3") == a && tree.read("b1") == b)
    }

    @Test func dryRunChangesNothing() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 30_000, seed: 3)
        for name in ["x", "y/x", "z/x"] { try tree.write(name, bytes) }
        func snapshot() throws -> [[Int]] {
            try ["x", "y/x", "z/x", "y", "z"].map { name in
                let s = try tree.status(name)
                return [Int(s.st_ino), Int(s.st_nlink), s.st_mtim.tv_sec, s.st_mtim.tv_nsec, s.st_ctim.tv_sec, s.st_ctim.tv_nsec]
            }
        }
        let before = try snapshot()
        // Two copies of 30,000 bytes (58.6 KiB), counted by their blocks.
        let freeable = ByteSize.format(try tree.allocatedBytes("y/x") + tree.allocatedBytes("z/x"))
        let result = try CLI.run("link", "--dry-run", tree.rootString)
        #expect(result.status == 0)
        #expect(result.output.contains("Dry run: would link 2 files and free \(freeable); nothing was changed."), "\(result.output)")
        #expect(try snapshot() == before)
    }

    @Test func crossDevicePairsAreRefusedWithAClearMessage() throws {
        let disk = try TestTree(base: "/var/tmp")
        let memory = try TestTree(base: "/dev/shm")
        try #require(try TestTree.status(disk.root).st_dev != TestTree.status(memory.root).st_dev)
        let bytes = patternBytes(count: 70_000, seed: 4)
        try disk.write("photo.jpg", bytes)
        try memory.write("photo.jpg", bytes)
        let result = try CLI.run("link", disk.rootString, memory.rootString)
        // Every duplicate refused: nothing to do.
        #expect(result.status == 3)
        #expect(result.output.contains("not linked: on different filesystems"))
        #expect(try disk.status("photo.jpg").st_nlink == 1 && memory.status("photo.jpg").st_nlink == 1)
        #expect(try disk.read("photo.jpg") == bytes && memory.read("photo.jpg") == bytes)
        let json = try JSONReport.decode(try CLI.run("link", "--format", "json", disk.rootString, memory.rootString).standardOutput)
        #expect(json.refusals.map(\.reason) == ["different-filesystem"])
        // The refused copy's blocks stay in use (tmpfs or ext4, whichever was refused).
        let refused = try #require(json.refusals.first)
        #expect(refused.bytes == Int64(try TestTree.status(refused.path.bytes).st_blocks) * 512)
        #expect(json.replacements?.isEmpty == true)
    }

    @Test func oddNamesAreFoundAndLinked() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 9000, seed: 5)
        let names: [[UInt8]] = [[0x6E, 0xFF, 0xFE], Array("with\nnewline".utf8), Array("-n".utf8), Array("--dry-run".utf8)]
        for name in names { try tree.write(bytes: name, bytes) }
        let result = try CLI.run([Array("link".utf8), Array("--".utf8), tree.root])
        #expect(result.status == 0, "\(result.standardError)")
        let inodes = Set(try names.map { try TestTree.status(tree.path($0)).st_ino })
        #expect(inodes.count == 1)
        for name in names { #expect(try TestTree.read(tree.path(name)) == bytes) }
    }

    @Test func differingOwnerOrModeIsRefusedUnlessAllowed() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 6)
        try tree.write("a/mine", bytes)
        try tree.write("b/private", bytes, mode: 0o600)
        let refused = try CLI.run("link", "--format", "json", tree.rootString)
        let report = try JSONReport.decode(refused.standardOutput)
        #expect(report.refusals.map(\.reason) == ["mode-differs"])
        #expect(try tree.status("a/mine").st_ino != tree.status("b/private").st_ino)
        // Keeping the 0644 copy would let others read what was private: still refused.
        let widening = try CLI.run("link", "--ignore-mode", "--format", "json", tree.rootString)
        #expect(try JSONReport.decode(widening.standardOutput).refusals.map(\.reason) == ["access-widens"])
        #expect(try tree.status("a/mine").st_ino != tree.status("b/private").st_ino)
        // Keeping the 0600 copy only narrows: allowed.
        let allowed = try CLI.run("link", "--ignore-mode", "--prefer", tree.rootString + "/b", tree.rootString)
        #expect(allowed.status == 0, "\(allowed.standardError)")
        #expect(try tree.status("a/mine").st_ino == tree.status("b/private").st_ino)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func differingOwnerIsRefusedByDefault() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 7)
        // Read-only for everyone: handing nobody's name to root's inode takes nothing from nobody.
        try tree.write("root-owned", bytes, mode: 0o444)
        try tree.write("nobody-owned", bytes, mode: 0o444)
        #expect(withCPath(tree.path("nobody-owned")) { chown($0, 65534, 65534) } == 0)
        let report = try JSONReport.decode(try CLI.run("link", "--format", "json", tree.rootString).standardOutput)
        #expect(report.refusals.map(\.reason) == ["owner-differs"])
        #expect(try tree.status("root-owned").st_ino != tree.status("nobody-owned").st_ino)
        #expect(try CLI.run("link", "--ignore-owner", tree.rootString).status == 0)
        #expect(try tree.status("root-owned").st_ino == tree.status("nobody-owned").st_ino)
    }

    @Test func preferKeepsTheCopyUnderTheGivenDirectory() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 8)
        try tree.write("a/file", bytes)
        try tree.write("b/file", bytes)
        let keep = try tree.status("b/file").st_ino
        #expect(try CLI.run("link", "--prefer", tree.rootString + "/b", tree.rootString).status == 0)
        #expect(try tree.status("a/file").st_ino == keep)
    }

    @Test func noTemporaryNamesAreLeftBehind() throws {
        let tree = try TestTree()
        for index in 0..<50 {
            let bytes = patternBytes(count: 3000 + index, seed: UInt64(index))
            try tree.write("one/\(index)", bytes)
            try tree.write("two/\(index)", bytes)
        }
        #expect(try CLI.run("link", tree.rootString).status == 0)
        let leftovers = FileManager.default.enumerator(atPath: tree.rootString)?.allObjects.compactMap { $0 as? String }
            .filter { $0.contains(".dupelink") } ?? []
        #expect(leftovers.isEmpty)
    }
}

/// Linking must never widen who can write to, or run with the privileges of, a name.
@Suite struct LinkOwnershipSafetyTests {
    @Test func setUserIDBitIsNeverSpreadEvenWithIgnoreMode() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 20)
        try tree.write("plain", bytes, mode: 0o755)
        try tree.write("setuid", bytes, mode: 0o4755)
        let report = try JSONReport.decode(try CLI.run("link", "--ignore-mode", "--format", "json", tree.rootString).standardOutput)
        #expect(report.refusals.map(\.reason) == ["mode-differs"])
        #expect(try tree.status("plain").st_ino != tree.status("setuid").st_ino)
        #expect(try tree.status("plain").st_mode & 0o7777 == 0o755)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func ignoreOwnerKeepsTheRootOwnedCopyAndNeverHandsNamesToAnotherUser() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 21)
        // The oldest copy belongs to nobody; without the rule it would be kept and nobody could
        // then write to root's name. Read-only copies: nobody loses nothing by getting root's.
        try tree.write("a-nobody", bytes, mode: 0o444)
        try tree.write("b-root", bytes, mode: 0o444)
        #expect(withCPath(tree.path("a-nobody")) { chown($0, 65534, 65534) } == 0)
        var old = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(withCPath(tree.path("a-nobody")) { utimensat(AT_FDCWD, $0, &old, 0) } == 0)
        #expect(try CLI.run("link", "--ignore-owner", tree.rootString).status == 0)
        #expect(try tree.status("a-nobody").st_ino == tree.status("b-root").st_ino)
        #expect(try tree.status("a-nobody").st_uid == 0)

        // A copy nobody can write: giving it root's inode would take that away.
        let writable = try TestTree()
        try writable.write("a-nobody", bytes)
        try writable.write("b-root", bytes)
        #expect(withCPath(writable.path("a-nobody")) { chown($0, 65534, 65534) } == 0)
        let refused = try CLI.run("link", "--ignore-owner", "--format", "json", writable.rootString)
        #expect(refused.status == 3)
        let refusedReport = try JSONReport.decode(refused.standardOutput)
        #expect(refusedReport.refusals.map(\.reason) == ["access-widens"])
        #expect(refusedReport.refusals.first?.message.contains("could no longer write it") == true)
        #expect(try writable.status("a-nobody").st_ino != writable.status("b-root").st_ino)

        // Two different ordinary users: refused even with --ignore-owner.
        let other = try TestTree()
        try other.write("one", bytes)
        try other.write("two", bytes)
        #expect(withCPath(other.path("one")) { chown($0, 65534, 65534) } == 0)
        #expect(withCPath(other.path("two")) { chown($0, 1000, 1000) } == 0)
        let report = try JSONReport.decode(try CLI.run("link", "--ignore-owner", "--format", "json", other.rootString).standardOutput)
        #expect(report.refusals.map(\.reason) == ["owner-differs"])
        #expect(try other.status("one").st_ino != other.status("two").st_ino)
    }

    @Test func preferMatchesTheDirectoryHoweverItIsSpelled() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 22)
        try tree.write("a/file", bytes)
        try tree.write("b/file", bytes)
        try tree.symlink(tree.rootString + "/b", "b-alias")
        let keep = try tree.status("b/file").st_ino
        #expect(try CLI.run("link", "--prefer", tree.rootString + "/b-alias", tree.rootString).status == 0)
        #expect(try tree.status("a/file").st_ino == keep)
        #expect(try CLI.run("link", "--prefer", tree.rootString + "/missing", tree.rootString).status == 64)
    }
}
