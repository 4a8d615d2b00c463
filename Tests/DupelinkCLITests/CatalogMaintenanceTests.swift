import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `dupelink catalog info` and `dupelink catalog prune` on catalogs made by real scans.
@Suite struct CatalogMaintenanceTests {
    /// Four files of one size (two identical) and one of another: four digest rows per scan.
    static func tree() throws -> TestTree {
        let tree = try TestTree()
        let same = patternBytes(count: 40_000, seed: 31)
        try tree.write("a", same)
        try tree.write("b", same)
        try tree.write("c", patternBytes(count: 40_000, seed: 32))
        try tree.write("d", patternBytes(count: 40_000, seed: 33))
        try tree.write("lonely", patternBytes(count: 1_000, seed: 34))
        return tree
    }

    static func info(_ catalog: String) throws -> [String: Any] {
        let result = try CLI.run("catalog", "info", "--format", "json", "--catalog", catalog)
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput))
        return try #require(object as? [String: Any])
    }

    /// Sets the modification time of `relative` in `tree`, so the scan after finds a changed member.
    static func touch(_ tree: TestTree, _ relative: String, day: Int) {
        #expect(run("/usr/bin/touch", ["-m", "-d", "2001-02-0\(day) 04:05:06", tree.rootString + "/" + relative]) == 0)
    }

    @Test func infoCountsDigestsScansAndTheLastScanAfterTwoScans() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = folder.rootString + "/catalog.sqlite"
        let before = Date(timeIntervalSinceNow: -1)
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        Self.touch(tree, "a", day: 1)
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        let after = Date(timeIntervalSinceNow: 1)

        let info = try Self.info(catalog)
        #expect(Set(info.keys) == ["schemaVersion", "path", "sizeOnDisk", "digests", "filesystems", "scans", "lastScanStartedAt", "keptSeparate"])
        #expect(info["keptSeparate"] as? Int == 0)
        #expect(info["path"] as? String == catalog)
        // The lonely file has no partner of its size, so it is never read and has no digest.
        #expect(info["digests"] as? Int == 4)
        #expect(info["filesystems"] as? Int == 1)
        #expect(info["scans"] as? Int == 2)
        let onDisk = try TestTree.status(Array(catalog.utf8)).st_size
            + ((try? TestTree.status(Array((catalog + "-wal").utf8)).st_size) ?? 0)
        #expect(info["sizeOnDisk"] as? Int == onDisk)
        #expect(onDisk > 0)
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let last = try #require((info["lastScanStartedAt"] as? String).flatMap(parser.date(from:)))
        #expect(before <= last && last <= after)

        let text = try CLI.run("catalog", "info", "--catalog", catalog)
        #expect(text.status == 0)
        #expect(text.output.contains("catalog:      \(catalog)\n"))
        #expect(text.output.contains("digests:      4 (on 1 filesystem)\n"))
        #expect(text.output.contains("saved scans:  2\n"))
        #expect(text.output.contains("last scan:    \(info["lastScanStartedAt"] as? String ?? "?")\n"))
    }

    @Test func pruneForgetsTheDigestsOfDeletedAndChangedFilesOnly() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = folder.rootString + "/catalog.sqlite"
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        #expect(try Self.info(catalog)["digests"] as? Int == 4)

        // Nothing changed: nothing to forget.
        let unchanged = try CLI.run("catalog", "prune", "--catalog", catalog, tree.rootString)
        #expect(unchanged.status == 0)
        #expect(unchanged.output == "Forgot 0 digests of files that no longer exist or changed (walked 5 files).\n")

        #expect(unlink(tree.rootString + "/c") == 0)
        try tree.write("d", patternBytes(count: 40_000, seed: 35))
        let pruned = try CLI.run("catalog", "prune", "--catalog", catalog, tree.rootString)
        #expect(pruned.status == 0, "\(pruned.standardError)")
        #expect(pruned.output == "Forgot 2 digests of files that no longer exist or changed (walked 4 files).\n")
        #expect(try Self.info(catalog)["digests"] as? Int == 2)
        // The rows kept are still used: a and b are not read again.
        let rescan = try JSONReport.decode(try CLI.run("scan", "--format", "json", "--catalog", catalog, tree.rootString).standardOutput)
        #expect(rescan.statistics.catalogHits == 2)
    }

    @Test func keepScansLeavesTheNewestAndOlderThanKeepsFreshDigests() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = folder.rootString + "/catalog.sqlite"
        // A member changes before each scan, so each is saved as a new one.
        for day in 1...3 {
            Self.touch(tree, "a", day: day)
            #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        }
        let last = try Self.info(catalog)["lastScanStartedAt"] as? String
        #expect(try Self.info(catalog)["scans"] as? Int == 3)

        let result = try CLI.run("catalog", "prune", "--keep-scans", "1", "--older-than", "1", "--catalog", catalog)
        #expect(result.status == 0)
        #expect(result.output == "Forgot 0 digests stored more than 1 day ago.\nDeleted 2 saved scans; kept the newest 1.\n")
        let info = try Self.info(catalog)
        #expect(info["scans"] as? Int == 1)
        #expect(info["lastScanStartedAt"] as? String == last)
        #expect(info["digests"] as? Int == 4)
        // A scan that finds what the newest found updates it; the next new one keeps counting.
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).output.contains("Saved in the catalog as scan 3."))
        Self.touch(tree, "a", day: 4)
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).output.contains("Saved in the catalog as scan 4."))
    }

    @Test func catalogCommandsNeverMakeACatalog() throws {
        let folder = try TestTree()
        let catalog = folder.rootString + "/none/catalog.sqlite"
        for arguments in [["catalog", "info"], ["catalog", "prune", "--keep-scans", "3"]] {
            let result = try CLI.run((arguments + ["--catalog", catalog]).map { Array($0.utf8) })
            #expect(result.status == 2)
            #expect(result.standardError == "dupelink: there is no catalog at \(catalog) (a scan makes one); name another with --catalog\n")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.rootString + "/none"))
    }

    @Test func pruneOfPathsThatCannotBeWalkedForgetsNothing() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = folder.rootString + "/catalog.sqlite"
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        let result = try CLI.run("catalog", "prune", "--catalog", catalog, tree.rootString + "/missing")
        #expect(result.status == 2)
        #expect(result.standardError.contains("nothing was forgotten"))
        #expect(try Self.info(catalog)["digests"] as? Int == 4)
    }

    @Test(arguments: [["catalog", "info"], ["catalog", "prune"]])
    func everyCatalogCommandOptionIsInTheManualPageAndTheReadme(command: [String]) throws {
        let repository = ManualPageTests.repository
        let manual = try String(contentsOf: repository.appendingPathComponent("man/dupelink.1"), encoding: .utf8)
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let help = try CLI.run((command + ["--help"]).map { Array($0.utf8) }).output
        let pattern = try NSRegularExpression(pattern: "(?<![\\w-])--([a-z][a-z-]*)")
        let options = Set(pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)).compactMap {
            Range($0.range(at: 1), in: help).map { String(help[$0]) }
        })
        #expect(options.isSuperset(of: ["catalog", "wait"]))
        for option in options {
            #expect(manual.contains("Fl -\(option)") || manual.contains(", -\(option)"), "man/dupelink.1 lacks --\(option)")
            #expect(readme.contains("--\(option)"), "README.md lacks --\(option)")
        }
        #expect(manual.contains(".Cm \(command.joined(separator: " "))"))
        #expect(readme.contains("dupelink \(command.joined(separator: " "))"))
    }
}
