import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Each documented exit status, produced by a real run of the binary on a real tree. (4 is in
/// `ConcurrentRunTests`, 130 in `InterruptTests`.)
@Suite struct ExitStatusTests {
    /// A tree with one pair of identical files and one unique file.
    static func treeWithAPair() throws -> TestTree {
        let tree = try TestTree()
        let bytes = patternBytes(count: 20_000, seed: 11)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.write("c", patternBytes(count: 20_000, seed: 12))
        return tree
    }

    @Test func scanExitsZeroWithOrWithoutDuplicates() throws {
        let tree = try Self.treeWithAPair()
        #expect(try CLI.run("scan", tree.rootString).status == 0)
        let unique = try TestTree()
        try unique.write("only", [1, 2, 3])
        let result = try CLI.run("scan", unique.rootString)
        #expect(result.status == 0)
        #expect(result.output.contains("No duplicates found."), "\(result.output)")
    }

    @Test func linkExitsZeroWhenItLinksAndThreeWhenNothingIsLeftToLink() throws {
        let tree = try Self.treeWithAPair()
        #expect(try CLI.run("link", "--dry-run", tree.rootString).status == 0)
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
        let linked = try CLI.run("link", tree.rootString)
        #expect(linked.status == 0)
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)
        // The next nightly run finds the pair already one inode: nothing to do.
        #expect(try CLI.run("link", tree.rootString).status == 3)
        #expect(try CLI.run("link", "--dry-run", tree.rootString).status == 3)
        #expect(try CLI.run("scan", tree.rootString).status == 0)
    }

    @Test func linkExitsThreeWhenEveryDuplicateIsRefused() throws {
        let tree = try Self.treeWithAPair()
        // Another owner: refused unless --ignore-owner.
        #expect(chown(tree.rootString + "/b", 65534, 65534) == 0)
        let result = try CLI.run("link", tree.rootString)
        #expect(result.status == 3)
        #expect(result.output.contains("not linked"))
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
    }

    @Test func aRootThatCannotBeScannedMakesTheRunPartial() throws {
        let tree = try Self.treeWithAPair()
        let missing = tree.rootString + "/missing"
        let scan = try CLI.run("scan", tree.rootString, missing)
        #expect(scan.status == 1)
        #expect(scan.standardError.contains(missing))
        // The rest was done: the pair is reported, and linked.
        #expect(scan.output.contains("1 duplicate"))
        let link = try CLI.run("link", tree.rootString, missing)
        #expect(link.status == 1)
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)
        // Partial wins over nothing to do.
        #expect(try CLI.run("link", tree.rootString, missing).status == 1)
    }

    @Test func nothingScannedOrOutputNotWritableIsAFailure() throws {
        let tree = try Self.treeWithAPair()
        let nothing = try CLI.run("scan", tree.rootString + "/missing")
        #expect(nothing.status == 2)
        #expect(nothing.standardError.contains("no directory could be scanned"))

        let cache = try TestTree()
        let full = try PipedCLI(["scan", tree.rootString], cacheHome: cache.rootString, outputPath: "/dev/full").finish()
        #expect(full.status == 2)
        #expect(full.standardError.contains("cannot write the report to standard output"))

        let summary = try CLI.run("scan", "--summary-json", tree.rootString + "/no/such/folder/runs.jsonl", tree.rootString)
        #expect(summary.status == 2)
        #expect(summary.standardError.contains("runs.jsonl: cannot open the --summary-json file"))
        #expect(summary.output.isEmpty)
    }

    @Test func aClosedPipeEndsTheRunLikeAnyOutputErrorWithItsSummaryLine() throws {
        // More report than a pipe holds: the writes after `head` exits meet a closed pipe.
        let tree = try TestTree()
        for index in 0..<1_500 {
            let bytes = patternBytes(count: 64 + index, seed: UInt64(index))
            try tree.write("some/longer/directory/name/a\(index)", bytes)
            try tree.write("some/longer/directory/name/b\(index)", bytes)
        }
        let state = try TestTree()
        let summary = state.rootString + "/runs.jsonl"
        let script = "\"$0\" link --no-catalog --summary-json \"$1\" \"$2\" | head -c 1 > /dev/null; echo \"${PIPESTATUS[0]}\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, CLI.binary, summary, tree.rootString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "exit status \(printed), not 141 (SIGPIPE)")
        let lines = try String(contentsOfFile: summary, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("\"exitStatus\":2") == true, "\(lines)")
        // The links were made before the report was written; the run was not cut short.
        #expect(try tree.status("some/longer/directory/name/a7").st_ino == tree.status("some/longer/directory/name/b7").st_ino)
    }

    @Test(arguments: [
        ["scan"],
        ["scan", "--wait", "-1", "/"],
        ["scan", "--wait", "soon", "/"],
        ["link", "--summary-json", "", "/"],
        ["catalog", "prune"],
        ["catalog", "prune", "--keep-scans", "-2"],
        ["catalog", "info", "--no-catalog"],
    ])
    func aWrongCommandLineIsAUsageError(arguments: [String]) throws {
        let result = try CLI.run(arguments.map { Array($0.utf8) })
        #expect(result.status == 64, "\(arguments): \(result.standardError)")
        #expect(result.output.isEmpty)
    }
}
