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

    /// Records the exit status a journaled run's command ended with.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func recordExitStatus(_ status: Int32, ofJournalRun id: Int64) throws(DupelinkError) {
        try write { db in
            try db.execute(sql: "UPDATE journalRun SET exitStatus = ? WHERE id = ?", arguments: [status, id])
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
                    afterChangeTime, temporaryName, backupName, bytesFreed, undoesRunId, undoesPosition,
                    beforeAttributes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
            entry.undoes?.runID, entry.undoes?.position, entry.beforeAttributes.map { Data($0.encoded) },
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
        var beforeAttributes: FileAttributes? = nil
        if let encoded: Data = row["beforeAttributes"] {
            guard let decoded = FileAttributes(encoded: Array(encoded)) else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "journal entry \(runID).\(position): unreadable attributes")
            }
            beforeAttributes = decoded
        }
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
            undoes: undoes, beforeAttributes: beforeAttributes)
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
            var run = JournalRun(
                id: id, command: command, startedAt: row["startedAt"], endedAt: row["endedAt"], status: status,
                isDryRun: row["isDryRun"],
                process: ProcessIdentity(processID: row["processId"], startTime: row["processStartTime"], bootID: row["bootId"]),
                workingDirectory: Array(workingDirectory), roots: roots, filesChanged: row["filesChanged"],
                bytesFreed: row["bytesFreed"], failures: row["failures"], undoneRunID: row["undoneRunId"])
            run.exitStatus = row["exitStatus"]
            return run
        }
    }
}
