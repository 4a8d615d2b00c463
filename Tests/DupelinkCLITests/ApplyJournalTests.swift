import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `link --scan` and `link --from` change the disk like any `link`: they are journaled (so
/// `history` lists them and `undo` undoes them), and a temporary name a killed run left is never
/// taken for a file of the tree.
@Suite struct ApplyJournalTests {
    @Test(arguments: ["scan", "from"])
    func anAppliedScanOrReportIsJournaledAndUndone(source: String) throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 25_000, seed: 111)
        try tree.write("a", bytes)
        try tree.write("d/b", bytes)
        try tree.write("d/c", bytes)
        let before = try ["a", "d/b", "d/c"].map { try tree.status($0).st_ino }
        let scan = try CLI.run("scan", "--format", "json", "--catalog", catalog, tree.rootString)
        #expect(scan.status == 0, "\(scan.standardError)")
        var arguments = ["link", "--catalog", catalog]
        if source == "scan" {
            arguments += ["--scan", "1"]
        } else {
            let report = state.rootString + "/report.json"
            #expect(FileManager.default.createFile(atPath: report, contents: Data(scan.standardOutput)))
            arguments += ["--from", report]
        }
        let link = try CLI.run(arguments.map { Array($0.utf8) })
        #expect(link.status == 0, "\(link.standardError)")
        #expect(try Set(["a", "d/b", "d/c"].map { try tree.status($0).st_ino }).count == 1)

        let history = try JournalCommandTests.history(catalog)
        let run = try #require(history.runs.last)
        #expect(run.command == "link" && run.filesChanged == 2, "\(history.runs)")
        let undo = try CLI.run("undo", "--catalog", catalog, "\(run.id)")
        #expect(undo.status == 0, "\(undo.standardError)")
        #expect(try ["a", "d/b", "d/c"].map { try tree.status($0).st_ino }.filter { before.contains($0) }.count >= 1)
        #expect(try Set(["a", "d/b", "d/c"].map { try tree.status($0).st_ino }).count == 3)
        for name in ["a", "d/b", "d/c"] { #expect(try tree.read(name) == bytes) }
    }

    @Test func aTemporaryNameIsNeverAClassMember() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 9_000, seed: 112)
        try tree.write("a", bytes)
        // What a killed run can leave: a second name of the kept copy, or of the duplicate.
        try tree.write(".dupelink.4242.7.tmp", bytes)
        // Named like one, but not of its exact shape: an ordinary file.
        try tree.write(".dupelink.notes.tmp", bytes)
        let result = try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString)
        let report = try JSONReport.decode(result.standardOutput)
        let paths = report.classes.flatMap { $0.files.map(\.path) }.sorted()
        #expect(paths == [tree.rootString + "/.dupelink.notes.tmp", tree.rootString + "/a"])
    }
}
