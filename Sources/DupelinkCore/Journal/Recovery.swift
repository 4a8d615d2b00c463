import SystemPackage

extension DupelinkError.Code {
    /// A name left by an interrupted run that dupelink cannot recognise safely; it was left in place.
    public static let leftInPlace = DupelinkError.Code("left-in-place")
    /// The filesystem lacks the space to copy what was asked; nothing was changed.
    public static let noSpace = DupelinkError.Code("no-space")
}

/// What crash recovery did.
public struct RecoveryReport: Sendable {
    /// The pending entries it settled, with their new state.
    public var settled: [JournalEntry] = []
    /// The temporary names it removed, as full paths.
    public var removedNames: [[UInt8]] = []
    /// Names left in place and entries it could not inspect, each with its path and reason.
    public var diagnostics: [Diagnostic] = []
    /// The runs it found dead while marked running.
    public var crashedRuns: [Int64] = []

    /// Creates an empty report.
    public init() {}
}

/// Finishes what runs killed in the middle left behind: each pending journal entry of a run
/// whose process is gone.
///
/// For each entry it opens the name's directory with the linker's rules (the root as given, then
/// one component at a time with `O_NOFOLLOW`, and the directory's identity checked against the
/// journal), and looks at the entry's temporary names. A temporary name is removed only when it
/// is recognised safely: it has the shape `.dupelink.<pid>.<n>.tmp`, it is recorded in the entry,
/// it is a regular file, and removing it loses no content, because
/// - the name itself holds the same inode (a backup name), or
/// - it holds the inode the name was to receive while the name still holds its old inode (made,
///   not swapped), or
/// - it holds the name's old inode, unchanged in size and modification time, while the name
///   already holds the new one, unchanged too (swapped, not cleaned up).
///
/// Anything else is left in place and reported. The entry is then settled by what the name holds.
public enum JournalRecovery {
    /// Settles the pending entries of every run whose process is gone, and marks those runs crashed.
    ///
    /// Touches the disk: opens directories, may remove temporary names, writes the catalog.
    /// - Throws: `DupelinkError(.catalog)` when the journal cannot be read or written.
    public static func recover(catalog: Catalog) throws(DupelinkError) -> RecoveryReport {
        var report = RecoveryReport()
        var runs: [Int64: JournalRun?] = [:]
        var dead: [Int64: JournalRun] = [:]
        for run in try catalog.runningJournalRuns() where !run.process.isRunning {
            dead[run.id] = run
        }
        for entry in try catalog.pendingJournalEntries() {
            // Entries whose directory could not be inspected stay pending after their run was
            // marked crashed; they are tried again.
            if runs[entry.runID] == nil { runs[entry.runID] = try catalog.journalRun(id: entry.runID) }
            guard let run = runs[entry.runID] ?? nil, !run.process.isRunning else { continue }
            guard let (state, bytesFreed) = inspect(entry, workingDirectory: run.workingDirectory, report: &report) else {
                continue
            }
            try catalog.settleRecoveredJournalEntry(
                runID: entry.runID, position: entry.position, state: state, bytesFreed: bytesFreed,
                undoes: state == .done ? entry.undoes : nil)
            var settled = entry
            settled.state = state
            settled.bytesFreed = bytesFreed
            settled.wasRecovered = true
            report.settled.append(settled)
        }
        for id in dead.keys.sorted() {
            try catalog.markJournalRunCrashed(id: id)
            report.crashedRuns.append(id)
        }
        return report
    }

    /// Looks at one entry's names; returns its state, or nil when its directory cannot be inspected
    /// (the entry then stays pending for a later run).
    static func inspect(
        _ entry: JournalEntry, workingDirectory: [UInt8], report: inout RecoveryReport
    ) -> (JournalEntryState, Int64)? {
        let handle: DirectoryHandle
        do {
            handle = try JournalDirectory.open(
                containing: entry.path, rootLength: entry.rootLength, workingDirectory: workingDirectory,
                expected: entry.directory)
        } catch {
            report.diagnostics.append(
                Diagnostic(.link, DupelinkError(
                    .leftInPlace, path: entry.path, operation: "recover run \(entry.runID)",
                    detail: "its directory cannot be inspected (\(error.description)); it stays in the journal for the next run")))
            return nil
        }
        let directory = handle.descriptor
        let (directoryPath, nameBytes) = JournalPaths.split(entry.path)
        let name = nameBytes.cString
        let current = try? Syscalls.status(of: name, in: directory)
        let old = entry.before.id
        let new = entry.after?.id
        var bytesFreed: Int64 = 0

        for temporary in [entry.temporaryName, entry.backupName ?? []] where !temporary.isEmpty {
            let shown = JournalPaths.joined(directoryPath, temporary)
            let cTemporary = temporary.cString
            guard JournalPaths.isTemporaryName(temporary) else {
                report.diagnostics.append(leftInPlace(shown, entry, "its name is not a dupelink temporary name"))
                continue
            }
            let found: FileStatus
            do {
                found = try Syscalls.status(of: cTemporary, in: directory)
            } catch .noSuchFileOrDirectory {
                continue
            } catch {
                report.diagnostics.append(leftInPlace(shown, entry, "it cannot be inspected: \(error)"))
                continue
            }
            let sameAsName = current != nil && found.id == current?.id
            let madeNotSwapped = new != nil && found.id == new && current?.id == old
            // As the linker checks after a swap: the old file unchanged, and the name showing the
            // new file's unchanged bytes; otherwise the old file is all there is of its content.
            let swappedNotCleaned =
                new != nil && found.id == old && current?.id == new && found.size == entry.before.size
                && (entry.kind == .split || found.modificationTime == entry.before.modificationTime)
                && current?.size == entry.after?.size && current?.modificationTime == entry.after?.modificationTime
            guard found.kind == .regular, sameAsName || madeNotSwapped || swappedNotCleaned else {
                report.diagnostics.append(
                    leftInPlace(shown, entry, "it holds neither the file it was made for nor an unchanged copy of it"))
                continue
            }
            do {
                try Syscalls.unlink(cTemporary, in: directory)
                report.removedNames.append(shown)
                if entry.kind == .link && found.id == old && found.linkCount == 1 {
                    // By blocks, as the linker counts: what `df` shows once the old name is gone.
                    bytesFreed = found.allocatedBytes
                }
            } catch {
                report.diagnostics.append(leftInPlace(shown, entry, "it cannot be removed: \(error)"))
            }
        }
        if let new, current?.id == new { return (.done, bytesFreed) }
        if current?.id == old { return (.failed, 0) }
        report.diagnostics.append(
            Diagnostic(.link, DupelinkError(
                .leftInPlace, path: entry.path, operation: "recover run \(entry.runID)",
                detail: current == nil
                    ? "the name is gone (removed or renamed since); nothing was changed"
                    : "the name holds another file than before or after the interrupted change; it was left as it is")))
        return (.unknown, bytesFreed)
    }

    private static func leftInPlace(_ path: [UInt8], _ entry: JournalEntry, _ reason: String) -> Diagnostic {
        Diagnostic(.link, DupelinkError(
            .leftInPlace, path: path, detail: "left in place: a name from interrupted run \(entry.runID) that is not recognised safely (\(reason))"))
    }
}

/// Opens the directory of a journaled name with the linker's rules.
enum JournalDirectory {
    /// Opens the directory that holds `path`: the root (the first `rootLength` bytes, which may
    /// be a symbolic link as it was on the command line) relative to `workingDirectory`, then
    /// each component below it with `O_NOFOLLOW`; checks the result is `expected` when given.
    ///
    /// Touches the disk: opens directories, changes nothing.
    /// - Throws: `DupelinkError(.directoryChanged)` when a component is a symbolic link or the
    ///   directory is not the expected one; `.ioError` when a directory cannot be opened.
    static func open(
        containing path: [UInt8], rootLength: Int, workingDirectory: [UInt8], expected: FileID?
    ) throws(DupelinkError) -> DirectoryHandle {
        let (directoryPath, _) = JournalPaths.split(path)
        let prefix = Array(directoryPath.prefix(max(0, min(rootLength, directoryPath.count))))
        let rest = directoryPath.dropFirst(prefix.count).split(separator: UInt8(ascii: "/"))
        // Without a root to follow, start at "/" or at the working directory.
        let root = !prefix.isEmpty ? prefix : directoryPath.first == UInt8(ascii: "/") ? Array("/".utf8) : Array(".".utf8)

        // Relative paths start in the working directory of the run that recorded them.
        var start = Syscalls.currentDirectory
        if directoryPath.first != UInt8(ascii: "/"), !workingDirectory.isEmpty {
            let cPath = workingDirectory.cString
            do {
                start = try Syscalls.openDirectory(cPath, in: Syscalls.currentDirectory, followSymlinks: true)
            } catch {
                throw DupelinkError(.ioError, path: workingDirectory, errno: error, operation: "open directory")
            }
        }
        defer { if start != Syscalls.currentDirectory { Syscalls.closeQuietly(start) } }
        var current = try openOne(root, in: start, follow: true, shown: root)
        var shown = prefix
        for component in rest {
            shown = JournalPaths.joined(shown, Array(component))
            let next = try openOne(Array(component), in: current.descriptor, follow: false, shown: shown)
            current = next
        }
        if let expected {
            let status: FileStatus
            do {
                status = try Syscalls.status(of: current.descriptor)
            } catch {
                throw DupelinkError(.ioError, path: directoryPath, errno: error, operation: "stat")
            }
            guard status.id == expected else { throw DupelinkError(.directoryChanged, path: directoryPath) }
        }
        return current
    }

    private static func openOne(
        _ name: [UInt8], in parent: FileDescriptor, follow: Bool, shown: [UInt8]
    ) throws(DupelinkError) -> DirectoryHandle {
        let cName = name.cString
        do {
            return DirectoryHandle(owning: try Syscalls.openDirectory(cName, in: parent, followSymlinks: follow))
        } catch {
            if error == .tooManySymbolicLinkLevels || error == .notDirectory {
                throw DupelinkError(.directoryChanged, path: shown, errno: error)
            }
            throw DupelinkError(.ioError, path: shown, errno: error, operation: "open directory")
        }
    }
}

extension JournalPaths {
    /// `directory/name`, or `name` when the directory is empty.
    static func joined(_ directory: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if directory.isEmpty { return name }
        return directory.last == UInt8(ascii: "/") ? directory + name : directory + [UInt8(ascii: "/")] + name
    }
}
