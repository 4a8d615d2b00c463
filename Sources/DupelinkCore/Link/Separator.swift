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
        let (planned, needed) = plan(items, into: &outcome)
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
        let separatedFiles = apply(planned, journal: journal, into: &outcome)
        if let journal {
            try journal.catalog.recordSeparated(separatedFiles)
            try journal.catalog.endJournalRun(
                id: journal.runID, status: outcome.wasCancelled ? .interrupted : .completed, endedAt: CatalogFile.now(),
                filesChanged: outcome.separated.count, bytesFreed: 0, failures: outcome.skipped.count)
        }
        return outcome
    }

    /// One name to separate, as first looked at.
    private typealias Planned = (item: SeparationItem, status: FileStatus, directory: FileID)
    /// The bytes to copy onto one filesystem, its free space, and a path on it to report.
    private typealias Need = (bytes: Int64, available: Int64, path: [UInt8], count: Int)

    /// Looks at every name, skipping (into `outcome`) those that cannot or need not be separated,
    /// and adds up the bytes to copy per filesystem. Changes nothing.
    private func plan(_ items: [SeparationItem], into outcome: inout SeparationOutcome) -> ([Planned], [UInt64: Need]) {
        var planned: [Planned] = []
        var needed: [UInt64: Need] = [:]
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
        return (planned, needed)
    }

    /// Separates the planned names in order until cancelled, recording each into `outcome`;
    /// returns the copies made, which later links keep separate.
    private func apply(
        _ planned: [Planned], journal: SeparationJournal?, into outcome: inout SeparationOutcome
    ) -> [SeparatedFile] {
        var names = TemporaryNames()
        // Each separation changes the shared inode's link count and change time: carry its
        // snapshot forward, as the linker does with its keepers.
        var carried: [FileID: FileStatus] = [:]
        // Names that were one file before they were linked become one file again (undo).
        var restored: [FileID: RestoredCopy] = [:]
        var separatedFiles: [SeparatedFile] = []
        for (item, status, directory) in planned {
            if Cancellation.isRequested {
                outcome.wasCancelled = true
                break
            }
            do {
                let (shared, copy, copied) = try separate(
                    item, expected: carried[status.id] ?? status, directory: directory, journal: journal, names: &names,
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
        return separatedFiles
    }

    /// Checks the name is a regular file, and the expected inode when one is given.
    private func check(_ item: SeparationItem, in directory: FileDescriptor) throws(DupelinkError) -> FileStatus {
        let (_, name) = JournalPaths.split(item.path)
        let cName = name.cString
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

    /// Swaps the copy (under the replacement's temporary name) in: afterwards the name holds the
    /// copy, and the shared inode has lost this name. Settles the journal entry.
    func swapIn(
        _ replacement: inout NameReplacement, copy: FileStatus, expected: FileStatus, path: [UInt8],
        names: inout TemporaryNames, record: SeparationRecord
    ) throws(DupelinkError) {
        func abandon(_ error: DupelinkError) -> DupelinkError {
            replacement.discard(onlyHolding: copy.id)
            record.settle(.failed)
            return error
        }
        let displaced: NameReplacement.Displaced
        do {
            // Without an exchange no backup is kept: the shared inode has other names.
            displaced = try replacement.swap(expected: expected.id, names: &names, backupJournal: nil)
        } catch {
            if case .nameChanged = error {
                throw abandon(DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is"))
            }
            throw abandon(error.journalFailure ?? DupelinkError(.ioError, path: path, errno: error.errno, operation: "replace"))
        }
        if displaced.wasExchanged {
            let old = try? Syscalls.status(of: replacement.temporary, in: replacement.directory)
            guard old?.id == expected.id, old?.size == expected.size, old?.modificationTime == expected.modificationTime else {
                // Somebody replaced or changed the name in between: put theirs back.
                if replacement.rollBack(displaced, newInode: copy.id) {
                    throw abandon(DupelinkError(.fileChanged, path: path, detail: "changed while it was being split; put back as it was"))
                }
                record.settle(.unknown)
                let held = JournalPaths.joined(
                    JournalPaths.split(path).directory, replacement.temporary.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
                throw DupelinkError(
                    .fileChanged, path: path,
                    detail: "changed while it was being split; what it held is at \(PathText.display(held))")
            }
            do {
                try replacement.commit(displaced)
            } catch {
                record.settle(.done, undoes: record.item.undoes)
                throw DupelinkError(.ioError, path: path, errno: error, operation: "remove the temporary name next to")
            }
        }
        let final = replacement.nameStatus()
        try? Syscalls.synchronize(replacement.directory)
        guard final?.id == copy.id, final?.size == expected.size else {
            record.settle(.unknown)
            throw DupelinkError(.fileChanged, path: path, detail: "replaced by another program while it was being split")
        }
        record.settle(.done, undoes: record.item.undoes)
    }
}
