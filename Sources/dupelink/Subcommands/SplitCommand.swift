import ArgumentParser
import DupelinkCore

/// `dupelink split PATH...`: give linked names files of their own again.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Turn hard-linked names back into separate files.",
        discussion: """
            Each name whose file has other names gets a copy of its own: the content is copied \
            from the name into a new file in the same directory, with the file's owner, group, mode \
            and modification time, flushed to disk, and then takes the name's place atomically. A \
            file with one name is left alone. Nothing is changed when a filesystem lacks the space \
            for the copies. With a catalog, each change is journaled (see 'dupelink history'), \
            and split takes the catalog's lock as link does: with another run holding it, it \
            waits up to --wait seconds, then exits with status 4, having changed nothing.

            EXAMPLES:
              dupelink split ~/Pictures/edited.jpg
              dupelink split --dry-run /backup/a/report.pdf /backup/b/report.pdf
            """)

    @Argument(help: ArgumentHelp("The names to separate.", valueName: "path"), completion: .file())
    var paths: [String]

    @Flag(name: [.customShort("n"), .long], help: "Print what would be separated, and change nothing.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Print no warnings on standard error (the exit status still tells).")
    var quiet = false

    @OptionGroup var catalog: CatalogOptionGroup

    mutating func validate() throws {
        if paths.isEmpty { throw ValidationError("Name at least one file to split.") }
    }

    func run() throws {
        // Before the lock: a SIGTERM while waiting for it ends the wait with status 130.
        StopSignals.install()
        let opened = dryRun ? nil : try catalog.open(quiet: quiet)
        if let opened { JournalReporting.recover(opened, quiet: quiet) }
        let roots = paths.map(RawArguments.bytes(for:))
        let outcome: SeparationOutcome
        do {
            outcome = try Separator().execute(
                roots.map(SeparationItem.commandLine), command: .split, roots: roots, dryRun: dryRun, catalog: opened)
        } catch {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
        try SeparationPrinter.finish(
            outcome, quiet: quiet, summary: "name\(outcome.separated.count == 1 ? "" : "s")", catalog: opened)
    }
}
