import Foundation
import GRDB

/// The journal's tables, created by the `v2-journal` migration.
///
/// `journalRun` has one row per `link`, `undo` or `split` invocation; `journalEntry` one row per
/// name that was (or was about to be) replaced. An entry is written and committed as `pending`
/// before its name is touched, so after a crash (even `SIGKILL`) the next run knows what was in
/// flight, and settled (`done`, `failed`, `undone`, `unknown`) afterwards.
enum JournalSchema {
    /// Creates the journal tables.
    static func create(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE journalRun (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    command TEXT NOT NULL,
                    startedAt INTEGER NOT NULL,
                    endedAt INTEGER,
                    status TEXT NOT NULL,
                    isDryRun INTEGER NOT NULL,
                    processId INTEGER NOT NULL,
                    processStartTime INTEGER NOT NULL,
                    bootId TEXT NOT NULL,
                    workingDirectory BLOB NOT NULL,
                    filesChanged INTEGER NOT NULL DEFAULT 0,
                    bytesFreed INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    undoneRunId INTEGER
                );
                CREATE TABLE journalRunRoot (
                    runId INTEGER NOT NULL REFERENCES journalRun(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    path BLOB NOT NULL,
                    PRIMARY KEY (runId, position)
                ) WITHOUT ROWID;
                CREATE TABLE journalEntry (
                    runId INTEGER NOT NULL REFERENCES journalRun(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    recordedAt INTEGER NOT NULL,
                    settledAt INTEGER,
                    wasRecovered INTEGER NOT NULL DEFAULT 0,
                    path BLOB NOT NULL,
                    rootLength INTEGER NOT NULL,
                    directoryDevice INTEGER NOT NULL,
                    directoryInode INTEGER NOT NULL,
                    keeperPath BLOB NOT NULL,
                    beforeDevice INTEGER NOT NULL,
                    beforeInode INTEGER NOT NULL,
                    beforeMode INTEGER NOT NULL,
                    beforeLinkCount INTEGER NOT NULL,
                    beforeUserId INTEGER NOT NULL,
                    beforeGroupId INTEGER NOT NULL,
                    beforeSize INTEGER NOT NULL,
                    beforeModificationTime INTEGER NOT NULL,
                    beforeChangeTime INTEGER NOT NULL,
                    afterDevice INTEGER,
                    afterInode INTEGER,
                    afterMode INTEGER,
                    afterLinkCount INTEGER,
                    afterUserId INTEGER,
                    afterGroupId INTEGER,
                    afterSize INTEGER,
                    afterModificationTime INTEGER,
                    afterChangeTime INTEGER,
                    temporaryName BLOB NOT NULL,
                    backupName BLOB,
                    bytesFreed INTEGER NOT NULL DEFAULT 0,
                    undoesRunId INTEGER,
                    undoesPosition INTEGER,
                    PRIMARY KEY (runId, position),
                    CHECK ((afterDevice IS NULL) = (afterInode IS NULL)),
                    CHECK ((undoesRunId IS NULL) = (undoesPosition IS NULL))
                ) WITHOUT ROWID;
                CREATE INDEX journalEntryPending ON journalEntry(state) WHERE state = 'pending';
                """)
    }
}

/// Which command a journaled run was.
public enum JournalCommand: String, Hashable, Sendable, Codable {
    /// `dupelink link`: names replaced by hard links.
    case link
    /// `dupelink undo`: linked names turned back into separate files.
    case undo
    /// `dupelink split`: linked names turned into separate files.
    case split
}

/// How a journaled run ended.
public enum JournalRunStatus: String, Hashable, Sendable, Codable {
    /// Still running, or ended without a trace (see `crashed`).
    case running
    /// Ran to its end.
    case completed
    /// Stopped early by SIGINT or SIGTERM, after finishing the replacement in progress.
    case interrupted
    /// Its process ended without finishing (killed, crashed, power cut); a later run recovered
    /// what was in flight.
    case crashed
}

/// What a journal entry changes: a name replaced by a hard link, or a linked name split off.
public enum JournalEntryKind: String, Hashable, Sendable, Codable {
    /// The name's inode (`before`, the duplicate) was replaced by the keeper (`after`).
    case link
    /// The name's shared inode (`before`) was replaced by a new copy (`after`).
    case split
}

/// Where a journal entry stands.
public enum JournalEntryState: String, Hashable, Sendable, Codable {
    /// Recorded before the name was touched; not yet settled.
    case pending
    /// The name holds `after`.
    case done
    /// Nothing was changed, or the change was put back: the name holds `before`.
    case failed
    /// A `link` entry whose name `dupelink undo` turned back into a separate file.
    case undone
    /// Recovery found the name holding neither inode; it was left alone and reported.
    case unknown
}

/// One journaled invocation of `link`, `undo` or `split`.
public struct JournalRun: Hashable, Sendable {
    /// The run's number, for `dupelink undo`.
    public var id: Int64
    /// The command.
    public var command: JournalCommand
    /// When it started, in nanoseconds since the epoch.
    public var startedAt: Int64
    /// When it ended, in nanoseconds since the epoch, or nil while running or after a crash.
    public var endedAt: Int64?
    /// How it ended.
    public var status: JournalRunStatus
    /// Whether it only showed what it would do.
    public var isDryRun: Bool
    /// The process that ran it, to tell whether it is still alive.
    public var process: ProcessIdentity
    /// The working directory it ran in (relative paths in its entries start there).
    public var workingDirectory: [UInt8]
    /// The roots (for `link`) or paths (for `split`) as given.
    public var roots: [[UInt8]]
    /// The names replaced (link) or separated (undo, split).
    public var filesChanged: Int
    /// The bytes freed (link), counted when the replaced inode lost its last name.
    public var bytesFreed: Int64
    /// The names that were not changed because of an error or a change since.
    public var failures: Int
    /// For `undo`: the run it undid.
    public var undoneRunID: Int64?

    /// Creates a run record.
    public init(
        id: Int64, command: JournalCommand, startedAt: Int64, endedAt: Int64?, status: JournalRunStatus,
        isDryRun: Bool, process: ProcessIdentity, workingDirectory: [UInt8], roots: [[UInt8]],
        filesChanged: Int, bytesFreed: Int64, failures: Int, undoneRunID: Int64?
    ) {
        self.id = id
        self.command = command
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
        self.isDryRun = isDryRun
        self.process = process
        self.workingDirectory = workingDirectory
        self.roots = roots
        self.filesChanged = filesChanged
        self.bytesFreed = bytesFreed
        self.failures = failures
        self.undoneRunID = undoneRunID
    }
}

/// Names one journal entry: its run and its position in the run.
public struct JournalEntryID: Hashable, Sendable {
    /// The run.
    public var runID: Int64
    /// The position in the run.
    public var position: Int

    /// Creates an entry id.
    public init(runID: Int64, position: Int) {
        self.runID = runID
        self.position = position
    }
}

/// One name replaced (or about to be) by a run, with everything needed to recognise its
/// temporary names after a crash and to undo it.
public struct JournalEntry: Hashable, Sendable {
    /// The run that wrote it.
    public var runID: Int64
    /// Its order within the run.
    public var position: Int
    /// What it changes.
    public var kind: JournalEntryKind
    /// Where it stands.
    public var state: JournalEntryState
    /// When it was first recorded, in nanoseconds since the epoch.
    public var recordedAt: Int64
    /// The name's full path as the run saw it (relative paths start at the run's working directory).
    public var path: [UInt8]
    /// How many leading bytes of `path` are the root as given, which may be a symbolic link;
    /// every directory below it is opened without following symbolic links.
    public var rootLength: Int
    /// The identity of the directory that holds the name.
    public var directory: FileID
    /// The path of the keeper whose inode the name received (link), or of the name itself (split).
    public var keeperPath: [UInt8]
    /// The inode the name held before: the duplicate (link), or the shared inode (split); with
    /// its owner, mode, size, modification and change time.
    public var before: FileStatus
    /// The inode the name holds after: the keeper (link) or the new copy (split), with the
    /// metadata it has (or, for a copy, is given). Nil until known.
    public var after: FileStatus?
    /// The temporary name made next to the name (`.dupelink.<pid>.<n>.tmp`).
    public var temporaryName: [UInt8]
    /// A second temporary name, used when the filesystem cannot exchange names.
    public var backupName: [UInt8]?
    /// The bytes freed by this replacement.
    public var bytesFreed: Int64
    /// Whether crash recovery settled it.
    public var wasRecovered: Bool
    /// For a split made by `undo`: the `link` entry it undoes, marked `undone` when this is done.
    public var undoes: JournalEntryID?

    /// Creates an entry.
    public init(
        runID: Int64, position: Int, kind: JournalEntryKind, state: JournalEntryState, recordedAt: Int64,
        path: [UInt8], rootLength: Int, directory: FileID, keeperPath: [UInt8], before: FileStatus,
        after: FileStatus?, temporaryName: [UInt8], backupName: [UInt8]? = nil, bytesFreed: Int64 = 0,
        wasRecovered: Bool = false, undoes: JournalEntryID? = nil
    ) {
        self.runID = runID
        self.position = position
        self.kind = kind
        self.state = state
        self.recordedAt = recordedAt
        self.path = path
        self.rootLength = rootLength
        self.directory = directory
        self.keeperPath = keeperPath
        self.before = before
        self.after = after
        self.temporaryName = temporaryName
        self.backupName = backupName
        self.bytesFreed = bytesFreed
        self.wasRecovered = wasRecovered
        self.undoes = undoes
    }
}

/// A journal entry's final state, written later in a batch.
public struct JournalSettlement: Hashable, Sendable {
    /// The entry's run.
    public var runID: Int64
    /// The entry's position in its run.
    public var position: Int
    /// Its final state.
    public var state: JournalEntryState
    /// The bytes it freed.
    public var bytesFreed: Int64

    /// Creates a settlement.
    public init(runID: Int64, position: Int, state: JournalEntryState, bytesFreed: Int64 = 0) {
        self.runID = runID
        self.position = position
        self.state = state
        self.bytesFreed = bytesFreed
    }
}

extension Catalog {
    /// Records the start of a run and returns its number.
    ///
    /// Touches the disk: writes the database, in one committed transaction.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func beginJournalRun(
        command: JournalCommand, roots: [[UInt8]], isDryRun: Bool, process: ProcessIdentity,
        workingDirectory: [UInt8], startedAt: Int64, undoneRunID: Int64? = nil
    ) throws(DupelinkError) -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO journalRun (command, startedAt, status, isDryRun, processId, processStartTime, bootId,
                                            workingDirectory, undoneRunId)
                    VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    command.rawValue, startedAt, isDryRun, process.processID, process.startTime, process.bootID,
                    Data(workingDirectory), undoneRunID,
                ])
            let id = db.lastInsertedRowID
            let insertRoot = try db.cachedStatement(sql: "INSERT INTO journalRunRoot (runId, position, path) VALUES (?, ?, ?)")
            for (position, root) in roots.enumerated() {
                try insertRoot.execute(arguments: [id, position, Data(root)])
            }
            return id
        }
    }

    /// Writes (or rewrites) `entry` and the settlements, in one committed transaction: after it
    /// returns, the entry survives the process being killed.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; nothing is written then.
    public func recordJournalEntry(_ entry: JournalEntry?, settling settlements: [JournalSettlement]) throws(DupelinkError) {
        try write { db in
            try Self.settle(settlements, in: db)
            if let entry { try Self.upsert(entry, in: db) }
        }
    }

    /// Records how a run ended, with its totals, and the last settlements, in one transaction.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func endJournalRun(
        id: Int64, status: JournalRunStatus, endedAt: Int64?, filesChanged: Int, bytesFreed: Int64, failures: Int,
        settling settlements: [JournalSettlement] = []
    ) throws(DupelinkError) {
        try write { db in
            try Self.settle(settlements, in: db)
            try db.execute(
                sql: """
                    UPDATE journalRun SET status = ?, endedAt = ?, filesChanged = ?, bytesFreed = ?, failures = ?
                    WHERE id = ?
                    """,
                arguments: [status.rawValue, endedAt, filesChanged, bytesFreed, failures, id])
        }
    }

    /// Settles one entry after crash recovery inspected it, and marks the `link` entry it undid
    /// (`undoes`) as undone, in one transaction.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func settleRecoveredJournalEntry(
        runID: Int64, position: Int, state: JournalEntryState, bytesFreed: Int64, undoes: JournalEntryID? = nil
    ) throws(DupelinkError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE journalEntry SET state = ?, settledAt = ?, wasRecovered = 1, bytesFreed = ?
                    WHERE runId = ? AND position = ?
                    """,
                arguments: [state.rawValue, CatalogFile.now(), bytesFreed, runID, position])
            if let undoes {
                try Self.settle([JournalSettlement(runID: undoes.runID, position: undoes.position, state: .undone)], in: db)
            }
        }
    }

    /// Marks a run whose process is gone as crashed, with totals counted from its entries.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func markJournalRunCrashed(id: Int64) throws(DupelinkError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE journalRun SET status = 'crashed',
                        filesChanged = (SELECT count(*) FROM journalEntry WHERE runId = journalRun.id AND state IN ('done', 'undone')),
                        bytesFreed = (SELECT coalesce(sum(bytesFreed), 0) FROM journalEntry WHERE runId = journalRun.id AND state IN ('done', 'undone')),
                        failures = (SELECT count(*) FROM journalEntry WHERE runId = journalRun.id AND state IN ('failed', 'unknown'))
                    WHERE id = ? AND status = 'running'
                    """,
                arguments: [id])
        }
    }

    /// Every journaled run, oldest first.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func journalRuns() throws(DupelinkError) -> [JournalRun] {
        try read { db in try Self.runs(db, whereClause: "", arguments: []) }
    }

    /// The run `id`, or nil when the journal has none.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func journalRun(id: Int64) throws(DupelinkError) -> JournalRun? {
        try read { db in try Self.runs(db, whereClause: "WHERE id = ?", arguments: [id]).first }
    }

    /// The runs still marked running (their process may be alive or gone).
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func runningJournalRuns() throws(DupelinkError) -> [JournalRun] {
        try read { db in try Self.runs(db, whereClause: "WHERE status = 'running'", arguments: []) }
    }

    /// The entries of run `runID` in order, optionally only those in `state`.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func journalEntries(runID: Int64, state: JournalEntryState? = nil) throws(DupelinkError) -> [JournalEntry] {
        try read { db in
            var sql = "SELECT * FROM journalEntry WHERE runId = ?"
            var arguments: StatementArguments = [runID]
            if let state {
                sql += " AND state = ?"
                arguments += [state.rawValue]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY position", arguments: arguments).map(Self.entry(from:))
        }
    }

    /// Every pending entry of every run, in run and position order.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func pendingJournalEntries() throws(DupelinkError) -> [JournalEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM journalEntry WHERE state = 'pending' ORDER BY runId, position")
                .map(Self.entry(from:))
        }
    }

    // MARK: - Rows

    private static func settle(_ settlements: [JournalSettlement], in db: Database) throws {
        guard !settlements.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: "UPDATE journalEntry SET state = ?, settledAt = ?, bytesFreed = ? WHERE runId = ? AND position = ?")
        let now = CatalogFile.now()
        for settlement in settlements {
            statement.setUncheckedArguments([
                settlement.state.rawValue, now, settlement.bytesFreed, settlement.runID, settlement.position,
            ])
            try statement.execute()
        }
    }

    private static func upsert(_ entry: JournalEntry, in db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO journalEntry (
                    runId, position, kind, state, recordedAt, wasRecovered, path, rootLength, directoryDevice,
                    directoryInode, keeperPath, beforeDevice, beforeInode, beforeMode, beforeLinkCount, beforeUserId,
                    beforeGroupId, beforeSize, beforeModificationTime, beforeChangeTime, afterDevice, afterInode,
                    afterMode, afterLinkCount, afterUserId, afterGroupId, afterSize, afterModificationTime,
                    afterChangeTime, temporaryName, backupName, bytesFreed, undoesRunId, undoesPosition)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let before = entry.before
        let after = entry.after
        statement.setUncheckedArguments([
            entry.runID, entry.position, entry.kind.rawValue, entry.state.rawValue, entry.recordedAt, entry.wasRecovered,
            Data(entry.path), entry.rootLength, Int64(bitPattern: entry.directory.device),
            Int64(bitPattern: entry.directory.inode), Data(entry.keeperPath),
            Int64(bitPattern: before.id.device), Int64(bitPattern: before.id.inode), Int64(before.mode),
            Int64(bitPattern: before.linkCount), Int64(before.userID), Int64(before.groupID), before.size,
            before.modificationTime, before.changeTime,
            after.map { Int64(bitPattern: $0.id.device) }, after.map { Int64(bitPattern: $0.id.inode) },
            after.map { Int64($0.mode) }, after.map { Int64(bitPattern: $0.linkCount) }, after.map { Int64($0.userID) },
            after.map { Int64($0.groupID) }, after?.size, after?.modificationTime, after?.changeTime,
            Data(entry.temporaryName), entry.backupName.map { Data($0) }, entry.bytesFreed,
            entry.undoes?.runID, entry.undoes?.position,
        ])
        try statement.execute()
    }

    private static func entry(from row: Row) throws -> JournalEntry {
        func status(_ prefix: String) -> FileStatus? {
            guard let device: Int64 = row[prefix + "Device"], let inode: Int64 = row[prefix + "Inode"] else { return nil }
            return FileStatus(
                id: FileID(device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode)),
                mode: UInt32(truncatingIfNeeded: (row[prefix + "Mode"] as Int64?) ?? 0),
                linkCount: UInt64(bitPattern: (row[prefix + "LinkCount"] as Int64?) ?? 0),
                userID: UInt32(truncatingIfNeeded: (row[prefix + "UserId"] as Int64?) ?? 0),
                groupID: UInt32(truncatingIfNeeded: (row[prefix + "GroupId"] as Int64?) ?? 0),
                size: (row[prefix + "Size"] as Int64?) ?? 0, blocks: 0,
                modificationTime: (row[prefix + "ModificationTime"] as Int64?) ?? 0,
                changeTime: (row[prefix + "ChangeTime"] as Int64?) ?? 0)
        }
        let runID: Int64 = row["runId"]
        let position: Int = row["position"]
        guard let kind = JournalEntryKind(rawValue: row["kind"]), let state = JournalEntryState(rawValue: row["state"]),
            let before = status("before")
        else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "journal entry \(runID).\(position) is unreadable")
        }
        let path: Data = row["path"]
        let keeperPath: Data = row["keeperPath"]
        let temporaryName: Data = row["temporaryName"]
        let backupName: Data? = row["backupName"]
        var undoes: JournalEntryID? = nil
        if let undoesRun: Int64 = row["undoesRunId"], let undoesPosition: Int = row["undoesPosition"] {
            undoes = JournalEntryID(runID: undoesRun, position: undoesPosition)
        }
        return JournalEntry(
            runID: runID, position: position, kind: kind, state: state, recordedAt: row["recordedAt"],
            path: Array(path), rootLength: row["rootLength"],
            directory: FileID(
                device: UInt64(bitPattern: row["directoryDevice"]), inode: UInt64(bitPattern: row["directoryInode"])),
            keeperPath: Array(keeperPath), before: before, after: status("after"), temporaryName: Array(temporaryName),
            backupName: backupName.map { Array($0) }, bytesFreed: row["bytesFreed"], wasRecovered: row["wasRecovered"],
            undoes: undoes)
    }

    private static func runs(_ db: Database, whereClause: String, arguments: StatementArguments) throws -> [JournalRun] {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM journalRun \(whereClause) ORDER BY id", arguments: arguments)
        return try rows.map { row in
            let id: Int64 = row["id"]
            guard let command = JournalCommand(rawValue: row["command"]), let status = JournalRunStatus(rawValue: row["status"])
            else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "journal run \(id) is unreadable") }
            let roots = try Data.fetchAll(
                db, sql: "SELECT path FROM journalRunRoot WHERE runId = ? ORDER BY position", arguments: [id]
            ).map { Array($0) }
            let workingDirectory: Data = row["workingDirectory"]
            return JournalRun(
                id: id, command: command, startedAt: row["startedAt"], endedAt: row["endedAt"], status: status,
                isDryRun: row["isDryRun"],
                process: ProcessIdentity(processID: row["processId"], startTime: row["processStartTime"], bootID: row["bootId"]),
                workingDirectory: Array(workingDirectory), roots: roots, filesChanged: row["filesChanged"],
                bytesFreed: row["bytesFreed"], failures: row["failures"], undoneRunID: row["undoneRunId"])
        }
    }
}
