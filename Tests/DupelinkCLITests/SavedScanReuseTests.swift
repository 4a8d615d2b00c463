import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A scan that finds exactly what the newest saved scan found updates that scan (same number)
/// instead of saving a copy; anything else it finds is saved as a new scan.
@Suite struct SavedScanReuseTests {
    /// Two pairs of identical files of one size, and a file of that size that matches neither.
    static func tree() throws -> TestTree {
        let tree = try TestTree()
        let x = patternBytes(count: 25_000, seed: 51)
        let y = patternBytes(count: 25_000, seed: 52)
        try tree.write("x1", x)
        try tree.write("sub/x2", x)
        try tree.write("y1", y)
        try tree.write("sub/deeper/y2", y)
        try tree.write("z", patternBytes(count: 25_000, seed: 53))
        return tree
    }

    static func scan(_ catalog: String, _ tree: TestTree) throws -> CLIResult {
        let result = try CLI.run("scan", "--format", "json", "--catalog", catalog, tree.rootString)
        #expect(result.status == 0, "\(result.standardError)")
        return result
    }

    static func info(_ catalog: String) throws -> (scans: Int?, lastScanStartedAt: String?) {
        let info = try CatalogMaintenanceTests.info(catalog)
        return (info["scans"] as? Int, info["lastScanStartedAt"] as? String)
    }

    @Test func rescanOfAnUnchangedTreeKeepsTheScanNumberAndUpdatesItsTimesAndCounters() throws {
        let tree = try Self.tree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let first = try Self.scan(catalog, tree)
        let firstInfo = try Self.info(catalog)

        let second = try Self.scan(catalog, tree)

        let firstReport = try JSONReport.decode(first.standardOutput)
        let secondReport = try JSONReport.decode(second.standardOutput)
        #expect(firstReport.scanID == 1 && secondReport.scanID == 1)
        #expect(firstReport.statistics.catalogHits == 0 && secondReport.statistics.catalogHits == 5)
        let secondInfo = try Self.info(catalog)
        #expect(secondInfo.scans == 1)
        #expect(try #require(secondInfo.lastScanStartedAt) > #require(firstInfo.lastScanStartedAt))
        // The saved scan now holds the second run's counters: it prints as the second run did.
        #expect(try CLI.run("report", "1", "--format", "json", "--catalog", catalog).output == second.output)

        // A new file with no duplicate changes no class: still the same scan, with new counters.
        try tree.write("unique", patternBytes(count: 3_000, seed: 54))
        let third = try Self.scan(catalog, tree)
        let thirdReport = try JSONReport.decode(third.standardOutput)
        #expect(thirdReport.scanID == 1)
        #expect(thirdReport.statistics.filesWalked == 6)
        #expect(try CLI.run("report", "--format", "json", "--catalog", catalog).output == third.output)
        #expect(try Self.info(catalog).scans == 1)
    }

    /// A change to the tree that changes what a scan finds.
    enum Change: String, CaseIterable, CustomTestStringConvertible {
        case contentRewritten, duplicateAdded, memberRenamed, memberTouched

        var testDescription: String { rawValue }

        func apply(to tree: TestTree) throws {
            switch self {
            case .contentRewritten:
                // Same size, another last byte: x1 and sub/x2 are no longer a class.
                var bytes = try tree.read("sub/x2")
                bytes[bytes.count - 1] ^= 0xFF
                try tree.write("sub/x2", bytes)
            case .duplicateAdded:
                try tree.write("sub/x3", try tree.read("x1"))
            case .memberRenamed:
                #expect(rename(tree.rootString + "/sub/deeper/y2", tree.rootString + "/sub/deeper/y3") == 0)
            case .memberTouched:
                #expect(run("/usr/bin/touch", ["-m", "-d", "2001-02-03 04:05:06", tree.rootString + "/y1"]) == 0)
            }
        }
    }

    @Test(arguments: Change.allCases)
    func aChangeToWhatTheScanFindsSavesANewScanAndKeepsTheOld(change: Change) throws {
        let tree = try Self.tree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let first = try Self.scan(catalog, tree)
        #expect(try JSONReport.decode(first.standardOutput).scanID == 1)

        try change.apply(to: tree)
        let second = try Self.scan(catalog, tree)

        #expect(try JSONReport.decode(second.standardOutput).scanID == 2)
        #expect(try Self.info(catalog).scans == 2)
        #expect(try CLI.run("report", "1", "--format", "json", "--catalog", catalog).output == first.output)
        #expect(try CLI.run("report", "2", "--format", "json", "--catalog", catalog).output == second.output)
        #expect(first.output != second.output)
    }

    @Test func linkScanAppliesAScanWhoseNumberWasKept() throws {
        let tree = try Self.tree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).output.contains("Saved in the catalog as scan 1."))
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).output.contains("Saved in the catalog as scan 1."))

        let result = try CLI.run("link", "--scan", "1", "--catalog", catalog)

        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("Linked 2 files"), "\(result.output)")
        #expect(try tree.status("x1").st_ino == tree.status("sub/x2").st_ino)
        #expect(try tree.status("y1").st_ino == tree.status("sub/deeper/y2").st_ino)
        #expect(try tree.status("z").st_nlink == 1)
        // The links changed what a scan finds: the next scan is a new one.
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).output.contains("Saved in the catalog as scan 2."))
    }

    @Test(.enabled(if: CatalogFaultTests.sqliteAvailable))
    func aScanWithoutAFingerprintIsNeverReused() throws {
        let tree = try Self.tree()
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        #expect(try JSONReport.decode(try Self.scan(catalog, tree).standardOutput).scanID == 1)
        // As a scan saved before dupelink kept fingerprints.
        let process = try Process.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), arguments: [catalog, "UPDATE scan SET fingerprint = NULL;"])
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        #expect(try JSONReport.decode(try Self.scan(catalog, tree).standardOutput).scanID == 2)
        #expect(try JSONReport.decode(try Self.scan(catalog, tree).standardOutput).scanID == 2)
        #expect(try Self.info(catalog).scans == 2)
    }
}
