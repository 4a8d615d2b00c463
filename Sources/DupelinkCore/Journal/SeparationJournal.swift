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

/// The journal entry of one name being separated: one position, rewritten under each temporary
/// name the name's copy gets.
struct SeparationRecord {
    /// Where it is written, or nil without a catalog.
    let journal: SeparationJournal?
    /// The name.
    let item: SeparationItem
    /// The shared inode the name holds before.
    let expected: FileStatus
    /// The identity of the name's directory.
    let directory: FileID
    /// The entry's position in the run, once assigned.
    private var position: Int?
    /// The entry last written.
    private(set) var entry: JournalEntry?

    /// Starts the record of `item`; nothing is written yet.
    init(journal: SeparationJournal?, item: SeparationItem, expected: FileStatus, directory: FileID) {
        self.journal = journal
        self.item = item
        self.expected = expected
        self.directory = directory
    }

    /// Commits the entry (pending) with `temporary` and, once known, the copy.
    ///
    /// - Throws: `DupelinkError(.catalog)`; the name must then not be made.
    mutating func record(copy: FileStatus?, temporary: [CChar]) throws(DupelinkError) {
        guard let journal else { return }
        let assigned = position ?? journal.nextPosition()
        position = assigned
        entry = JournalEntry(
            runID: journal.runID, position: assigned, kind: .split, state: .pending,
            recordedAt: CatalogFile.now(), path: item.path, rootLength: item.rootLength, directory: directory,
            keeperPath: item.path, before: expected, after: copy,
            temporaryName: temporary.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, undoes: item.undoes)
        try journal.record(entry)
    }

    /// The next `record` writes a new entry, at a new position.
    mutating func startNewEntry() {
        position = nil
    }

    /// Settles the entry last written (see `SeparationJournal.settle`).
    func settle(_ state: JournalEntryState, undoes: JournalEntryID? = nil) {
        journal?.settle(entry, state, undoes: undoes)
    }
}
