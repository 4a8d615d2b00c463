import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A run that failed looks like a failure everywhere it is recorded: no scan is saved for a scan
/// of nothing, `history` shows a failed link as failed, a dry run with what it would have done,
/// and `report --list` lists the saved scans with their figures.
@Suite struct TruthfulStatusTests {
    struct Listing: Decodable {
        struct Scan: Decodable {
            var id: Int64
            var classes: Int
            var names: Int
            var reclaimableBytes: Int64?
            var roots: [JSONReport.PathValue]
        }
        var scans: [Scan]
    }

    func listing(_ catalog: String) throws -> Listing {
        let result = try CLI.run("report", "--list", "--format", "json", "--catalog", catalog)
        try #require(result.status == 0, "\(result.standardError)")
        return try JSONDecoder().decode(Listing.self, from: Data(result.standardOutput))
    }

    @Test func aScanOfNothingIsNotSavedAndTheListShowsWhatWas() throws {
        let tree = try ExitStatusTests.treeWithAPair()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let good = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(good.status == 0)
        let nothing = try CLI.run("scan", "--catalog", catalog, tree.rootString + "/missing")
        #expect(nothing.status == 2)
        #expect(!nothing.output.contains("Saved in the catalog"), "\(nothing.output)")
        let scans = try listing(catalog).scans
        #expect(scans.map(\.id) == [1])
        // Reclaimable bytes are counted by allocated blocks: what one copy occupies.
        let allocated = Int64(try tree.status("a").st_blocks) * 512
        #expect(scans.first?.classes == 1 && scans.first?.names == 2)
        #expect(scans.first?.reclaimableBytes == allocated)
        #expect(scans.first?.roots.map(\.path) == [tree.rootString])
        // `report` still prints the scan that found something.
        let report = try CLI.run("report", "--catalog", catalog)
        #expect(report.status == 0 && report.output.contains("1 duplicate"), "\(report.output)")
        let text = try CLI.run("report", "--list", "--catalog", catalog)
        #expect(text.output.hasPrefix("SCAN  STARTED (UTC)"), "\(text.output)")
    }

    @Test func historyShowsAFailedLinkAsFailedAndADryRunWithWhatItWouldHaveDone() throws {
        let tree = try ExitStatusTests.treeWithAPair()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let dry = try CLI.run("link", "--dry-run", "--catalog", catalog, tree.rootString)
        #expect(dry.status == 0, "\(dry.standardError)")
        // A link whose report cannot be written: it linked, then failed with status 2.
        let failed = try PipedCLI(["link", "--catalog", catalog, tree.rootString], cacheHome: state.rootString, outputPath: "/dev/full").finish()
        #expect(failed.status == 2)
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)

        let runs = try JournalCommandTests.history(catalog).runs
        #expect(runs.count == 2)
        #expect(runs.first?.dryRun == true && runs.first?.filesChanged == 1, "a dry run shows what it would do")
        #expect(runs.first?.exitStatus == 0)
        #expect(runs.last?.exitStatus == 2 && runs.last?.filesChanged == 1)
        let text = try CLI.run("history", "--catalog", catalog)
        #expect(text.output.split(separator: "\n").last?.contains("failed (exit 2)") == true, "\(text.output)")
    }
}
