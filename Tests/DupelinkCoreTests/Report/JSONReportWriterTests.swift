import DupelinkTestSupport
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// The fast JSON writer against the `Codable` report it replaces: the same document, so the two
/// can never drift apart.
@Suite struct JSONReportWriterTests {
    /// Names that JSON must escape or that are not UTF-8: newline, 0xFF, quotes, backslash, emoji,
    /// a leading dash, a tab, another control character, DEL.
    static let oddNames: [[UInt8]] = [
        Array("new\nline".utf8),
        [0x66, 0xFF, 0x67],
        Array("say \"cheese\"".utf8),
        Array("back\\slash".utf8),
        Array("smile \u{1F600}.jpg".utf8),
        Array("-leading-dash".utf8),
        Array("tab\there".utf8),
        [0x63, 0x01, 0x7F, 0x7A],
        Array("caf\u{E9}/\u{5199}\u{771F}".utf8),
    ]

    /// A real tree whose duplicate classes hold every odd name, one copy with other permission
    /// bits (a refusal), and a scan of it through the real pipeline.
    func scanReport() throws -> (tree: TestTree, report: ScanReport) {
        let tree = try TestTree()
        for (index, name) in Self.oddNames.enumerated() {
            let contents = patternBytes(count: 700 + index, seed: UInt64(index + 1))
            try tree.write(bytes: name, contents)
            try tree.write(bytes: Array("copy/".utf8) + name.filter { $0 != UInt8(ascii: "/") }, contents)
        }
        try tree.write(bytes: [0x64, 0xFE, 0x2F, 0x71], patternBytes(count: 5_000, seed: 99))
        try tree.write("plain/q", patternBytes(count: 5_000, seed: 99), mode: 0o600)
        let roots = [tree.root, tree.path([0x64, 0xFE]), tree.path("missing \"root\"\n")]
        let scan = try Pipeline(options: ScanOptions()).scan(roots: roots)
        let report = ScanReport(scan: scan, plan: LinkPlanner.plan(scan, options: LinkOptions()))
        return (tree, report)
    }

    @Test func fastWriterGivesTheCodableDocumentByteForByte() throws {
        let (tree, report) = try scanReport()
        _ = tree
        #expect(report.scan.classes.count == Self.oddNames.count + 1)
        #expect(!report.refusals.isEmpty)
        #expect(!report.diagnostics.isEmpty)
        #expect(JSONReportWriter.bytes(report) == JSONReport(report).encoded())
    }

    @Test func fastWriterOutputDecodesToTheCodableReportFieldByField() throws {
        let (tree, scanned) = try scanReport()
        _ = tree
        for report in variants(of: scanned) {
            let fast = try JSONReport.decode(JSONReportWriter.bytes(report))
            let built = JSONReport(report)
            expectEqual(fast, built)
            #expect(JSONReportWriter.bytes(report) == built.encoded())
        }
    }

    @Test func numbersAndEmptyListsAreWrittenAsTheEncoderWritesThem() throws {
        let tree = try TestTree()
        try tree.write("only", [1])
        var scan = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        for seconds in [0.0, 1.0, 1e-7, 0.1, 3.0, 123_456.789, 1e21, 0.31066744700001436] {
            scan.statistics.walkSeconds = seconds
            scan.statistics.headTailSeconds = seconds / 3
            scan.statistics.contentSeconds = -seconds
            scan.statistics.bytesWalked = .max
            let report = ScanReport(scan: scan, plan: LinkPlanner.plan(scan, options: LinkOptions()))
            #expect(report.scan.classes.isEmpty)
            #expect(JSONReportWriter.bytes(report) == JSONReport(report).encoded(), "seconds: \(seconds)")
        }
    }

    @Test func aReportOfManyPiecesGivesTheCodableDocumentByteForByte() throws {
        // Long names in deep folders, some not UTF-8: more than three times the 64 KiB the writer
        // hands on at once.
        let tree = try TestTree()
        let folder = (0..<4).map { level in Array(String(repeating: "d\(level)\u{E9}", count: 40).utf8) + [0x2F] }.joined()
        for index in 0..<120 {
            let contents = patternBytes(count: 100 + index, seed: UInt64(1000 + index))
            let name = Array("file \(index) ".utf8) + (index % 7 == 0 ? [0xFE] : Array("\"quoted\"".utf8))
            try tree.write(bytes: Array(folder) + name, contents)
            try tree.write(bytes: Array("copy-".utf8) + name, contents)
        }
        let scan = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        let report = ScanReport(scan: scan, plan: LinkPlanner.plan(scan, options: LinkOptions()))
        #expect(scan.classes.count == 120)
        let written = JSONReportWriter.bytes(report)
        #expect(written.count > 3 * (1 << 16))
        #expect(written == JSONReport(report).encoded())
    }

    /// The scan report, a `link` report with replacements and skipped names (a dry run and a real
    /// one), and one with a catalog scan number.
    func variants(of report: ScanReport) -> [ScanReport] {
        var saved = report
        saved.scanID = 42
        var outcome = LinkOutcome(isDryRun: true)
        for (index, duplicateClass) in report.scan.classes.enumerated() where duplicateClass.members.count > 1 {
            outcome.replacements.append(LinkOutcome.Replacement(classIndex: index, keeper: duplicateClass.members[0].names[0],
                duplicate: duplicateClass.members[1].names[0], bytesFreed: duplicateClass.size))
        }
        let odd = report.scan.path(ofFile: report.scan.classes[0].members[0].names[0])
        outcome.skipped = [Diagnostic(.link, DupelinkError(.fileChanged, path: odd)),
            Diagnostic(.link, DupelinkError(.ioError, path: [0xFF, 0x0A], errno: .permissionDenied, operation: "link"))]
        outcome.bytesCompared = 123_456_789
        outcome.secondsComparing = 0.0625
        outcome.replacementsWithoutLease = 2
        let plan = LinkPlanner.plan(report.scan, options: LinkOptions())
        var linked = ScanReport(scan: report.scan, plan: plan, outcome: outcome)
        var dryRun = linked
        dryRun.dryRun = true
        linked.dryRun = false
        linked.scanID = 7
        return [report, saved, dryRun, linked]
    }

    func expectEqual(_ fast: JSONReport, _ built: JSONReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fast.schemaVersion == built.schemaVersion, sourceLocation: sourceLocation)
        #expect(fast.command == built.command, sourceLocation: sourceLocation)
        #expect(fast.scanID == built.scanID, sourceLocation: sourceLocation)
        #expect(fast.dryRun == built.dryRun, sourceLocation: sourceLocation)
        #expect(fast.roots == built.roots, sourceLocation: sourceLocation)
        #expect(fast.summary == built.summary, sourceLocation: sourceLocation)
        #expect(fast.statistics == built.statistics, sourceLocation: sourceLocation)
        #expect(fast.classes.count == built.classes.count, sourceLocation: sourceLocation)
        for (left, right) in zip(fast.classes, built.classes) {
            #expect(left.size == right.size, sourceLocation: sourceLocation)
            #expect(left.digest == right.digest, sourceLocation: sourceLocation)
            #expect(left.reclaimableBytes == right.reclaimableBytes, sourceLocation: sourceLocation)
            #expect(left.files.count == right.files.count, sourceLocation: sourceLocation)
            for (a, b) in zip(left.files, right.files) {
                #expect(a.path == b.path, sourceLocation: sourceLocation)
                #expect(a.pathBase64 == b.pathBase64, sourceLocation: sourceLocation)
                #expect(a.pathBytes == b.pathBytes, sourceLocation: sourceLocation)
                #expect(a.device == b.device && a.inode == b.inode && a.links == b.links, sourceLocation: sourceLocation)
                #expect(a.size == b.size && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid, sourceLocation: sourceLocation)
                #expect(a.modificationTimeNs == b.modificationTimeNs && a.changeTimeNs == b.changeTimeNs,
                    sourceLocation: sourceLocation)
                #expect(a.directoryDevice == b.directoryDevice && a.directoryInode == b.directoryInode,
                    sourceLocation: sourceLocation)
            }
        }
        #expect(fast.replacements?.count == built.replacements?.count, sourceLocation: sourceLocation)
        for (a, b) in zip(fast.replacements ?? [], built.replacements ?? []) {
            #expect(a.keeper == b.keeper && a.duplicate == b.duplicate && a.bytesFreed == b.bytesFreed,
                sourceLocation: sourceLocation)
        }
        #expect(fast.refusals.count == built.refusals.count, sourceLocation: sourceLocation)
        for (a, b) in zip(fast.refusals, built.refusals) {
            #expect(a.path == b.path && a.reason == b.reason && a.message == b.message && a.bytes == b.bytes,
                sourceLocation: sourceLocation)
        }
        #expect(fast.warnings.count == built.warnings.count, sourceLocation: sourceLocation)
        for (a, b) in zip(fast.warnings, built.warnings) {
            #expect(a.stage == b.stage && a.code == b.code && a.path == b.path && a.message == b.message,
                sourceLocation: sourceLocation)
        }
    }
}
