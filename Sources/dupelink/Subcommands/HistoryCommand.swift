import ArgumentParser
import DupelinkCore
import Foundation
import Glibc

/// The formats `history` prints.
enum HistoryFormat: String, ExpressibleByArgument, CaseIterable {
    /// A table for people.
    case text
    /// `HistoryReport` as JSON, for programs.
    case json
}

/// `dupelink history`: the journaled runs.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the journaled link, undo and split runs.",
        discussion: """
            Each run of link (also with --dry-run), undo and split that used a catalog is journaled: \
            its number, start time, roots, the files it changed, the bytes it freed, and whether it \
            was interrupted (by a signal, or killed; a later run recovered what it left in flight). \
            Give a link run's number to 'dupelink undo'. Runs with --no-catalog are not journaled. \
            History takes the catalog's lock, as every command that uses a catalog does: with \
            another run holding it, it waits up to --wait seconds, then exits with status 4.

            EXAMPLES:
              dupelink history
              dupelink history --format json
            """)

    @Option(name: .long, help: ArgumentHelp("Output format: text or json.", valueName: "format"))
    var format: HistoryFormat = .text

    @OptionGroup var catalog: JournalCatalogOptionGroup

    func run() throws {
        let runs: [JournalRun]
        do {
            runs = try catalog.open()?.journalRuns() ?? []
        } catch let error as DupelinkError {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
        let bytes: [UInt8]
        switch format {
        case .json: bytes = HistoryReport(runs).encoded()
        case .text: bytes = Array(HistoryReport.text(runs).utf8)
        }
        if !StandardStreams.write(bytes, to: 1) {
            StandardStreams.error("cannot write the history to standard output")
            throw ExitStatus.failure
        }
    }
}

/// The history as JSON (`schemaVersion` 1) and as text.
struct HistoryReport: Codable {
    /// One run.
    struct Run: Codable {
        /// The run's number (for `dupelink undo`).
        var id: Int64
        /// `link`, `undo` or `split`.
        var command: String
        /// When it started, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
        var startedAt: String
        /// When it ended, or absent while running or after it was killed.
        var endedAt: String?
        /// `running`, `completed`, `interrupted` (a signal) or `crashed` (killed).
        var status: String
        /// Whether it stopped before its end (`interrupted` or `crashed`).
        var interrupted: Bool
        /// Whether it was a dry run.
        var dryRun: Bool
        /// The names it linked or separated.
        var filesChanged: Int
        /// The bytes it freed.
        var bytesFreed: Int64
        /// The names it skipped.
        var failures: Int
        /// For `undo`: the run it undid.
        var undoneRun: Int64?
        /// The exit status the command ended with; absent for a run that was killed, or
        /// journaled by a dupelink that did not keep it.
        var exitStatus: Int32?
        /// The roots or paths it was given, lossless.
        var roots: [JSONReport.PathValue]
    }

    /// The version of this schema.
    var schemaVersion = 1
    /// The runs, oldest first.
    var runs: [Run]

    /// The report of `runs`.
    init(_ runs: [JournalRun]) {
        self.runs = runs.map { run in
            let status = Self.status(of: run)
            return Run(
                id: run.id, command: run.command.rawValue, startedAt: Self.time(run.startedAt),
                endedAt: run.endedAt.map(Self.time), status: status.rawValue,
                interrupted: status == .interrupted || status == .crashed, dryRun: run.isDryRun,
                filesChanged: run.filesChanged, bytesFreed: run.bytesFreed, failures: run.failures,
                undoneRun: run.undoneRunID, exitStatus: run.exitStatus, roots: run.roots.map { JSONReport.PathValue($0) })
        }
    }

    /// A run still marked running whose process is gone was killed; recovery has not seen it yet.
    static func status(of run: JournalRun) -> JournalRunStatus {
        run.status == .running && !run.process.isRunning ? .crashed : run.status
    }

    /// Pretty-printed JSON with sorted keys, ending in a newline.
    func encoded() -> [UInt8] { JSONReport.pretty(self) }

    /// A table with one line per run, columns aligned.
    static func text(_ runs: [JournalRun]) -> String {
        guard !runs.isEmpty else { return "No runs are journaled in this catalog.\n" }
        var rows = [["RUN", "STARTED (UTC)", "COMMAND", "STATUS", "FILES", "FREED", "ROOTS"]]
        for run in runs {
            var status: String
            switch Self.status(of: run) {
            case .running: status = "running"
            case .completed:
                switch run.exitStatus {
                case 1: status = "completed, some skipped (exit 1)"
                case 2: status = "failed (exit 2)"
                case 3: status = "completed, nothing to do (exit 3)"
                case 0, nil: status = "completed"
                case let other?: status = "ended with exit \(other)"
                }
            case .interrupted: status = "interrupted"
            case .crashed: status = "interrupted (killed)"
            }
            if run.isDryRun { status += ", dry run" }
            if let undone = run.undoneRunID { status += ", undid run \(undone)" }
            rows.append([
                "\(run.id)", time(run.startedAt), run.command.rawValue, status, "\(run.filesChanged)",
                ByteSize.format(run.bytesFreed), run.roots.map { PathText.display($0) }.joined(separator: " "),
            ])
        }
        return TextTable.aligned(rows)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for nanoseconds since the epoch.
    static func time(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
