import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// What `undo` and `split` separate stays separate: a timer's next `link` leaves it, until asked.
@Suite struct UndoSticksTests {
    @Test func namesThatUndoSeparatedStaySeparateUntilAskedOrForgotten() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 20_000, seed: 131)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        #expect(try CLI.run("link", "--catalog", catalog, tree.rootString).status == 0)
        #expect(try CLI.run("undo", "--catalog", catalog, "1").status == 0)
        try #require(try tree.status("a").st_ino != tree.status("b").st_ino)

        // The next run, as a timer would start it: the separated copy is left as it is.
        let again = try CLI.run("link", "--format", "json", "--catalog", catalog, tree.rootString)
        #expect(again.status == 3, "\(again.standardError)")
        let report = try JSONReport.decode(again.standardOutput)
        #expect(report.refusals.map(\.reason) == ["kept-separate"])
        #expect(report.refusals.first?.message.contains("kept separate since undo or split") == true)
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
        // A saved scan applied later leaves it too.
        let scan = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(scan.status == 0)
        let applied = try CLI.run("link", "--scan", "2", "--format", "json", "--catalog", catalog)
        #expect(try JSONReport.decode(applied.standardOutput).refusals.map(\.reason) == ["kept-separate"], "\(applied.standardError)")
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
        let info = try CLI.run("catalog", "info", "--catalog", catalog)
        #expect(info.output.contains("kept separate: 1"), "\(info.output)")

        // Asked for: linked again.
        let relinked = try CLI.run("link", "--relink-separated", "--catalog", catalog, tree.rootString)
        #expect(relinked.status == 0, "\(relinked.standardError)")
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)
    }

    @Test func aSplitNameStaysSeparateAndPruneForgetsIt() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 12_000, seed: 132)
        try tree.write("a", bytes)
        try tree.link("a", "b")
        let split = try CLI.run("split", "--catalog", catalog, tree.rootString + "/b")
        #expect(split.status == 0, "\(split.standardError)")
        try #require(try tree.status("a").st_ino != tree.status("b").st_ino)
        #expect(try CLI.run("link", "--catalog", catalog, tree.rootString).status == 3)
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)

        let prune = try CLI.run("catalog", "prune", "--forget-separated", "--catalog", catalog)
        #expect(prune.status == 0 && prune.output.contains("Forgot 1 file that undo or split separated"), "\(prune.output)")
        #expect(try CLI.run("link", "--catalog", catalog, tree.rootString).status == 0)
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)
    }
}
