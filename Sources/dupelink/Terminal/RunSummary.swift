import DupelinkCore
import Foundation
import Glibc

/// The one-line JSON record of a run that `--summary-json` writes: what ran, when, on what, what it
/// found and did, and how it ended.
///
/// Every key is always present (`null` when it does not apply or the run stopped before knowing
/// it), so a log of these lines reads the same from run to run. Keys are documented in the README
/// and the man page; new keys may be added, none renamed or removed while `schemaVersion` is 1.
struct RunSummary: Encodable {
    /// The version of this record's layout.
    var schemaVersion = 1
    /// `scan` or `link`.
    var command: String
    /// Whether `link` ran with `--dry-run` (false for `scan`).
    var dryRun = false
    /// When the run started, ISO 8601 in UTC with milliseconds.
    var startedAt: String
    /// When the run ended.
    var endedAt: String
    /// The roots as given (empty when the run stopped before scanning).
    var roots: [JSONReport.PathValue] = []
    /// The catalog used, or nil with `--no-catalog` or when the run went on without one.
    var catalog: JSONReport.PathValue?
    /// The number the scan was saved under in the catalog.
    var scanID: Int64?
    /// Regular files walked in the size range.
    var filesScanned: Int?
    /// Their total size in bytes.
    var bytesScanned: Int64?
    /// Classes of identical files.
    var classes: Int?
    /// Names beyond the first in each class.
    var duplicates: Int?
    /// Bytes that linking every class would free, by allocated blocks (what `df` will show).
    var reclaimableBytes: Int64?
    /// The same by apparent size (`st_size`): larger where files are sparse.
    var apparentReclaimableBytes: Int64?
    /// Bytes the duplicates already share with their classes (the same physical extents, on
    /// btrfs, XFS and bcachefs), not counted in `reclaimableBytes`.
    var alreadySharedBytes: Int64?
    /// For `link`: names replaced with a hard link (for a dry run, that would be); nil for `scan`.
    var filesLinked: Int?
    /// For `dedupe`: duplicates left alone because they already shared every extent with their
    /// kept copy; nil otherwise.
    var filesAlreadyShared: Int?
    /// For `link`: bytes freed (for a dry run, that would be), by allocated blocks; nil for `scan`.
    var bytesFreed: Int64?
    /// For `link`: the same by apparent size; nil for `scan`.
    var apparentBytesFreed: Int64?
    /// For `dedupe`: the growth of free space measured on the filesystems it changed; nil otherwise.
    var bytesFreedMeasured: Int64?
    /// For `link`: bytes compared byte for byte right before the swaps (0 for a dry run); nil for `scan`.
    var bytesCompared: Int64?
    /// For `link`: the seconds those comparisons took; nil for `scan`.
    var secondsComparing: Double?
    /// For `link`: names replaced without a read lease on both files; nil for `scan`.
    var replacementsWithoutLease: Int?
    /// Files that could not be read or linked (each a warning on standard error without `--quiet`).
    var warnings: Int?
    /// Names that are duplicates but may not be linked (another filesystem, owner or mode).
    var refused: Int?
    /// The wall time of each stage of the scan this run made (nil when it made none: `link
    /// --scan`, `link --from`, or a run that stopped first).
    var stageSeconds: StageSeconds?
    /// The process's exit status.
    var exitStatus: Int32
    /// Why the run failed (exit status 2, 4 or 130), or nil.
    var error: String?

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, command, dryRun, startedAt, endedAt, roots, catalog, scanID, filesScanned, bytesScanned
        case classes, duplicates, reclaimableBytes, filesLinked, bytesFreed, bytesFreedMeasured, bytesCompared, secondsComparing
        case replacementsWithoutLease, warnings, refused, exitStatus, error, apparentReclaimableBytes, apparentBytesFreed
        case stageSeconds, alreadySharedBytes, filesAlreadyShared
    }

    /// Seconds per stage, as `--stats` prints them.
    struct StageSeconds: Encodable {
        var walk: Double
        var headTail: Double
        var content: Double
        var attributes: Double

        init(_ statistics: ScanStatistics) {
            walk = statistics.walkSeconds
            headTail = statistics.headTailSeconds
            content = statistics.contentSeconds
            attributes = statistics.attributeSeconds ?? 0
        }

        /// `walk 1.2 s, head/tail 0.4 s, content 3.1 s, attributes 0.0 s`.
        var text: String {
            func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
            return "walk \(seconds(walk)), head/tail \(seconds(headTail)), content \(seconds(content)), attributes \(seconds(attributes))"
        }
    }

    /// Writes every key, `null` included.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(command, forKey: .command)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(roots, forKey: .roots)
        try container.encode(catalog, forKey: .catalog)
        try container.encode(scanID, forKey: .scanID)
        try container.encode(filesScanned, forKey: .filesScanned)
        try container.encode(bytesScanned, forKey: .bytesScanned)
        try container.encode(classes, forKey: .classes)
        try container.encode(duplicates, forKey: .duplicates)
        try container.encode(reclaimableBytes, forKey: .reclaimableBytes)
        try container.encode(filesLinked, forKey: .filesLinked)
        try container.encode(bytesFreed, forKey: .bytesFreed)
        try container.encode(bytesFreedMeasured, forKey: .bytesFreedMeasured)
        try container.encode(bytesCompared, forKey: .bytesCompared)
        try container.encode(secondsComparing, forKey: .secondsComparing)
        try container.encode(replacementsWithoutLease, forKey: .replacementsWithoutLease)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(refused, forKey: .refused)
        try container.encode(exitStatus, forKey: .exitStatus)
        try container.encode(error, forKey: .error)
        try container.encode(apparentReclaimableBytes, forKey: .apparentReclaimableBytes)
        try container.encode(apparentBytesFreed, forKey: .apparentBytesFreed)
        try container.encode(stageSeconds, forKey: .stageSeconds)
        try container.encode(alreadySharedBytes, forKey: .alreadySharedBytes)
        try container.encode(filesAlreadyShared, forKey: .filesAlreadyShared)
    }

    /// Fills in the figures of a report.
    mutating func record(_ report: ScanReport) {
        let totals = report.totals
        command = report.command
        dryRun = report.dryRun
        roots = report.roots.map(JSONReport.PathValue.init)
        scanID = report.scanID
        filesScanned = totals.filesScanned
        bytesScanned = totals.bytesScanned
        classes = totals.classes
        duplicates = totals.duplicateFiles
        reclaimableBytes = totals.reclaimableBytes
        apparentReclaimableBytes = totals.apparentReclaimableBytes
        alreadySharedBytes = totals.alreadySharedBytes
        filesLinked = totals.filesLinked
        filesAlreadyShared = totals.filesAlreadyShared
        bytesFreed = totals.bytesFreed
        apparentBytesFreed = totals.apparentBytesFreed
        bytesFreedMeasured = totals.bytesFreedMeasured
        bytesCompared = totals.bytesCompared
        secondsComparing = totals.secondsComparing
        replacementsWithoutLease = totals.replacementsWithoutLease
        warnings = totals.warnings
        refused = totals.refusedFiles
    }

    /// The record as one line of JSON, newline included.
    var line: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail; an empty object keeps the one-line promise if it did.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// `2026-11-27T03:30:00.123Z`: RFC 3339 in UTC, with milliseconds.
    ///
    /// Formatted by hand: `ISO8601DateFormatter` loads ICU's calendar data, a few milliseconds of
    /// every run's start for a string every run writes.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var fraction = Int(milliseconds % 1000)
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))T"
            + "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))."
            + "\(padded(Int32(fraction), 3))Z"
    }

    /// The subcommand on the command line (`scan`, `link`), known before any report is.
    static var commandName: String {
        let names = DupelinkCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
        let arguments = CommandLine.arguments
        if arguments.count > 1, names.contains(arguments[1]) { return arguments[1] }
        return "dupelink"
    }
}
