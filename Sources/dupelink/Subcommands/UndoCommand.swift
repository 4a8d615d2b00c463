import ArgumentParser
import DupelinkCore

/// `dupelink undo RUN`: turn the names a link run replaced back into separate files.
struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Turn the names a link run replaced back into separate files.",
        discussion: """
            For each name the run replaced (last first), the content is copied from the name into a \
            new file in the same directory, which gets the owner, group, mode and modification time \
            the replaced file had (from the journal) and is flushed to disk; it then takes the \
            name's place atomically. A name that no longer holds the kept file, unchanged, is \
            skipped and reported. Nothing is changed when a filesystem lacks the space for the \
            copies. Find run numbers with 'dupelink history'. Like link, undo (with --dry-run \
            too) takes the catalog's lock: with another run holding it, it waits up to --wait \
            seconds, then exits with status 4, having changed nothing.

            EXAMPLES:
              dupelink history
              dupelink undo --dry-run 12
              dupelink undo 12
            """)

    @Argument(help: ArgumentHelp("The number of the link run to undo (see 'dupelink history').", valueName: "run"))
    var runNumber: Int64

    @Flag(name: [.customShort("n"), .long], help: "Print what would be separated, and change nothing.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Print no warnings on standard error (the exit status still tells).")
    var quiet = false

    @OptionGroup var catalog: JournalCatalogOptionGroup

    func run() throws {
        guard let catalog = try catalog.open(quiet: quiet) else {
            StandardStreams.error("there is no catalog, so no journal to undo from; see --catalog")
            throw ExitStatus.failure
        }
        Cancellation.installHandlers()
        if !dryRun { JournalReporting.recover(catalog, quiet: quiet) }
        let items: [SeparationItem]
        let roots: [[UInt8]]
        do {
            guard let linkRun = try catalog.journalRun(id: runNumber) else {
                StandardStreams.error("the journal has no run \(runNumber); see 'dupelink history'")
                throw ExitStatus.failure
            }
            if linkRun.command == .dedupe && !linkRun.isDryRun {
                StandardStreams.error("run \(runNumber) was a dedupe run: its files share data extents but each kept its own inode, name, owner, mode and times, so there is nothing to undo (a write to one is copied, never seen by the others)")
                throw ExitStatus.failure
            }
            guard linkRun.command == .link, !linkRun.isDryRun else {
                StandardStreams.error("run \(runNumber) was \(linkRun.isDryRun ? "a dry run" : "a \(linkRun.command.rawValue) run"), which linked nothing; only link runs can be undone")
                throw ExitStatus.failure
            }
            guard linkRun.status != .running || !linkRun.process.isRunning else {
                StandardStreams.error("run \(runNumber) is still running (process \(linkRun.process.processID)); undo it when it has ended")
                throw ExitStatus.failure
            }
            roots = linkRun.roots
            items = try catalog.journalEntries(runID: runNumber, state: .done).reversed().map { entry in
                SeparationItem(
                    path: entry.path, rootLength: entry.rootLength, workingDirectory: linkRun.workingDirectory,
                    directory: entry.directory, expected: entry.after, restore: entry.before,
                    restoreAttributes: entry.beforeAttributes, undoes: JournalEntryID(runID: entry.runID, position: entry.position))
            }
        } catch let error as DupelinkError {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
        if items.isEmpty {
            StandardStreams.write(Array("Run \(runNumber) has no linked names left to undo.\n".utf8), to: 1)
            return
        }
        let outcome: SeparationOutcome
        do {
            outcome = try Separator().execute(
                items, command: .undo, roots: roots, dryRun: dryRun, catalog: dryRun ? nil : catalog, undoneRunID: runNumber)
        } catch {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
        try SeparationPrinter.finish(
            outcome, quiet: quiet, summary: "of \(items.count) names linked by run \(runNumber)", catalog: dryRun ? nil : catalog)
    }
}

/// What `undo` and `split` print, and their exit status.
enum SeparationPrinter {
    /// Prints each separated name and a summary on standard output, warnings on standard error,
    /// and ends with the documented exit status, which the journal run (if any) records too.
    static func finish(_ outcome: SeparationOutcome, quiet: Bool, summary: String, catalog: Catalog?) throws {
        func record(_ status: ExitCode) {
            if let catalog, let runID = outcome.runID { try? catalog.recordExitStatus(status.rawValue, ofJournalRun: runID) }
        }
        do {
            try report(outcome, quiet: quiet, summary: summary)
            record(ExitStatus.success)
        } catch let status as ExitCode {
            record(status)
            throw status
        }
    }

    private static func report(_ outcome: SeparationOutcome, quiet: Bool, summary: String) throws {
        var text = ""
        let verb = outcome.isDryRun ? "would separate" : "separated"
        for path in outcome.separated { text += "\(verb) \(PathText.display(path))\n" }
        for path in outcome.alreadySeparate { text += "\(PathText.display(path)): has one link; nothing to do\n" }
        let count = outcome.separated.count
        if outcome.isDryRun {
            text += "Dry run: would separate \(count) \(summary), copying \(ByteSize.format(outcome.bytesCopied)); nothing was changed.\n"
        } else {
            text += "Separated \(count) \(summary), copying \(ByteSize.format(outcome.bytesCopied))"
            text += outcome.runID.map { " (journaled as run \($0))" } ?? ""
            text += ".\n"
        }
        if !quiet { for diagnostic in outcome.skipped { StandardStreams.warning(diagnostic) } }
        if !StandardStreams.write(Array(text.utf8), to: 1) {
            StandardStreams.error("cannot write the report to standard output")
            throw ExitStatus.failure
        }
        if outcome.wasCancelled {
            StandardStreams.error("interrupted; the name in progress was finished, the rest left as it was")
            throw ExitStatus.interrupted
        }
        if !outcome.skipped.isEmpty { throw ExitStatus.partial }
    }
}
