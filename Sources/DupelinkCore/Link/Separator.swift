import Glibc
import SystemPackage

/// Turns linked names back into separate files: the only code besides the linker that changes
/// the filesystem, with the same atomicity.
///
/// For each name: its directory is opened with the linker's rules, the content is copied from the
/// name (read through that directory) into a new unnamed file in the same directory, which gets
/// the flags, extended attributes, owner, group, mode, modification time and capability to restore
/// (in that order, see `AttributeRestore`) and is flushed to the disk; it then
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
        var originals: Set<FileID> = []
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
                // A second name of one original file is linked to the first one's copy.
                if let original = item.restore?.id, !originals.insert(original).inserted { continue }
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
            outcome.bytesCopied = needed.values.reduce(0) { $0 + $1.bytes }
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
        // Names that were one file before they were linked become one file again (undo).
        var restored: [FileID: RestoredCopy] = [:]
        // The copies made, which later links keep separate.
        var separatedFiles: [SeparatedFile] = []
        for (item, status, directory) in planned {
            if Cancellation.isRequested {
                outcome.wasCancelled = true
                break
            }
            do {
                let (shared, copy, copied) = try separate(
                    item, expected: carried[status.id] ?? status, directory: directory, journal: journal, counter: &counter,
                    earlier: item.restore.flatMap { restored[$0.id] })
                if let shared, shared.id == status.id, shared.size == status.size,
                    shared.modificationTime == status.modificationTime
                {
                    carried[status.id] = shared
                }
                if let original = item.restore?.id, restored[original] == nil { restored[original] = copy }
                if let journal { separatedFiles.append(SeparatedFile(status: copy.status, path: item.path, runID: journal.runID)) }
                outcome.separated.append(item.path)
                if copied { outcome.bytesCopied += status.size }
            } catch {
                outcome.skipped.append(Diagnostic(.link, error))
            }
        }
        if let journal {
            try journal.catalog.recordSeparated(separatedFiles)
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

    /// Separates one name; see the type's description. With `earlier`, the copy made for an
    /// earlier name of the same journaled file is linked in instead of copying again, when it is
    /// still there unchanged. Returns the shared inode's status afterwards (its link count and
    /// change time moved), the file the name now holds, and whether bytes were copied.
    private func separate(
        _ item: SeparationItem, expected: FileStatus, directory directoryID: FileID, journal: SeparationJournal?,
        counter: inout Int, earlier: RestoredCopy?
    ) throws(DupelinkError) -> (shared: FileStatus?, copy: RestoredCopy, copied: Bool) {
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
        // A program holding the shared file open for writing would go on writing to it once this
        // name holds a copy: its writes would show under the other names and not under this one.
        // Leave it; while the lease is held (until `source` closes) an open for writing waits.
        // Where no lease is granted (not the owner, no CAP_LEASE), the check after the copy remains.
        do {
            try Syscalls.takeReadLease(source)
        } catch .resourceTemporarilyUnavailable {
            throw DupelinkError(.openForWriting, path: path, detail: "open for writing by another program; left as it is")
        } catch {
            // No lease here: go on.
        }

        // What the copy gets besides the bytes: never a privilege the shared file lacks now.
        let restore = item.restore ?? expected
        if item.restore != nil, let why = AttributeRestore.privilegeViolation(restore: restore, current: opened) {
            throw DupelinkError(.refused, path: path, detail: "\(why); left as it is")
        }
        let attributes: FileAttributes
        do {
            attributes = AttributeRestore.target(
                current: try FileAttributes.read(from: source), journaled: item.restoreAttributes)
        } catch {
            throw failure("read the extended attributes and flags of", error)
        }

        // The copy: unnamed until it is complete, so a crash leaves nothing behind.
        var temporary: [CChar] = []
        var entry: JournalEntry? = nil
        func nextName() -> [CChar] {
            counter += 1
            return Array(".dupelink.\(getpid()).\(counter).tmp".utf8CString)
        }
        // One position per entry; a retry under another temporary name rewrites the same entry.
        var position: Int? = nil
        func journalEntry(_ copy: FileStatus?, _ temporary: [CChar]) -> JournalEntry? {
            guard let journal else { return nil }
            let assigned = position ?? journal.nextPosition()
            position = assigned
            return JournalEntry(
                runID: journal.runID, position: assigned, kind: .split, state: .pending,
                recordedAt: CatalogFile.now(), path: path, rootLength: item.rootLength, directory: directoryID,
                keeperPath: path, before: expected, after: copy,
                temporaryName: temporary.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, undoes: item.undoes)
        }
        /// What the temporary name holds once it exists, so `abandon` removes only that.
        var made: FileID? = nil
        /// Undoes what was made so far and reports `error`.
        func abandon(_ error: DupelinkError) -> DupelinkError {
            if let made, (try? Syscalls.status(of: temporary, in: directory))?.id == made {
                try? Syscalls.unlink(temporary, in: directory)
            }
            journal?.settle(entry, .failed)
            return error
        }
        var copyStatus: FileStatus
        var isNamed = false
        var copied = true
        if let earlier, let linked = try linkEarlierCopy(
            earlier, into: directory, restore: restore, size: expected.size, journal: journal, nextName: nextName,
            journalEntry: journalEntry)
        {
            // Another name of the same journaled file was restored already: this one joins it.
            entry = linked.entry
            temporary = linked.temporary
            copyStatus = linked.status
            made = linked.status.id
            isNamed = true
            copied = false
        } else {
            // A new entry, even when linking an earlier copy was tried (and settled as failed).
            position = nil
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
            if let unnamed {
                copy = unnamed
            } else {
                // Journal the name first, then create it.
                temporary = nextName()
                entry = journalEntry(nil, temporary)
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
            made = copyStatus.id
            if !isNamed { temporary = nextName() }
            entry = journalEntry(copyStatus, temporary)
            do {
                try journal?.record(entry)
            } catch {
                // The empty file made here is all there is to take back.
                if isNamed { try? Syscalls.unlink(temporary, in: directory) }
                throw error
            }

            do {
                try AttributeRestore.setFlags(attributes, on: copy)
                try copyContent(from: source, to: copy)
                try AttributeRestore.setExtendedAttributes(attributes, on: copy)
                try Syscalls.changeOwner(copy, userID: restore.userID, groupID: restore.groupID)
                // After chown, which clears set-user-ID and set-group-ID bits.
                try Syscalls.changeMode(copy, permissions: restore.permissions)
                try Syscalls.setModificationTime(copy, nanoseconds: restore.modificationTime)
                // Last: chown clears a capability.
                try AttributeRestore.setCapability(attributes, on: copy)
                try Syscalls.synchronize(copy)
            } catch {
                let detail = error == .notPermitted ? "the original owner, mode or attributes cannot be restored by this user" : nil
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
                        entry = journalEntry(copyStatus, temporary)
                        try journal?.record(entry)
                    } catch {
                        throw abandon(failure("give the copy a temporary name next to", error))
                    }
                }
                isNamed = true
            }
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
        let copy = RestoredCopy(
            path: item.path, rootLength: item.rootLength, workingDirectory: item.workingDirectory,
            directory: directoryID, status: copyStatus)
        return (try? Syscalls.status(of: source), copy, copied)
    }

    /// Links `earlier`'s copy to a new temporary name in `directory`, journaled first; nil when
    /// that copy is gone or changed, or cannot be linked here (then the caller copies).
    private func linkEarlierCopy(
        _ earlier: RestoredCopy, into directory: FileDescriptor, restore: FileStatus, size: Int64,
        journal: SeparationJournal?, nextName: () -> [CChar], journalEntry: (FileStatus?, [CChar]) -> JournalEntry?
    ) throws(DupelinkError) -> (temporary: [CChar], status: FileStatus, entry: JournalEntry?)? {
        guard
            let handle = try? JournalDirectory.open(
                containing: earlier.path, rootLength: earlier.rootLength, workingDirectory: earlier.workingDirectory,
                expected: earlier.directory)
        else { return nil }
        let name = JournalPaths.split(earlier.path).name.map { CChar(bitPattern: $0) } + [0]
        guard let found = try? Syscalls.status(of: name, in: handle.descriptor), found.kind == .regular,
            found.id == earlier.status.id, found.size == size, found.modificationTime == restore.modificationTime,
            found.userID == restore.userID, found.groupID == restore.groupID, found.permissions == restore.permissions
        else { return nil }
        var entry: JournalEntry? = nil
        for _ in 0..<100 {
            let temporary = nextName()
            entry = journalEntry(found, temporary)
            try journal?.record(entry)
            do {
                try Syscalls.link(name, in: handle.descriptor, to: temporary, in: directory)
            } catch .fileExists {
                continue
            } catch {
                journal?.settle(entry, .failed)
                return nil
            }
            // The name linked from may have been swapped under us: then use nothing made here.
            guard let linked = try? Syscalls.status(of: temporary, in: directory), linked.id == found.id else {
                if let linked = try? Syscalls.status(of: temporary, in: directory), linked.linkCount > 1 {
                    try? Syscalls.unlink(temporary, in: directory)
                }
                journal?.settle(entry, .failed)
                return nil
            }
            return (temporary, found, entry)
        }
        journal?.settle(entry, .failed)
        return nil
    }

    /// Copies `source` to `target`; a file that grew or shrank since it was checked is caught by
    /// the caller's re-check.
    private func copyContent(from source: FileDescriptor, to target: FileDescriptor) throws(Errno) {
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
    }
}
