import DupelinkCore
import Foundation

/// What `dupelink report --list` prints: one line (or JSON object) per saved scan.
struct ScanListing: Codable {
    struct Scan: Codable {
        /// The scan's number (for `report` and `link --scan`).
        var id: Int64
        /// When it started, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
        var startedAt: String
        /// When it was saved or last updated, UTC.
        var savedAt: String
        /// The duplicate classes it found.
        var classes: Int
        /// The names in those classes.
        var names: Int
        /// The bytes it reported reclaimable; absent for a scan saved before they were kept.
        var reclaimableBytes: Int64?
        /// The roots it was given, lossless.
        var roots: [JSONReport.PathValue]
    }

    /// The version of this schema.
    var schemaVersion = 1
    /// The saved scans, oldest first.
    var scans: [Scan]

    init(_ summaries: [ScanSummary]) {
        scans = summaries.map { summary in
            Scan(
                id: summary.id, startedAt: HistoryReport.time(summary.startedAt),
                savedAt: HistoryReport.time(summary.savedAt), classes: summary.classCount, names: summary.nameCount,
                reclaimableBytes: summary.reclaimableBytes, roots: summary.roots.map { JSONReport.PathValue($0) })
        }
    }

    /// Pretty-printed JSON with sorted keys, ending in a newline, as `history` prints it.
    func encoded() -> [UInt8] { JSONReport.pretty(self) }

    /// A table with one line per scan.
    var text: String {
        guard !scans.isEmpty else { return "No scans are saved in this catalog.\n" }
        var rows = [["SCAN", "STARTED (UTC)", "CLASSES", "NAMES", "RECLAIMABLE", "ROOTS"]]
        for scan in scans {
            rows.append([
                "\(scan.id)", scan.startedAt, "\(scan.classes)", "\(scan.names)",
                scan.reclaimableBytes.map(ByteSize.format) ?? "-",
                scan.roots.map { PathText.display($0.bytes) }.joined(separator: " "),
            ])
        }
        return TextTable.aligned(rows)
    }
}
