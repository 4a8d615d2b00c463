/// Writes the JSON report straight to bytes: the document `JSONReport(report).encoded()` gives,
/// byte for byte (same keys in the same sorted order, same pretty-printed layout, same escapes,
/// same numbers), without building the `Codable` tree or running Foundation's encoder.
///
/// For 100,000 files the `Codable` route builds a `String` per path and a dictionary per object,
/// and the encoder walks them again; this writer builds each path once from its directory's cached
/// path and writes it, escaped as it goes, through a `JSONCursor` into a buffer handed on in
/// 64 KiB pieces; a file's object is written with three checks for room, not one per byte.
/// `JSONReport` stays the schema and the decoder; `JSONReportWriterTests` checks that the two give
/// the same document, so they cannot drift.
///
/// Strings are escaped as `JSONEncoder` does, within RFC 8259: `"` and `\` with a backslash;
/// `\b \t \n \f \r` by name; other control characters as `\u00XX`; `/` and everything from U+007F
/// on as is. A path that is not valid UTF-8 is written as `path` with U+FFFD for each bad sequence,
/// plus `pathBase64` with its exact bytes.
public enum JSONReportWriter {
    /// Writes `report` as JSON, ending in a newline, into `writer` (without flushing it).
    public static func write(_ report: ScanReport, into writer: inout ByteWriter) {
        var output = JSONOutput(writer: writer, table: report.scan.table)
        output.report(report)
        output.flush()
        writer = output.writer
    }

    /// The report as JSON bytes, ending in a newline.
    public static func bytes(_ report: ScanReport) -> [UInt8] {
        var result: [UInt8] = []
        var writer = ByteWriter { result.append(contentsOf: $0) }
        write(report, into: &writer)
        writer.flush()
        return result
    }
}

// MARK: The document

extension JSONOutput {
    /// The whole report; keys in sorted order, as `JSONEncoder`'s `.sortedKeys` puts them. The
    /// larger parts are written in the files named after them: `JSONOutput+Classes.swift`,
    /// `+Folders`, `+Linking`, `+Statistics` and `+Summary`.
    mutating func report(_ report: ScanReport) {
        let scan = report.scan
        byte(UInt8(ascii: "{"))
        var first = true
        key("classes", indent: 1, first: &first)
        classes(report)
        key("command", indent: 1, first: &first)
        string(report.command)
        key("dryRun", indent: 1, first: &first)
        bool(report.dryRun)
        if !report.duplicateFolders.isEmpty {
            key("duplicateFolders", indent: 1, first: &first)
            duplicateFolders(report)
        }
        if !report.nearlyIdenticalFolders.isEmpty {
            key("nearlyIdenticalFolders", indent: 1, first: &first)
            nearlyIdenticalFolders(report)
        }
        key("refusals", indent: 1, first: &first)
        refusals(report)
        if report.isApplied {
            key("replacements", indent: 1, first: &first)
            replacements(report)
        }
        key("roots", indent: 1, first: &first)
        roots(report.roots)
        if let scanID = report.scanID {
            key("scanID", indent: 1, first: &first)
            integer(scanID)
        }
        key("schemaVersion", indent: 1, first: &first)
        raw("1")
        key("statistics", indent: 1, first: &first)
        statistics(scan.statistics)
        key("summary", indent: 1, first: &first)
        totals(report.totals)
        key("warnings", indent: 1, first: &first)
        warnings(report.diagnostics)
        close(UInt8(ascii: "}"), indent: 0, wasEmpty: false)
        byte(UInt8(ascii: "\n"))
    }

    /// `roots`: one path object per root, as given.
    private mutating func roots(_ roots: [[UInt8]]) {
        byte(UInt8(ascii: "["))
        var firstRoot = true
        for root in roots {
            element(indent: 2, first: &firstRoot)
            pathObject(root, indent: 2)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstRoot)
    }

    /// `warnings`: one object per diagnostic, keys sorted.
    private mutating func warnings(_ diagnostics: [Diagnostic]) {
        byte(UInt8(ascii: "["))
        var firstWarning = true
        for diagnostic in diagnostics {
            element(indent: 2, first: &firstWarning)
            byte(UInt8(ascii: "{"))
            var member = true
            key("code", indent: 3, first: &member)
            string(diagnostic.error.code.rawValue)
            key("message", indent: 3, first: &member)
            string(diagnostic.error.description)
            key("path", indent: 3, first: &member)
            pathObject(diagnostic.error.path, indent: 3)
            key("stage", indent: 3, first: &member)
            string(diagnostic.stage.rawValue)
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
            flushIfFull()
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstWarning)
    }
}
