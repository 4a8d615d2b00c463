/// Which command a journaled run was.
public enum JournalCommand: String, Hashable, Sendable, Codable {
    /// `dupelink link`: names replaced by hard links.
    case link
    /// `dupelink undo`: linked names turned back into separate files.
    case undo
    /// `dupelink split`: linked names turned into separate files.
    case split
    /// `dupelink dedupe`: duplicates made to share data extents; no name changed, so there are no
    /// entries and nothing to undo. Its `bytesFreed` are the bytes the kernel deduplicated.
    case dedupe
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
    /// The exit status the command ended with (0 success, 1 partial, 2 failure, 3 nothing to
    /// do, 130 interrupted), or nil for a run that was killed or journaled before it was kept.
    public var exitStatus: Int32? = nil

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
    /// For `link`: the extended attributes and flags of the inode the name held before, read
    /// right before the replacement, so `undo` can give its `user.*` attributes back (the only
    /// ones that may have differed). Nil in entries written before dupelink read them.
    public var beforeAttributes: FileAttributes?

    /// Creates an entry.
    public init(
        runID: Int64, position: Int, kind: JournalEntryKind, state: JournalEntryState, recordedAt: Int64,
        path: [UInt8], rootLength: Int, directory: FileID, keeperPath: [UInt8], before: FileStatus,
        after: FileStatus?, temporaryName: [UInt8], backupName: [UInt8]? = nil, bytesFreed: Int64 = 0,
        wasRecovered: Bool = false, undoes: JournalEntryID? = nil, beforeAttributes: FileAttributes? = nil
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
        self.beforeAttributes = beforeAttributes
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
