import SystemPackage

/// One name to turn back into a file of its own.
public struct SeparationItem: Hashable, Sendable {
    /// The name's path (relative paths start at `workingDirectory`).
    public var path: [UInt8]
    /// How many leading bytes of `path` may be a symbolic link (the root as given); every
    /// directory below is opened without following symbolic links.
    public var rootLength: Int
    /// The working directory relative paths start in, or empty for this process's.
    public var workingDirectory: [UInt8]
    /// The identity the name's directory must have, or nil to accept the one found.
    public var directory: FileID?
    /// The inode the name must still hold (same inode, size and modification time), or nil to
    /// take the one found.
    public var expected: FileStatus?
    /// The owner, group, permission bits and modification time to give the copy, or nil for those
    /// of the inode found.
    public var restore: FileStatus?
    /// The attributes the journal kept for the name (`undo`): only their `user.*` attributes are
    /// given back (see `AttributeRestore`); nil for those of the inode found.
    public var restoreAttributes: FileAttributes?
    /// The `link` journal entry this undoes.
    public var undoes: JournalEntryID?

    /// Creates an item.
    public init(
        path: [UInt8], rootLength: Int, workingDirectory: [UInt8] = [], directory: FileID? = nil,
        expected: FileStatus? = nil, restore: FileStatus? = nil, restoreAttributes: FileAttributes? = nil,
        undoes: JournalEntryID? = nil
    ) {
        self.path = path
        self.rootLength = rootLength
        self.workingDirectory = workingDirectory
        self.directory = directory
        self.expected = expected
        self.restore = restore
        self.restoreAttributes = restoreAttributes
        self.undoes = undoes
    }

    /// An item for a path given on the command line: its directory part is taken as given
    /// (symbolic links followed), the name itself never.
    public static func commandLine(_ path: [UInt8]) -> SeparationItem {
        var trimmed = path
        while trimmed.count > 1 && trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        let (directory, _) = JournalPaths.split(trimmed)
        return SeparationItem(path: trimmed, rootLength: directory.count)
    }
}

/// What `Separator.execute` did (or, in a dry run, would do).
public struct SeparationOutcome: Sendable {
    /// Whether nothing was changed.
    public var isDryRun: Bool
    /// The journal run, when a catalog recorded it.
    public var runID: Int64?
    /// The names that now hold a file of their own (or would).
    public var separated: [[UInt8]] = []
    /// The names left alone because their file has one name only.
    public var alreadySeparate: [[UInt8]] = []
    /// The names skipped, each with its path and reason.
    public var skipped: [Diagnostic] = []
    /// The bytes copied (or that would be).
    public var bytesCopied: Int64 = 0
    /// Whether SIGINT or SIGTERM stopped the run between names.
    public var wasCancelled = false

    /// Creates an empty outcome.
    public init(isDryRun: Bool) {
        self.isDryRun = isDryRun
    }
}

/// A copy made for one name, which later names of the same original file can share.
struct RestoredCopy {
    /// The name that holds it.
    var path: [UInt8]
    /// See `SeparationItem.rootLength`.
    var rootLength: Int
    /// See `SeparationItem.workingDirectory`.
    var workingDirectory: [UInt8]
    /// The identity of the directory that holds the name.
    var directory: FileID
    /// The copy, with the metadata it was given.
    var status: FileStatus
}
