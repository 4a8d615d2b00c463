import Glibc
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
    /// The `link` journal entry this undoes.
    public var undoes: JournalEntryID?

    /// Creates an item.
    public init(
        path: [UInt8], rootLength: Int, workingDirectory: [UInt8] = [], directory: FileID? = nil,
        expected: FileStatus? = nil, restore: FileStatus? = nil, undoes: JournalEntryID? = nil
    ) {
        self.path = path
        self.rootLength = rootLength
        self.workingDirectory = workingDirectory
        self.directory = directory
        self.expected = expected
        self.restore = restore
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

/// Turns linked names back into separate files: the only code besides the linker that changes
/// the filesystem, with the same atomicity.
///
/// For each name: its directory is opened with the linker's rules, the content is copied from the
/// name (read through that directory) into a new unnamed file in the same directory, which gets
/// the owner, group, mode and modification time to restore and is flushed to the disk; it then
/// gets a temporary name, which is exchanged with the name (`renameat2(RENAME_EXCHANGE)`), both
/// are checked, and the temporary name, which now holds the shared inode, is removed. At no
/// instant is the name missing or holding other content. Before anything is copied, the free space
/// of each filesystem is checked against the bytes to copy; when it is short nothing is changed.
/// With a catalog, each name is journaled (pending, committed) before it gets a temporary name.
public struct Separator {
    /// Whether names are swapped with `renameat2(RENAME_EXCHANGE)` (tests turn it off).
    var usesExchange = true
    /// Whether the copy is made unnamed (`O_TMPFILE`) where the filesystem allows; tests turn it
    /// off to exercise the named temporary file used elsewhere.
    var usesUnnamedFiles = true

    /// Creates a separator.
    public init() {}

    /// Separates `items`.
    ///
    /// Touches the disk unless `dryRun`: creates, writes and renames files next to the names, and
    /// writes the journal. A name that changed since (`expected`), that is not a regular file, or
    /// whose copy fails, is skipped with a diagnostic; the run goes on. Cancellation is checked
    /// between names.
    /// - Throws: `DupelinkError(.noSpace)` when a filesystem lacks the space to copy its names (nothing
    ///   is changed then); `DupelinkError(.catalog)` when the run cannot be journaled.
    public func execute(
        _ items: [SeparationItem], command: JournalCommand, roots: [[UInt8]], dryRun: Bool, catalog: Catalog?,
        undoneRunID: Int64? = nil
    ) throws(DupelinkError) -> SeparationOutcome {
        var outcome = SeparationOutcome(isDryRun: dryRun)
        // First look at every name, and add up the bytes to copy per filesystem.
        var planned: [(item: SeparationItem, status: FileStatus, directory: FileID)] = []
        var needed: [UInt64: (bytes: Int64, available: Int64, path: [UInt8], count: Int)] = [:]
        var copiesPerInode: [FileID: Int] = [:]
        for item in items {
            do throws(DupelinkError) {
                let handle = try JournalDirectory.open(
                    containing: item.path, rootLength: item.rootLength, workingDirectory: item.workingDirectory,
                    expected: item.directory)
                let directoryStatus = try directoryStatus(handle.descriptor, item.path)
                let status = try check(item, in: handle.descriptor)
                let copies = copiesPerInode[status.id, default: 0]
                if item.expected == nil && UInt64(copies + 1) >= status.linkCount {
                    outcome.alreadySeparate.append(item.path)
                    continue
                }
                copiesPerInode[status.id] = copies + 1
                planned.append((item, status, directoryStatus.id))
                if needed[directoryStatus.id.device] == nil {
                    let available: Int64
                    do {
                        available = try Syscalls.availableBytes(handle.descriptor)
                    } catch {
                        throw DupelinkError(.ioError, path: item.path, errno: error, operation: "read the free space of the filesystem of")
                    }
                    needed[directoryStatus.id.device] = (0, available, item.path, 0)
                }
                needed[directoryStatus.id.device]?.bytes += status.size
                needed[directoryStatus.id.device]?.count += 1
            } catch {
                outcome.skipped.append(Diagnostic(.link, error))
            }
        }
        for (_, need) in needed.sorted(by: { $0.key < $1.key }) where need.bytes > need.available {
            throw DupelinkError(
                .noSpace, path: need.path, operation: "\(command.rawValue)",
                detail: "separating \(need.count) name\(need.count == 1 ? "" : "s") needs \(ByteSize.format(need.bytes)) (\(need.bytes) bytes) on the filesystem of this path, which has only \(ByteSize.format(need.available)) (\(need.available) bytes) free; nothing was changed")
        }
        if dryRun {
            outcome.separated = planned.map(\.item.path)
            outcome.bytesCopied = planned.reduce(0) { $0 + $1.status.size }
            return outcome
        }

        var journal: SeparationJournal? = nil
        if let catalog {
            journal = SeparationJournal(
                catalog: catalog,
                runID: try catalog.beginJournalRun(
                    command: command, roots: roots, isDryRun: false, process: .current(),
                    workingDirectory: JournalPaths.workingDirectory(), startedAt: CatalogFile.now(),
                    undoneRunID: undoneRunID))
            outcome.runID = journal?.runID
        }
        var counter = 0
        // Each separation changes the shared inode's link count and change time: carry its
        // snapshot forward, as the linker does with its keepers.
        var carried: [FileID: FileStatus] = [:]
        for (item, status, directory) in planned {
            if Cancellation.isRequested {
                outcome.wasCancelled = true
                break
            }
            do {
                let shared = try separate(
                    item, expected: carried[status.id] ?? status, directory: directory, journal: journal, counter: &counter)
                if let shared, shared.id == status.id, shared.size == status.size,
                    shared.modificationTime == status.modificationTime
                {
                    carried[status.id] = shared
                }
                outcome.separated.append(item.path)
                outcome.bytesCopied += status.size
            } catch {
                outcome.skipped.append(Diagnostic(.link, error))
            }
        }
        if let journal {
            try journal.catalog.endJournalRun(
                id: journal.runID, status: outcome.wasCancelled ? .interrupted : .completed, endedAt: CatalogFile.now(),
                filesChanged: outcome.separated.count, bytesFreed: 0, failures: outcome.skipped.count)
        }
        return outcome
    }

    /// Checks the name is a regular file, and the expected inode when one is given.
    private func check(_ item: SeparationItem, in directory: FileDescriptor) throws(DupelinkError) -> FileStatus {
        let (_, name) = JournalPaths.split(item.path)
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        let status: FileStatus
        do {
            status = try Syscalls.status(of: cName, in: directory)
        } catch {
            throw DupelinkError(.ioError, path: item.path, errno: error, operation: "stat")
        }
        guard status.kind == .regular else {
            throw DupelinkError(.invalidInput, path: item.path, detail: "not a regular file; left as it is")
        }
        if let expected = item.expected {
            guard status.id == expected.id, status.size == expected.size,
                status.modificationTime == expected.modificationTime
            else {
                throw DupelinkError(
                    .fileChanged, path: item.path,
                    detail: "it no longer holds the file it was linked to, unchanged; skipped, left as it is")
            }
        }
        return status
    }

    private func directoryStatus(_ directory: FileDescriptor, _ path: [UInt8]) throws(DupelinkError) -> FileStatus {
        do {
            return try Syscalls.status(of: directory)
        } catch {
            throw DupelinkError(.ioError, path: JournalPaths.split(path).directory, errno: error, operation: "stat")
        }
    }

    /// Separates one name; see the type's description. Returns the shared inode's status
    /// afterwards (its link count and change time moved).
    private func separate(
        _ item: SeparationItem, expected: FileStatus, directory directoryID: FileID, journal: SeparationJournal?,
        counter: inout Int
    ) throws(DupelinkError) -> FileStatus? {
        let handle = try JournalDirectory.open(
            containing: item.path, rootLength: item.rootLength, workingDirectory: item.workingDirectory,
            expected: directoryID)
        let directory = handle.descriptor
        let (_, nameBytes) = JournalPaths.split(item.path)
        let name = nameBytes.map { CChar(bitPattern: $0) } + [0]
        let path = item.path
        func failure(_ operation: String, _ error: Errno) -> DupelinkError {
            DupelinkError(.ioError, path: path, errno: error, operation: operation)
        }

        guard let now = try? Syscalls.status(of: name, in: directory), now.kind == .regular,
            now.isUnchanged(comparedTo: expected)
        else { throw DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is") }
        let source: FileDescriptor
        do {
            source = try Syscalls.openForReading(name, in: directory)
        } catch {
            throw failure("open", error)
        }
        defer { Syscalls.closeQuietly(source) }
        guard let opened = try? Syscalls.status(of: source), opened.isUnchanged(comparedTo: expected) else {
            throw DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is")
        }

        // The copy: unnamed until it is complete, so a crash leaves nothing behind.
        let restore = item.restore ?? expected
        var temporary: [CChar] = []
        var entry: JournalEntry? = nil
        func nextName() -> [CChar] {
            counter += 1
            return Array(".dupelink.\(getpid()).\(counter).tmp".utf8CString)
        }
        func journalEntry(copy: FileStatus?, temporary: [CChar]) -> JournalEntry? {
            guard let journal else { return nil }
            return JournalEntry(
                runID: journal.runID, position: entry?.position ?? journal.nextPosition(), kind: .split, state: .pending,
                recordedAt: CatalogFile.now(), path: path, rootLength: item.rootLength, directory: directoryID,
                keeperPath: path, before: expected, after: copy,
                temporaryName: temporary.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, undoes: item.undoes)
        }
        var unnamed: FileDescriptor? = nil
        if usesUnnamedFiles {
            do {
                unnamed = try Syscalls.openUnnamedFile(in: directory)
            } catch where error == .notSupported || error == .isDirectory || error == .invalidArgument {
                // No unnamed files on this filesystem: a named one below.
            } catch {
                throw failure("create a temporary file next to", error)
            }
        }
        let copy: FileDescriptor
        var isNamed = false
        if let unnamed {
            copy = unnamed
        } else {
            // Journal the name first, then create it.
            temporary = nextName()
            entry = journalEntry(copy: nil, temporary: temporary)
            try journal?.record(entry)
            do {
                copy = try Syscalls.createExclusive(temporary, in: directory)
            } catch {
                journal?.settle(entry, .failed)
                throw failure("create a temporary file next to", error)
            }
            isNamed = true
        }
        defer { Syscalls.closeQuietly(copy) }
        var copyStatus: FileStatus
        do {
            copyStatus = try Syscalls.status(of: copy)
        } catch {
            if isNamed { try? Syscalls.unlink(temporary, in: directory) }
            journal?.settle(entry, .failed)
            throw failure("stat the temporary file next to", error)
        }
        copyStatus.mode = (copyStatus.mode & ~0o7777) | restore.permissions
        copyStatus.userID = restore.userID
        copyStatus.groupID = restore.groupID
        copyStatus.size = expected.size
        copyStatus.modificationTime = restore.modificationTime
        if !isNamed { temporary = nextName() }
        entry = journalEntry(copy: copyStatus, temporary: temporary)
        try journal?.record(entry)

        /// Undoes what was made so far and reports `error`.
        func abandon(_ error: DupelinkError) -> DupelinkError {
            if isNamed, (try? Syscalls.status(of: temporary, in: directory))?.id == copyStatus.id {
                try? Syscalls.unlink(temporary, in: directory)
            }
            journal?.settle(entry, .failed)
            return error
        }

        do {
            try copyContent(from: source, to: copy, size: expected.size)
            try Syscalls.changeOwner(copy, userID: restore.userID, groupID: restore.groupID)
            // After chown, which clears set-user-ID and set-group-ID bits.
            try Syscalls.changeMode(copy, permissions: restore.permissions)
            try Syscalls.setModificationTime(copy, nanoseconds: restore.modificationTime)
            try Syscalls.synchronize(copy)
        } catch {
            let detail = error == .notPermitted ? "the original owner or mode cannot be restored by this user" : nil
            throw abandon(DupelinkError(.ioError, path: path, errno: error, operation: "copy", detail: detail))
        }
        // The bytes copied are the bytes of the shared inode only if nobody wrote to it meanwhile.
        guard let after = try? Syscalls.status(of: source), after.isUnchanged(comparedTo: expected) else {
            throw abandon(DupelinkError(.fileChanged, path: path, detail: "written to while it was being copied; left as it is"))
        }
        if !isNamed {
            var attempts = 0
            while true {
                do {
                    try Syscalls.link(openFile: copy, to: temporary, in: directory)
                    break
                } catch .fileExists where attempts < 100 {
                    attempts += 1
                    temporary = nextName()
                    entry = journalEntry(copy: copyStatus, temporary: temporary)
                    try journal?.record(entry)
                } catch {
                    throw abandon(failure("give the copy a temporary name next to", error))
                }
            }
            isNamed = true
        }

        // Swap the copy in; the name then holds the copy, the temporary name the shared inode.
        var exchanged = false
        if usesExchange {
            do {
                try Syscalls.exchange(temporary, in: directory, with: name, in: directory)
                exchanged = true
            } catch .invalidArgument {
                // The filesystem cannot exchange names: rename below.
            } catch {
                throw abandon(failure("replace", error))
            }
        }
        if exchanged {
            let displaced = try? Syscalls.status(of: temporary, in: directory)
            guard displaced?.id == expected.id, displaced?.size == expected.size,
                displaced?.modificationTime == expected.modificationTime
            else {
                // Somebody replaced or changed the name in between: put theirs back.
                if (try? Syscalls.exchange(temporary, in: directory, with: name, in: directory)) != nil {
                    throw abandon(DupelinkError(.fileChanged, path: path, detail: "changed while it was being split; put back as it was"))
                }
                journal?.settle(entry, .unknown)
                throw DupelinkError(
                    .fileChanged, path: path,
                    detail: "changed while it was being split; what it held is at \(PathText.display(JournalPaths.joined(JournalPaths.split(path).directory, temporary.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })))")
            }
            do {
                try Syscalls.unlink(temporary, in: directory)
            } catch {
                journal?.settle(entry, .done, undoes: item.undoes)
                throw failure("remove the temporary name next to", error)
            }
        } else {
            // Without an exchange, a name swapped in just before the rename would be lost; this
            // check narrows that window to two system calls, as the linker's does.
            guard (try? Syscalls.status(of: name, in: directory))?.id == expected.id else {
                throw abandon(DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is"))
            }
            do {
                try Syscalls.rename(temporary, in: directory, to: name, in: directory)
            } catch {
                throw abandon(failure("replace", error))
            }
        }
        let final = try? Syscalls.status(of: name, in: directory)
        try? Syscalls.synchronize(directory)
        guard final?.id == copyStatus.id, final?.size == expected.size else {
            journal?.settle(entry, .unknown)
            throw DupelinkError(.fileChanged, path: path, detail: "replaced by another program while it was being split")
        }
        journal?.settle(entry, .done, undoes: item.undoes)
        return try? Syscalls.status(of: source)
    }

    /// Copies `size` bytes from `source` to `target`.
    private func copyContent(from source: FileDescriptor, to target: FileDescriptor, size: Int64) throws(Errno) {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try Syscalls.read(source, at: offset, into: buffer)
            if count == 0 { break }
            try Syscalls.write(target, at: offset, from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
        // A file that grew or shrank since it was checked is caught by the caller's re-check.
        _ = size
    }
}

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
