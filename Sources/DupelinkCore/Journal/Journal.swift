
/// The journal of one `link` run: writes each replacement to the catalog before the linker
/// touches the name, and settles it afterwards.
///
/// Durability: the pending entry of a replacement is committed before its temporary name is
/// made, so after `SIGKILL` the next run finds it. The catalog runs in WAL mode with
/// `synchronous = NORMAL`: a committed transaction survives the process being killed; a power cut
/// may lose the last few, like the filesystem's own unsynced renames. Settling an entry (`done`,
/// `failed`) is not needed for safety, so it waits and is committed with the next pending entry:
/// one commit per replacement.
///
/// Used from one thread, the linker's.
public final class LinkJournal {
    /// The role of a temporary name in a replacement.
    enum NameRole {
        /// The keeper's link that will take the duplicate's place.
        case temporary
        /// The duplicate's second name, when names cannot be exchanged.
        case backup
    }

    /// The catalog it writes to.
    public let catalog: Catalog
    /// The run's number.
    public let runID: Int64
    /// Whether the run changes nothing.
    public let isDryRun: Bool
    /// The entry being replaced now, once it is written.
    private var current: JournalEntry?
    /// The entry prepared for the next replacement, written when its first temporary name is known.
    private var prepared: JournalEntry?
    private var settlements: [JournalSettlement] = []
    private var nextPosition = 0
    /// The first error writing the journal; the linker reports it and changes nothing more.
    private(set) var failure: DupelinkError?

    private init(catalog: Catalog, runID: Int64, isDryRun: Bool) {
        self.catalog = catalog
        self.runID = runID
        self.isDryRun = isDryRun
    }

    /// Records the start of a `link` run (or, with `command`, of a `dedupe` run, which journals
    /// no entries: it renames nothing) in `catalog`.
    ///
    /// Touches the disk: writes the database and reads the working directory.
    /// - Throws: `DupelinkError(.catalog)` when the run cannot be recorded; nothing may then be linked.
    public static func begin(
        catalog: Catalog, roots: [[UInt8]], isDryRun: Bool, command: JournalCommand = .link
    ) throws(DupelinkError) -> LinkJournal {
        let id = try catalog.beginJournalRun(
            command: command, roots: roots, isDryRun: isDryRun, process: .current(),
            workingDirectory: JournalPaths.workingDirectory(), startedAt: CatalogFile.now())
        return LinkJournal(catalog: catalog, runID: id, isDryRun: isDryRun)
    }

    /// Prepares the entry for the replacement about to start; nothing is written until its
    /// temporary name is recorded.
    func prepare(
        path: [UInt8], rootLength: Int, directory: FileID, keeperPath: [UInt8], duplicate: FileStatus, keeper: FileStatus,
        duplicateAttributes: FileAttributes
    ) {
        prepared = JournalEntry(
            runID: runID, position: nextPosition, kind: .link, state: .pending, recordedAt: CatalogFile.now(),
            path: path, rootLength: rootLength, directory: directory, keeperPath: keeperPath, before: duplicate,
            after: keeper, temporaryName: [], beforeAttributes: duplicateAttributes)
    }

    /// Commits the temporary name about to be made, with the prepared entry the first time.
    /// Returns false (and keeps the error in `failure`) when the journal cannot be written: the
    /// name must then not be made.
    func record(_ name: [CChar], as role: NameRole) -> Bool {
        guard failure == nil else { return false }
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        var entry: JournalEntry
        if let prepared {
            entry = prepared
        } else if let current {
            entry = current
        } else {
            return false
        }
        switch role {
        case .temporary: entry.temporaryName = bytes
        case .backup: entry.backupName = bytes
        }
        do {
            try catalog.recordJournalEntry(entry, settling: settlements)
        } catch {
            failure = error
            return false
        }
        settlements.removeAll(keepingCapacity: true)
        if prepared != nil {
            prepared = nil
            nextPosition += 1
        }
        current = entry
        return true
    }

    /// The journal error to report, if writing failed (it stays: nothing more may be linked).
    func takeFailure() -> DupelinkError? { failure }

    /// Settles the replacement that just ended; written with the next entry or at the end.
    func settle(succeeded: Bool, bytesFreed: Int64) {
        prepared = nil
        guard let entry = current else { return }
        settlements.append(
            JournalSettlement(
                runID: runID, position: entry.position, state: succeeded ? .done : .failed, bytesFreed: succeeded ? bytesFreed : 0))
        current = nil
    }

    /// Records how the run ended, with its totals (for a dry run, what it would have done).
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; the entries stay
    ///   pending, and the next run's recovery settles them.
    public func finish(_ outcome: LinkOutcome) throws(DupelinkError) {
        let status: JournalRunStatus = outcome.wasCancelled ? .interrupted : .completed
        try catalog.endJournalRun(
            id: runID, status: status, endedAt: CatalogFile.now(),
            filesChanged: outcome.replacements.count, bytesFreed: outcome.bytesFreed,
            failures: outcome.skipped.count, settling: settlements)
        settlements.removeAll()
    }
}

/// Paths as the journal keeps them.
enum JournalPaths {
    /// The working directory's path, or empty when it cannot be told.
    static func workingDirectory() -> [UInt8] { (try? Syscalls.workingDirectory()) ?? [] }

    /// Splits a path into its directory part and its last component.
    static func split(_ path: [UInt8]) -> (directory: [UInt8], name: [UInt8]) {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return ([], path) }
        let directory = slash == path.startIndex ? [UInt8(ascii: "/")] : Array(path[..<slash])
        return (directory, Array(path[(slash + 1)...]))
    }

    /// Whether `name` has the shape of the linker's temporary names: `.dupelink.<pid>.<n>.tmp`.
    static func isTemporaryName(_ name: [UInt8]) -> Bool {
        let prefix = Array(".dupelink.".utf8), suffix = Array(".tmp".utf8)
        guard name.count > prefix.count + suffix.count, name.starts(with: prefix), name.suffix(suffix.count).elementsEqual(suffix)
        else { return false }
        let middle = name[prefix.count..<(name.count - suffix.count)].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return middle.count == 2
            && middle.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
    }
}
