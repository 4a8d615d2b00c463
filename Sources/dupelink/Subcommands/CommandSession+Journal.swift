import DupelinkCore

extension CommandSession {
    /// Settles what earlier runs, killed in the middle, left behind (see `JournalRecovery`), and
    /// says on standard error what was removed and what was left in place.
    ///
    /// A catalog that cannot be read here is a warning: linking then fails to journal, and stops.
    func recoverInterruptedRuns() {
        guard let catalog else { return }
        JournalReporting.recover(catalog, quiet: output.quiet)
    }

    /// Starts the journal of a `link` (or `dedupe`) run, or returns nil without a catalog.
    ///
    /// - Throws: `ExitStatus.failure` when the run cannot be journaled: nothing is linked then.
    func beginJournal(roots: [[UInt8]], dryRun: Bool, command: JournalCommand = .link) throws -> LinkJournal? {
        guard let catalog else { return nil }
        do {
            let journal = try LinkJournal.begin(catalog: catalog, roots: roots, isDryRun: dryRun, command: command)
            journalRunID = journal.runID
            return journal
        } catch {
            StandardStreams.error("\(error.description); nothing was linked, since every change must be journaled")
            throw ExitStatus.failure
        }
    }

    /// Records how the run ended; a failure is a warning (the next run's recovery settles it).
    func endJournal(_ journal: LinkJournal?, outcome: LinkOutcome) {
        guard let journal else { return }
        do {
            try journal.finish(outcome)
        } catch {
            if !output.quiet { StandardStreams.error("warning: the end of the run could not be journaled: \(error.description)") }
        }
    }
}

/// What the journal commands print about crash recovery.
enum JournalReporting {
    /// Runs crash recovery on `catalog` and reports it on standard error.
    static func recover(_ catalog: Catalog, quiet: Bool) {
        do {
            let report = try JournalRecovery.recover(catalog: catalog)
            guard !quiet else { return }
            for id in report.crashedRuns {
                StandardStreams.error("run \(id) was interrupted without finishing; its unfinished replacements were settled")
            }
            for name in report.removedNames {
                StandardStreams.error("removed the temporary name \(PathText.display(name)) of an interrupted run")
            }
            for diagnostic in report.diagnostics { StandardStreams.warning(diagnostic) }
        } catch {
            if !quiet { StandardStreams.error("warning: interrupted runs could not be recovered: \(error.description)") }
        }
    }
}
