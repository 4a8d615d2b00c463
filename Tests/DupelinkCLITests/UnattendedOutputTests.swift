import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// What an unattended run prints: with `--quiet`, the report and nothing else; with
/// `--summary-json`, one line of JSON per run with the documented keys and the right figures.
@Suite struct UnattendedOutputTests {
    /// The keys the README and the man page document, all always present.
    static let documentedKeys: Set<String> = [
        "schemaVersion", "command", "dryRun", "startedAt", "endedAt", "roots", "catalog", "scanID", "filesScanned",
        "bytesScanned", "classes", "duplicates", "reclaimableBytes", "filesLinked", "bytesFreed", "bytesFreedMeasured", "bytesCompared",
        "secondsComparing", "replacementsWithoutLease", "warnings", "refused", "exitStatus", "error",
        "apparentReclaimableBytes", "apparentBytesFreed", "stageSeconds", "alreadySharedBytes", "filesAlreadyShared",
    ]

    /// Two classes (3 names of 30 000 bytes, 2 names of 5 000 bytes), one unique file, one missing root.
    static func tree() throws -> TestTree {
        let tree = try TestTree()
        let big = patternBytes(count: 30_000, seed: 21)
        for name in ["x/1", "x/2", "y/1"] { try tree.write(name, big) }
        let small = patternBytes(count: 5_000, seed: 22)
        for name in ["x/s", "y/s"] { try tree.write(name, small) }
        try tree.write("unique", patternBytes(count: 5_000, seed: 23))
        return tree
    }

    static func parse(_ line: Substring) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any])
    }

    @Test(arguments: ["scan", "link"])
    func quietPrintsNothingOnStandardErrorAndOnlyTheReportOnStandardOutput(command: String) throws {
        let tree = try Self.tree()
        let missing = tree.rootString + "/missing"
        // Without --quiet, the same run warns: there is something to silence.
        let loudTree = try Self.tree()
        let loud = try CLI.run(command, "--no-catalog", "--format", "fdupes", loudTree.rootString, loudTree.rootString + "/missing")
        #expect(loud.status == 1)
        #expect(loud.standardError.contains("warning: \(loudTree.rootString)/missing"), "\(loud.standardError)")

        let result = try CLI.run(command, "--no-catalog", "--quiet", "--format", "fdupes", tree.rootString, missing)
        #expect(result.status == 1)
        #expect(result.standardError == "")
        let expected = """
            \(tree.rootString)/x/1
            \(tree.rootString)/x/2
            \(tree.rootString)/y/1

            \(tree.rootString)/x/s
            \(tree.rootString)/y/s

            """
        #expect(result.output == expected)
    }

    @Test func aQuietRunWithDuplicatesAndNoProblemPrintsNothingOnStandardError() throws {
        let tree = try Self.tree()
        for command in ["scan", "link"] {
            let result = try CLI.run(command, "--quiet", tree.rootString)
            #expect(result.status == 0)
            #expect(result.standardError == "", "\(command): \(result.standardError)")
        }
    }

    @Test func summaryJSONOnStandardErrorIsOneLineWithEveryKeyAndTheRightFigures() throws {
        let tree = try Self.tree()
        // Freed by blocks (what df shows): two 30,000-byte copies and one 5,000-byte copy.
        let freed = try 2 * tree.allocatedBytes("x/1") + tree.allocatedBytes("x/s")
        let before = Date(timeIntervalSinceNow: -1)
        let result = try CLI.run("link", "--quiet", "--summary-json", "-", "--format", "json", tree.rootString)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 2 && lines[1].isEmpty, "not one line: \(result.standardError)")
        let summary = try Self.parse(lines[0])
        #expect(Set(summary.keys) == Self.documentedKeys)
        #expect(summary["schemaVersion"] as? Int == 1)
        #expect(summary["command"] as? String == "link")
        #expect(summary["dryRun"] as? Bool == false)
        #expect((summary["roots"] as? [[String: String]]) == [["path": tree.rootString]])
        #expect(summary["filesScanned"] as? Int == 6)
        #expect(summary["bytesScanned"] as? Int == 3 * 30_000 + 3 * 5_000)
        #expect(summary["classes"] as? Int == 2)
        #expect(summary["duplicates"] as? Int == 3)
        #expect(summary["reclaimableBytes"] as? Int64 == freed)
        #expect(summary["apparentReclaimableBytes"] as? Int == 2 * 30_000 + 5_000)
        #expect(summary["filesLinked"] as? Int == 3)
        #expect(summary["bytesFreed"] as? Int64 == freed)
        #expect(summary["apparentBytesFreed"] as? Int == 2 * 30_000 + 5_000)
        #expect(summary["warnings"] as? Int == 0)
        #expect(summary["refused"] as? Int == 0)
        #expect(summary["exitStatus"] as? Int == 0)
        #expect(summary["scanID"] as? Int == 1)
        #expect(summary["error"] is NSNull)
        let catalog = try #require(summary["catalog"] as? [String: String])
        #expect(catalog["path"]?.hasSuffix("/cache/dupelink/catalog.sqlite") == true)
        // The figures are the report's.
        let report = try JSONReport.decode(result.standardOutput)
        #expect(summary["reclaimableBytes"] as? Int64 == report.summary.reclaimableBytes)

        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let started = try #require((summary["startedAt"] as? String).flatMap(parser.date(from:)))
        let ended = try #require((summary["endedAt"] as? String).flatMap(parser.date(from:)))
        #expect((summary["startedAt"] as? String)?.hasSuffix("Z") == true)
        #expect(before <= started && started <= ended && ended <= Date(timeIntervalSinceNow: 1))
    }

    @Test func aScanSummaryHasNullLinkFiguresAndCountsWarnings() throws {
        let tree = try Self.tree()
        let result = try CLI.run("scan", "--quiet", "--no-catalog", "--summary-json", "-", tree.rootString, tree.rootString + "/missing")
        #expect(result.status == 1)
        let summary = try Self.parse(try #require(result.standardError.split(separator: "\n").first))
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(Set(summary.keys) == Self.documentedKeys)
        #expect(summary["command"] as? String == "scan")
        #expect(summary["filesLinked"] is NSNull && summary["bytesFreed"] is NSNull && summary["apparentBytesFreed"] is NSNull)
        #expect(summary["scanID"] is NSNull && summary["catalog"] is NSNull)
        #expect(summary["warnings"] as? Int == 1)
        #expect(summary["exitStatus"] as? Int == 1)
        #expect((summary["roots"] as? [Any])?.count == 2)
    }

    @Test func summaryJSONFileGetsOneLinePerRunFailuresIncluded() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let log = folder.rootString + "/runs.jsonl"
        let catalog = folder.rootString + "/catalog.sqlite"
        let notACatalog = try folder.write("notes.txt", Array("notes\n".utf8))
        #expect(try CLI.run("scan", "--catalog", catalog, "--summary-json", log, tree.rootString).status == 0)
        #expect(try CLI.run("link", "--catalog", catalog, "--summary-json", log, tree.rootString).status == 0)
        #expect(try CLI.run("link", "--catalog", catalog, "--summary-json", log, tree.rootString).status == 3)
        let refused = try CLI.run(
            "link", "--catalog", String(decoding: notACatalog, as: UTF8.self), "--summary-json", log, tree.rootString)
        #expect(refused.status == 2)
        // The log is not standard error: that still says why.
        #expect(refused.standardError.contains("notes.txt"))

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 4)
        let summaries = try lines.map(Self.parse)
        for summary in summaries { #expect(Set(summary.keys) == Self.documentedKeys) }
        #expect(summaries.map { $0["exitStatus"] as? Int } == [0, 0, 3, 2])
        #expect(summaries.map { $0["command"] as? String } == ["scan", "link", "link", "link"])
        // The first link found what the scan found, so it updated scan 1; the second found the
        // files linked, which is a new scan.
        #expect(summaries.map { $0["scanID"] as? Int } == [1, 1, 2, nil])
        #expect(summaries[1]["filesLinked"] as? Int == 3)
        #expect(summaries[2]["filesLinked"] as? Int == 0 && summaries[2]["classes"] as? Int == 0)
        #expect((summaries[3]["error"] as? String)?.contains("notes.txt") == true)
        #expect(summaries[3]["filesScanned"] is NSNull)
        #expect(try TestTree.status(Array(log.utf8)).st_mode & 0o777 == 0o600)
    }

    @Test func aLockedOutRunWritesItsSummaryLineToo() throws {
        let tree = try ConcurrentRunTests.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try ConcurrentRunTests.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let result = try CLI.run("link", "--quiet", "--summary-json", "-", "--catalog", catalog, tree.rootString)
        #expect(result.status == 4)
        let lines = result.standardError.split(separator: "\n")
        try #require(lines.count == 2)
        #expect(lines[0].hasPrefix("dupelink: the catalog \(catalog) is in use"))
        let summary = try Self.parse(lines[1])
        #expect(Set(summary.keys) == Self.documentedKeys)
        #expect(summary["exitStatus"] as? Int == 4)
        #expect((summary["catalog"] as? [String: String])?["path"] == catalog)
        #expect((summary["error"] as? String)?.contains("pid \(holder.pid)") == true)
        #expect(holder.finish().status == 0)
    }

    /// Runs `link` on a tree with a pair and `--summary-json log`, expecting a refusal before any
    /// work: status 2, one line naming the file and `reason`, nothing linked, no catalog made.
    static func expectSummaryFileRefused(_ log: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tree = try ExitStatusTests.treeWithAPair()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let result = try CLI.run("link", "--catalog", catalog, "--summary-json", log, tree.rootString)
        #expect(result.status == 2, "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(
            result.standardError == "dupelink: \(log): cannot open the --summary-json file for appending (\(reason))\n",
            sourceLocation: sourceLocation)
        #expect(result.output.isEmpty, sourceLocation: sourceLocation)
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino, "linked anyway", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.rootString).isEmpty, sourceLocation: sourceLocation)
    }

    @Test func aSummaryFileWithASecondNameIsRefusedAndBothNamesAreUnchanged() throws {
        let folder = try TestTree()
        let elsewhere = try TestTree()
        let earlier = Array("{\"schemaVersion\":1}\n".utf8)
        let log = String(decoding: try folder.write("runs.jsonl", earlier, mode: 0o600), as: UTF8.self)
        #expect(link(log, elsewhere.rootString + "/important") == 0)
        try Self.expectSummaryFileRefused(
            log, reason: "it has 2 names, and dupelink appends only to a file with one, so that it cannot be made to write to a file named elsewhere")
        #expect(try folder.read("runs.jsonl") == earlier)
        #expect(try elsewhere.read("important") == earlier)
        #expect(try folder.status("runs.jsonl").st_nlink == 2)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func aSummaryFileOwnedByAnotherUserIsRefused() throws {
        let folder = try TestTree()
        let earlier = Array("theirs\n".utf8)
        let log = String(decoding: try folder.write("runs.jsonl", earlier, mode: 0o666), as: UTF8.self)
        #expect(chown(log, 65534, 65534) == 0)
        try Self.expectSummaryFileRefused(log, reason: "it is owned by uid 65534, and you are uid 0")
        #expect(try folder.read("runs.jsonl") == earlier)
    }

    @Test func aSymbolicLinkAsTheSummaryFileIsRefusedAndItsTargetUnchanged() throws {
        let folder = try TestTree()
        let earlier = Array("target\n".utf8)
        try folder.write("target", earlier, mode: 0o600)
        try folder.symlink(folder.rootString + "/target", "runs.jsonl")
        try Self.expectSummaryFileRefused(folder.rootString + "/runs.jsonl", reason: "it is a symbolic link, which is not followed")
        #expect(try folder.read("target") == earlier)
        // Nor is a dangling one followed to create its target.
        try folder.symlink(folder.rootString + "/made", "dangling.jsonl")
        try Self.expectSummaryFileRefused(folder.rootString + "/dangling.jsonl", reason: "it is a symbolic link, which is not followed")
        #expect(!FileManager.default.fileExists(atPath: folder.rootString + "/made"))
    }

    @Test func aSummaryFileThatIsNotARegularFileIsRefusedWithoutBeingOpened() throws {
        let folder = try TestTree()
        // A FIFO with no reader: opening it for writing would block or fail; it is never opened.
        #expect(mkfifo(folder.rootString + "/runs.jsonl", 0o600) == 0)
        try Self.expectSummaryFileRefused(folder.rootString + "/runs.jsonl", reason: "it is not a regular file")
        try Self.expectSummaryFileRefused("/dev/null", reason: "it is not a regular file")
    }

    @Test func aNewSummaryFileIsCreatedPrivateAndAnExistingOneOfTheUsersIsAppendedTo() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let log = folder.rootString + "/runs.jsonl"
        #expect(try CLI.run("scan", "--no-catalog", "--summary-json", log, tree.rootString).status == 0)
        #expect(try folder.status("runs.jsonl").st_mode & 0o7777 == 0o600)
        #expect(chmod(log, 0o644) == 0)
        #expect(try CLI.run("scan", "--no-catalog", "--summary-json", log, tree.rootString).status == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try lines.map(Self.parse).map { $0["exitStatus"] as? Int } == [0, 0])
        #expect(try folder.status("runs.jsonl").st_mode & 0o7777 == 0o644)
    }
}
