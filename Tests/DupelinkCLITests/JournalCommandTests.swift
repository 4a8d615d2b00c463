import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `history`, `undo` and `split` end to end, with the real binary on real trees and one catalog
/// shared by the runs of a test (`--catalog`).
@Suite struct JournalCommandTests {
    /// The JSON `history` prints.
    struct History: Decodable {
        struct Run: Decodable {
            var id: Int64
            var command: String
            var status: String
            var interrupted: Bool
            var dryRun: Bool
            var filesChanged: Int
            var bytesFreed: Int64
            var undoneRun: Int64?
            var exitStatus: Int32?
            var roots: [JSONReport.PathValue]
        }
        var schemaVersion: Int
        var runs: [Run]
    }

    static func history(_ catalog: String) throws -> History {
        let result = try CLI.run("history", "--format", "json", "--catalog", catalog)
        try #require(result.status == 0, "\(result.standardError)")
        return try JSONDecoder().decode(History.self, from: Data(result.standardOutput))
    }

    static func setTimes(_ path: [UInt8], seconds: Int, nanoseconds: Int = 0) {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        #expect(withCPath(path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) } == 0)
    }

    static func temporaryNames(_ tree: TestTree) -> [String] {
        (FileManager.default.enumerator(atPath: tree.rootString)?.allObjects.compactMap { $0 as? String } ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".dupelink.") }
    }

    @Test func historyShowsEachLinkRunWithFilesLinkedAndBytesFreed() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 30_000, seed: 60)
        for name in ["x", "y/x", "z/x"] { try tree.write(name, bytes) }
        // Two copies freed, by blocks (what df shows): 30,000 bytes rounded up to the block each.
        let freed = try tree.allocatedBytes("y/x") + tree.allocatedBytes("z/x")
        #expect(try CLI.run("link", "--dry-run", "--catalog", catalog, tree.rootString).status == 0)
        #expect(try CLI.run("link", "--catalog", catalog, tree.rootString).status == 0)

        let history = try Self.history(catalog)
        #expect(history.schemaVersion == 1)
        #expect(history.runs.map(\.id) == [1, 2])
        #expect(history.runs.map(\.command) == ["link", "link"])
        #expect(history.runs.map(\.dryRun) == [true, false])
        #expect(history.runs.map(\.status) == ["completed", "completed"])
        #expect(history.runs.map(\.interrupted) == [false, false])
        #expect(history.runs[1].filesChanged == 2)
        #expect(history.runs[1].bytesFreed == freed)
        #expect(history.runs[1].roots.map(\.bytes) == [tree.root])

        let text = try CLI.run("history", "--catalog", catalog)
        #expect(text.status == 0)
        let lines = text.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("RUN") == true)
        #expect(lines.last?.contains("link") == true && lines.last?.contains(ByteSize.format(freed)) == true)
        #expect(lines.last?.hasSuffix(tree.rootString) == true)
    }

    @Test(.enabled(if: getuid() == 0, "giving a file to uid 65534 needs root"))
    func undoRestoresSeparateFilesWithTheirOwnerModeAndTimeAndSkipsNamesChangedSince() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 50_000, seed: 61)
        // The oldest copy, owned by root, is kept; the others differ in owner, mode and time (in
        // ways that let nobody read or write more through the kept inode than before).
        try tree.write("keep", bytes, mode: 0o444)
        try tree.write("nobody/copy", bytes, mode: 0o444)
        try tree.write("changed/copy", bytes, mode: 0o644)
        #expect(withCPath(tree.path("nobody/copy")) { chown($0, 65534, 65534) } == 0)
        Self.setTimes(tree.path("keep"), seconds: 1_000_000_000)
        Self.setTimes(tree.path("nobody/copy"), seconds: 1_100_000_000, nanoseconds: 123_456_789)
        Self.setTimes(tree.path("changed/copy"), seconds: 1_200_000_000)
        let before = try ["keep", "nobody/copy", "changed/copy"].map { try tree.status($0) }

        let link = try CLI.run("link", "--ignore-owner", "--ignore-mode", "--catalog", catalog, tree.rootString)
        #expect(link.status == 0, "\(link.standardError)")
        #expect(try tree.status("nobody/copy").st_ino == before[0].st_ino)
        #expect(try tree.status("changed/copy").st_ino == before[0].st_ino)
        // Since the run, one name was replaced by another file.
        try withCPath(tree.path("changed/copy")) { guard unlink($0) == 0 else { throw POSIXFailure(operation: "unlink", code: errno) } }
        let replacement = patternBytes(count: 50_000, seed: 62)
        try tree.write("changed/copy", replacement)
        let runID = try #require(try Self.history(catalog).runs.last?.id)

        let dry = try CLI.run("undo", "--dry-run", "--catalog", catalog, "\(runID)")
        #expect(dry.status == 1)
        #expect(dry.output.contains("would separate \(tree.rootString)/nobody/copy"))
        #expect(try tree.status("nobody/copy").st_ino == before[0].st_ino)

        let undo = try CLI.run("undo", "--catalog", catalog, "\(runID)")
        #expect(undo.status == 1, "\(undo.standardError)")
        #expect(undo.output.contains("separated \(tree.rootString)/nobody/copy"))
        #expect(undo.standardError.contains("\(tree.rootString)/changed/copy"))
        #expect(undo.standardError.contains("skipped"))

        let restored = try tree.status("nobody/copy")
        #expect(restored.st_ino != before[0].st_ino)
        #expect(restored.st_nlink == 1)
        #expect(restored.st_uid == 65534 && restored.st_gid == 65534)
        #expect(restored.st_mode & 0o7777 == 0o444)
        #expect(restored.st_mtim.tv_sec == 1_100_000_000 && restored.st_mtim.tv_nsec == 123_456_789)
        #expect(try tree.read("nobody/copy") == bytes)
        // The kept file is as it was; the name changed since is left with its new content.
        let kept = try tree.status("keep")
        #expect(kept.st_ino == before[0].st_ino && kept.st_uid == 0 && kept.st_mode & 0o7777 == 0o444)
        #expect(try tree.read("keep") == bytes)
        #expect(try tree.read("changed/copy") == replacement)
        #expect(Self.temporaryNames(tree).isEmpty)

        let history = try Self.history(catalog)
        #expect(history.runs.last?.command == "undo")
        #expect(history.runs.last?.undoneRun == runID)
        #expect(history.runs.last?.filesChanged == 1)
        // What was undone is not undone twice.
        let again = try CLI.run("undo", "--catalog", catalog, "\(runID)")
        #expect(again.output.contains("separated") == false || again.output.contains("Separated 0"))
        #expect(try tree.status("nobody/copy").st_ino == restored.st_ino)
    }

    @Test func undoMakesNamesThatWereOneFileBeforeTheRunOneFileAgain() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 40_000, seed: 65)
        // The kept copy is the narrower one: linking takes read access from others, gives none.
        try tree.write("k/keep", bytes, mode: 0o600)
        try tree.write("d/one", bytes, mode: 0o644)
        try tree.link("d/one", "d/two")
        let original = try tree.status("d/one")
        let link = try CLI.run("link", "--ignore-mode", "--prefer", tree.rootString + "/k", "--catalog", catalog, tree.rootString)
        #expect(link.status == 0, "\(link.standardError)")
        let keep = try tree.status("k/keep")
        #expect(try tree.status("d/one").st_ino == keep.st_ino && tree.status("d/two").st_ino == keep.st_ino)

        let dry = try CLI.run("undo", "--dry-run", "--catalog", catalog, "1")
        #expect(dry.output.contains("copying 39.1 KiB"))
        let undo = try CLI.run("undo", "--catalog", catalog, "1")
        #expect(undo.status == 0, "\(undo.standardError)")
        #expect(undo.output.contains("Separated 2 of 2 names linked by run 1, copying 39.1 KiB"))
        let one = try tree.status("d/one"), two = try tree.status("d/two")
        #expect(one.st_ino == two.st_ino && one.st_ino != keep.st_ino)
        #expect(one.st_nlink == 2)
        #expect(one.st_mode & 0o7777 == 0o644 && original.st_mode & 0o7777 == 0o644)
        #expect(one.st_mtim.tv_sec == original.st_mtim.tv_sec && one.st_mtim.tv_nsec == original.st_mtim.tv_nsec)
        #expect(try tree.read("d/two") == bytes)
        #expect(try tree.status("k/keep").st_nlink == 1)
        #expect(Self.temporaryNames(tree).isEmpty)
    }

    @Test func splitSeparatesALinkedNameAndLeavesASingleNameAlone() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 20_000, seed: 63)
        try tree.write("a", bytes, mode: 0o640)
        try tree.link("a", "b")
        try tree.write("single", bytes)
        Self.setTimes(tree.path("a"), seconds: 1_300_000_000, nanoseconds: 5)
        let before = try tree.status("a")

        let result = try CLI.run("split", "--catalog", catalog, tree.rootString + "/b", tree.rootString + "/single")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("separated \(tree.rootString)/b\n"))
        #expect(result.output.contains("\(tree.rootString)/single: has one link; nothing to do"))
        let a = try tree.status("a"), b = try tree.status("b")
        #expect(a.st_ino == before.st_ino && b.st_ino != before.st_ino)
        #expect(a.st_nlink == 1 && b.st_nlink == 1)
        #expect(b.st_mode & 0o7777 == 0o640 && b.st_uid == before.st_uid && b.st_gid == before.st_gid)
        #expect(b.st_mtim.tv_sec == 1_300_000_000 && b.st_mtim.tv_nsec == 5)
        #expect(try tree.read("b") == bytes && tree.read("a") == bytes)
        #expect(Self.temporaryNames(tree).isEmpty)
        #expect(try Self.history(catalog).runs.map(\.command) == ["split"])

        // Now a has one name: nothing to do.
        let again = try CLI.run("split", "--dry-run", "--catalog", catalog, tree.rootString + "/a")
        #expect(again.status == 0)
        #expect(again.output.contains("has one link; nothing to do"))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func splitRefusesWithAClearMessageWhenTheFilesystemLacksSpaceAndChangesNothing() throws {
        let mountPoint = try TestTree()
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint.rootString]) == 0 else {
            Issue.record("cannot mount a tmpfs at \(mountPoint.rootString)")
            return
        }
        defer { run("/bin/umount", [mountPoint.rootString]) }
        let bytes = patternBytes(count: 700_000, seed: 64)
        try mountPoint.write("big", bytes)
        try mountPoint.link("big", "big-too")
        let before = try mountPoint.status("big")

        let result = try CLI.run("split", "--no-catalog", mountPoint.rootString + "/big-too")
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(mountPoint.rootString)/big-too"))
        #expect(result.standardError.contains("needs 684 KiB (700000 bytes)"))
        #expect(result.standardError.contains("nothing was changed"))
        #expect(try mountPoint.status("big-too").st_ino == before.st_ino)
        #expect(try mountPoint.status("big").st_nlink == 2)
        #expect(Self.temporaryNames(mountPoint).isEmpty)
        #expect(try mountPoint.read("big-too") == bytes)
    }

    @Test func historyAndUndoNeverCreateACatalog() throws {
        let state = try TestTree()
        let catalog = state.rootString + "/missing/catalog.sqlite"
        let history = try CLI.run("history", "--catalog", catalog)
        #expect(history.status == 0)
        #expect(history.output == "No runs are journaled in this catalog.\n")
        let undo = try CLI.run("undo", "--catalog", catalog, "1")
        #expect(undo.status == 2)
        #expect(undo.standardError.contains("there is no catalog"))
        #expect(!FileManager.default.fileExists(atPath: state.rootString + "/missing"))
    }

    @Test func everyJournalCommandOptionIsInTheManualPageAndTheReadme() throws {
        let manual = try String(contentsOf: ManualPageTests.repository.appendingPathComponent("man/dupelink.1"), encoding: .utf8)
        let readme = try String(contentsOf: ManualPageTests.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for command in ["history", "undo", "split"] {
            #expect(manual.contains(".It Cm \(command)"), "man/dupelink.1 lacks the \(command) command")
            #expect(readme.contains("dupelink \(command)"), "README.md lacks dupelink \(command)")
            for option in try ManualPageTests().longOptions(of: command) {
                #expect(manual.contains("Fl -\(option)") || manual.contains(", -\(option)"), "man/dupelink.1 lacks --\(option)")
                #expect(readme.contains("--\(option)"), "README.md lacks --\(option)")
            }
        }
        #expect(readme.contains("## Journal and undo"))
        #expect(readme.contains("DUPELINK_LONG_TESTS"))
    }
}
