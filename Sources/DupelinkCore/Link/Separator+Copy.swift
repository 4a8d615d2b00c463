import SystemPackage

/// One name of `Separator.execute`: the shared file opened and checked, and the copy it gets
/// (new, or an earlier name's), under a temporary name of the name-replacement protocol
/// (`NameReplacement`); `Separator.swapIn` then puts it under the name.
extension Separator {
    /// Separates one name; see the type's description. With `earlier`, the copy made for an
    /// earlier name of the same journaled file is linked in instead of copying again, when it is
    /// still there unchanged. Returns the shared inode's status afterwards (its link count and
    /// change time moved), the file the name now holds, and whether bytes were copied.
    func separate(
        _ item: SeparationItem, expected: FileStatus, directory directoryID: FileID, journal: SeparationJournal?,
        names: inout TemporaryNames, earlier: RestoredCopy?
    ) throws(DupelinkError) -> (shared: FileStatus?, copy: RestoredCopy, copied: Bool) {
        let handle = try JournalDirectory.open(
            containing: item.path, rootLength: item.rootLength, workingDirectory: item.workingDirectory,
            expected: directoryID)
        let directory = handle.descriptor
        let name = JournalPaths.split(item.path).name.cString
        let path = item.path

        let (source, opened) = try openShared(name, in: directory, expected: expected, path: path)
        defer { Syscalls.closeQuietly(source) }
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
            throw DupelinkError(.ioError, path: path, errno: error, operation: "read the extended attributes and flags of")
        }

        var replacement = NameReplacement(name, in: directory, usesExchange: usesExchange)
        var record = SeparationRecord(journal: journal, item: item, expected: expected, directory: directoryID)
        let copyStatus: FileStatus
        let copied: Bool
        if let earlier, let linked = try linkEarlierCopy(
            earlier, into: &replacement, restore: restore, size: expected.size, names: &names, record: &record)
        {
            // Another name of the same journaled file was restored already: this one joins it.
            copyStatus = linked
            copied = false
        } else {
            // A new entry, even when linking an earlier copy was tried (and settled as failed).
            record.startNewEntry()
            copyStatus = try makeCopy(
                of: source, into: &replacement, restore: restore, attributes: attributes, expected: expected,
                path: path, names: &names, record: &record)
            copied = true
        }
        try swapIn(&replacement, copy: copyStatus, expected: expected, path: path, names: &names, record: record)
        let copy = RestoredCopy(
            path: item.path, rootLength: item.rootLength, workingDirectory: item.workingDirectory,
            directory: directoryID, status: copyStatus)
        return (try? Syscalls.status(of: source), copy, copied)
    }

    /// Opens the shared inode under `name`, which must still be `expected`, and holds a read
    /// lease on it where one is granted; the caller closes the descriptor.
    private func openShared(
        _ name: [CChar], in directory: FileDescriptor, expected: FileStatus, path: [UInt8]
    ) throws(DupelinkError) -> (FileDescriptor, FileStatus) {
        guard let now = try? Syscalls.status(of: name, in: directory), now.kind == .regular,
            now.isUnchanged(comparedTo: expected)
        else { throw DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is") }
        let source: FileDescriptor
        do {
            source = try Syscalls.openForReading(name, in: directory)
        } catch {
            throw DupelinkError(.ioError, path: path, errno: error, operation: "open")
        }
        guard let opened = try? Syscalls.status(of: source), opened.isUnchanged(comparedTo: expected) else {
            Syscalls.closeQuietly(source)
            throw DupelinkError(.fileChanged, path: path, detail: "skipped, left as it is")
        }
        // A program holding the shared file open for writing would go on writing to it once this
        // name holds a copy: its writes would show under the other names and not under this one.
        // Leave it; while the lease is held (until `source` closes) an open for writing waits.
        // Where no lease is granted (not the owner, no CAP_LEASE), the check after the copy remains.
        do {
            try Syscalls.takeReadLease(source)
        } catch .resourceTemporarilyUnavailable {
            Syscalls.closeQuietly(source)
            throw DupelinkError(.openForWriting, path: path, detail: "open for writing by another program; left as it is")
        } catch {
            // No lease here: go on.
        }
        return (source, opened)
    }

    /// Makes the copy of `source` (unnamed until complete where the filesystem allows, so a
    /// crash leaves nothing behind), gives it the metadata to restore, and gives it the
    /// replacement's temporary name, journaled first; returns the copy's status as restored.
    private func makeCopy(
        of source: FileDescriptor, into replacement: inout NameReplacement, restore: FileStatus,
        attributes: FileAttributes, expected: FileStatus, path: [UInt8], names: inout TemporaryNames,
        record: inout SeparationRecord
    ) throws(DupelinkError) -> FileStatus {
        func failure(_ operation: String, _ error: Errno) -> DupelinkError {
            DupelinkError(.ioError, path: path, errno: error, operation: operation)
        }
        let (copy, isUnnamed) = try createCopy(into: &replacement, path: path, names: &names, record: &record)
        let unnamed: FileDescriptor? = isUnnamed ? copy : nil
        defer { Syscalls.closeQuietly(copy) }
        var copyStatus: FileStatus
        do {
            copyStatus = try Syscalls.status(of: copy)
        } catch {
            replacement.discard()
            record.settle(.failed)
            throw failure("stat the temporary file next to", error)
        }
        copyStatus.mode = (copyStatus.mode & ~0o7777) | restore.permissions
        copyStatus.userID = restore.userID
        copyStatus.groupID = restore.groupID
        copyStatus.size = expected.size
        copyStatus.modificationTime = restore.modificationTime
        do throws(DupelinkError) {
            if unnamed != nil {
                try reserve(&replacement, names: &names, record: &record, copy: copyStatus)
            } else {
                try record.record(copy: copyStatus, temporary: replacement.temporary)
            }
        } catch {
            // The empty file made here is all there is to take back.
            replacement.discard()
            throw error
        }
        /// Takes back what was made and reports `error`.
        func abandon(_ error: DupelinkError) -> DupelinkError {
            replacement.discard(onlyHolding: copyStatus.id)
            record.settle(.failed)
            return error
        }
        do {
            try fill(copy, from: source, restore: restore, attributes: attributes)
        } catch {
            let detail = error == .notPermitted ? "the original owner, mode or attributes cannot be restored by this user" : nil
            throw abandon(DupelinkError(.ioError, path: path, errno: error, operation: "copy", detail: detail))
        }
        // The bytes copied are the bytes of the shared inode only if nobody wrote to it meanwhile.
        guard let after = try? Syscalls.status(of: source), after.isUnchanged(comparedTo: expected) else {
            throw abandon(DupelinkError(.fileChanged, path: path, detail: "written to while it was being copied; left as it is"))
        }
        if unnamed != nil {
            let status = copyStatus
            do throws(NameReplacement.Failure) {
                try replacement.make(from: .openFile(copy), names: &names, attempts: 101) {
                    (temporary: [CChar]) throws(DupelinkError) -> Void in
                    try record.record(copy: status, temporary: temporary)
                }
            } catch .journal(let error) {
                throw error
            } catch {
                throw abandon(failure("give the copy a temporary name next to", error.errno))
            }
        }
        return copyStatus
    }

    /// Creates the file the copy is made in: unnamed where the filesystem allows (`O_TMPFILE`),
    /// else under the replacement's temporary name, journaled first. Returns it, and whether it
    /// is unnamed.
    private func createCopy(
        into replacement: inout NameReplacement, path: [UInt8], names: inout TemporaryNames,
        record: inout SeparationRecord
    ) throws(DupelinkError) -> (copy: FileDescriptor, isUnnamed: Bool) {
        if usesUnnamedFiles {
            do {
                return (try Syscalls.openUnnamedFile(in: replacement.directory), true)
            } catch where error == .notSupported || error == .isDirectory || error == .invalidArgument {
                // No unnamed files on this filesystem: a named one below.
            } catch {
                throw DupelinkError(.ioError, path: path, errno: error, operation: "create a temporary file next to")
            }
        }
        // Journal the name first, then create it.
        try reserve(&replacement, names: &names, record: &record, copy: nil)
        do {
            return (try replacement.makeEmptyFile(), false)
        } catch {
            record.settle(.failed)
            throw DupelinkError(.ioError, path: path, errno: error.errno, operation: "create a temporary file next to")
        }
    }

    /// Gives the copy its flags, the bytes of `source`, its extended attributes, then the owner,
    /// mode and time to restore, and last its capability (which `chown` would clear), and writes
    /// it out.
    private func fill(
        _ copy: FileDescriptor, from source: FileDescriptor, restore: FileStatus, attributes: FileAttributes
    ) throws(Errno) {
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
    }

    /// Reserves the replacement's next temporary name, journaled with `copy`.
    private func reserve(
        _ replacement: inout NameReplacement, names: inout TemporaryNames, record: inout SeparationRecord,
        copy: FileStatus?
    ) throws(DupelinkError) {
        do {
            try replacement.reserve(&names) { (temporary: [CChar]) throws(DupelinkError) -> Void in
                try record.record(copy: copy, temporary: temporary)
            }
        } catch {
            throw error.journalFailure ?? DupelinkError(.catalog)
        }
    }

    /// Links `earlier`'s copy to the replacement's temporary name, journaled first; nil when
    /// that copy is gone or changed, or cannot be linked here (then the caller copies).
    private func linkEarlierCopy(
        _ earlier: RestoredCopy, into replacement: inout NameReplacement, restore: FileStatus, size: Int64,
        names: inout TemporaryNames, record: inout SeparationRecord
    ) throws(DupelinkError) -> FileStatus? {
        guard
            let handle = try? JournalDirectory.open(
                containing: earlier.path, rootLength: earlier.rootLength, workingDirectory: earlier.workingDirectory,
                expected: earlier.directory)
        else { return nil }
        let name = JournalPaths.split(earlier.path).name.cString
        guard let found = try? Syscalls.status(of: name, in: handle.descriptor), found.kind == .regular,
            found.id == earlier.status.id, found.size == size, found.modificationTime == restore.modificationTime,
            found.userID == restore.userID, found.groupID == restore.groupID, found.permissions == restore.permissions
        else { return nil }
        do throws(NameReplacement.Failure) {
            try replacement.prepare(from: .name(name, in: handle.descriptor), names: &names, attempts: 100) {
                (temporary: [CChar]) throws(DupelinkError) -> Void in
                try record.record(copy: found, temporary: temporary)
            }
        } catch .journal(let error) {
            throw error
        } catch {
            record.settle(.failed)
            return nil
        }
        // The name linked from may have been swapped under us: then use nothing made here.
        guard let linked = replacement.temporaryStatus(), linked.id == found.id else {
            if let linked = replacement.temporaryStatus(), linked.linkCount > 1 { replacement.discard() }
            record.settle(.failed)
            return nil
        }
        return found
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

extension NameReplacement.Failure {
    /// The journal's error, when that is what failed.
    var journalFailure: DupelinkError? {
        if case .journal(let error) = self { return error }
        return nil
    }

    /// The system call's error (`EIO` for a failure that was not a system call's).
    var errno: Errno {
        if case .system(let error, _) = self { return error }
        return .ioError
    }
}
