import ArgumentParser
import DupelinkCore
import Glibc

extension ReportFormat: ExpressibleByArgument {}
extension ProgressMode: ExpressibleByArgument {}

/// Options that decide what is printed.
struct OutputOptionGroup: ParsableArguments {
    /// The report format.
    @Option(name: .long, help: ArgumentHelp("Output format: text, json, csv, fdupes or html (one self-contained page to review in a browser, whose selection downloads as a plan for link --from).", valueName: "format"))
    var format: ReportFormat = .text

    /// `--quiet`: nothing on standard error but fatal errors.
    @Flag(name: [.short, .long], help: "Print no progress and no warnings on standard error, only fatal errors (the exit status still tells).")
    var quiet = false

    /// `--progress`: how progress is shown on standard error.
    @Option(name: .long, help: ArgumentHelp(
        "Progress on standard error: auto (a line redrawn on a terminal, nothing otherwise), plain (a line every --progress-interval seconds, for logs and journald) or none. Whatever this says, SIGUSR1 prints one progress line (kill -USR1 PID).",
        valueName: "mode"))
    var progress: ProgressMode = .auto

    /// `--progress-interval`: seconds between plain progress lines.
    @Option(name: .customLong("progress-interval"), help: ArgumentHelp("Seconds between --progress plain lines (default 10).", valueName: "seconds"))
    var progressInterval: Double = 10

    /// What progress to draw unasked: none with `--quiet`.
    var progressMode: ProgressMode { quiet ? .none : progress }

    /// `--stats`: the scan's counters, and for `link` the final comparison's, on standard error.
    @Flag(name: .long, help: "Print the scan's counters (files, bytes read per stage, the floor, timings) on standard error; for link also the bytes compared right before the swaps and the replacements made without a lease.")
    var stats = false

    /// `--summary-json`: where to append the run's summary line (`-`: standard error).
    @Option(name: .customLong("summary-json"), help: ArgumentHelp(
        "At the end of the run, append one line of JSON (command, times, roots, figures, exit status) to this file; '-' for standard error. The file must be yours, a regular file with one name, and not a symbolic link; a new one is made mode 0600.",
        valueName: "file"), completion: .file())
    var summaryJSON: String?

    /// `--top`: how many classes the text report lists.
    @Option(name: .long, help: ArgumentHelp(
        "List only the N classes that free the most in the text report, and how many more there are; 0 lists all. Default: 50 when standard output is a terminal, else all. JSON, CSV and fdupes output always list every class.",
        valueName: "n"))
    var top: Int?

    /// `--nearly-identical`: the most files two folders may differ by to be shown as nearly identical.
    @Option(name: .customLong("nearly-identical"), help: ArgumentHelp(
        "Show two folders that match but for at most N files (missing on one side, or with other content) as nearly identical, with the count; 0 shows none. Default: 10. Needs a walk in this run, as identical folders do; text, json and html output.",
        valueName: "n"))
    var nearlyIdentical: Int = 10

    /// `--folders-ignore-empty`: identical folders may differ in empty files and empty folders.
    @Flag(name: .customLong("folders-ignore-empty"), help: "When finding identical folders, ignore empty files and folders without a file of content (by default a folder with an empty file or folder that the other lacks is not identical).")
    var foldersIgnoreEmpty = false

    /// Rejects an empty `--summary-json` file name and a negative `--top`.
    mutating func validate() throws {
        if summaryJSON == "" { throw ValidationError("--summary-json needs a file name, or '-' for standard error.") }
        if let top, top < 0 { throw ValidationError("--top takes a number of classes from 0 (0: all).") }
        if !(progressInterval > 0) || progressInterval > 86_400 {
            throw ValidationError("--progress-interval takes seconds, more than 0 and at most 86400.")
        }
        if nearlyIdentical < 0 { throw ValidationError("--nearly-identical takes a number of files from 0 (0: none).") }
    }

    /// How many classes the text report lists (nil: all).
    var topClasses: Int? {
        guard format == .text else { return nil }
        if let top { return top == 0 ? nil : top }
        return isatty(1) == 1 ? 50 : nil
    }

    /// Opens the `--summary-json` destination, or returns nil without it.
    ///
    /// Touches the disk: may create the file.
    /// - Throws: `CommandFailure` (status 2) when the file cannot be opened for appending, or is
    ///   not a regular file of the user's with one name (see `SummaryLog`).
    func openSummaryLog() throws(CommandFailure) -> SummaryLog? {
        guard let summaryJSON else { return nil }
        return try SummaryLog(destination: summaryJSON)
    }
}
