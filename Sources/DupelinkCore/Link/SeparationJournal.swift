/// The journal of one `undo` or `split` run.
final class SeparationJournal {
    /// The catalog it writes to.
    let catalog: Catalog
    /// The run's number.
    let runID: Int64
    private var position = 0
    /// The first error writing the journal: once set, nothing more is separated.
    private(set) var failure: DupelinkError?

    /// Wraps a run already begun.
    init(catalog: Catalog, runID: Int64) {
        self.catalog = catalog
        self.runID = runID
    }

    /// The position for a new entry.
    func nextPosition() -> Int {
        position += 1
        return position - 1
    }

    /// Commits `entry` before its temporary name is made.
    ///
    /// - Throws: `DupelinkError(.catalog)`; the caller then changes nothing.
    func record(_ entry: JournalEntry?) throws(DupelinkError) {
        guard let entry else { return }
        if let failure { throw failure }
        do {
            try catalog.recordJournalEntry(entry, settling: [])
        } catch {
            failure = error
            throw error
        }
    }

    /// Settles `entry` (and, when it undid a `link` entry, marks that one undone) at once: a
    /// separation is slow next to a database write.
    func settle(_ entry: JournalEntry?, _ state: JournalEntryState, undoes: JournalEntryID? = nil) {
        guard let entry else { return }
        var settlements = [JournalSettlement(runID: runID, position: entry.position, state: state)]
        if state == .done, let undoes {
            settlements.append(JournalSettlement(runID: undoes.runID, position: undoes.position, state: .undone))
        }
        do {
            try catalog.recordJournalEntry(nil, settling: settlements)
        } catch {
            // Left pending: the next run's recovery settles it by what the name holds.
            failure = failure ?? error
        }
    }
}
