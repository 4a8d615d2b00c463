import DupelinkCore
import DupelinkTestSupport
import Foundation
import Testing

/// `dupelink report`: a saved scan printed again, exactly as the scan printed it.
@Suite struct ReportCommandTests {
    @Test func reportPrintsTheLatestAndAGivenScanAsTheScanPrintedThem() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let a = patternBytes(count: 40_000, seed: 11)
        let b = patternBytes(count: 3_000, seed: 12)
        try tree.write("a1", a)
        try tree.write("deep/er/a2", a)
        try tree.link("deep/er/a2", "deep/a2-link")
        try tree.write("b1", b)
        try tree.write("other/b2", b)
        // Each tree is scanned twice, as text and as JSON: the second scan finds what the first
        // found, so it updates that scan (and its counters), and both print its number.
        let firstText = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(firstText.status == 0, "\(firstText.standardError)")
        let firstJSON = try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString)
        try tree.write("deep/a3", a)
        let latestText = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        let latestJSON = try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString)
        #expect(firstText.output.contains("Saved in the catalog as scan 1."))
        #expect(latestText.output.contains("Saved in the catalog as scan 2."))

        let reportLatestJSON = try CLI.run("report", "--catalog", catalog, "--format", "json")
        #expect(reportLatestJSON.status == 0, "\(reportLatestJSON.standardError)")
        #expect(reportLatestJSON.output == latestJSON.output)
        let reportLatestText = try CLI.run("report", "--catalog", catalog)
        #expect(reportLatestText.output == latestText.output)
        #expect(try CLI.run("report", "2", "--catalog", catalog).output == latestText.output)
        #expect(try CLI.run("report", "1", "--catalog", catalog).output == firstText.output)
        #expect(try CLI.run("report", "1", "--catalog", catalog, "--format", "json").output == firstJSON.output)
        #expect(try CLI.run("report", "3", "--catalog", catalog).status == 2)
        #expect(firstText.output != latestText.output)
        // The other renderers work on the rebuilt scan too.
        let fdupes = try CLI.run("report", "1", "--catalog", catalog, "--format", "fdupes")
        #expect(fdupes.output == "\(tree.rootString)/a1\n\(tree.rootString)/deep/a2-link\n\(tree.rootString)/deep/er/a2\n\n\(tree.rootString)/b1\n\(tree.rootString)/other/b2\n")
    }

    @Test func reportOfAScanThatIsNotSavedFailsWithStatus2() throws {
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let empty = try CLI.run("report", "--catalog", catalog)
        #expect(empty.status == 2)
        #expect(empty.standardError.contains("has no saved scan"))
        let tree = try TestTree()
        try tree.write("x", patternBytes(count: 100, seed: 1))
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        let missing = try CLI.run("report", "999", "--catalog", catalog)
        #expect(missing.status == 2)
        #expect(missing.standardOutput.isEmpty)
        #expect(missing.standardError.contains("the catalog has no scan 999"), "\(missing.standardError)")
    }

    @Test func everyReportOptionIsInTheManualPageAndTheReadme() throws {
        let manual = try String(contentsOf: ManualPageTests.repository.appendingPathComponent("man/dupelink.1"), encoding: .utf8)
        let readme = try String(contentsOf: ManualPageTests.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let options = try ManualPageTests().longOptions(of: "report")
        #expect(options.isSuperset(of: ["format", "catalog", "prefer"]))
        for option in options {
            #expect(manual.contains("Fl -\(option)") || manual.contains(", -\(option)"), "man/dupelink.1 lacks --\(option)")
            #expect(readme.contains("--\(option)"), "README.md lacks --\(option)")
        }
        #expect(manual.contains(".It Cm report") && readme.contains("## Review, then apply"))
    }
}
