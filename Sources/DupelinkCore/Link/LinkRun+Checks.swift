import SystemPackage

/// The checks `LinkRun` makes on each pair right before it replaces a name: the names still as the
/// scan saw them, no planted link, the bytes equal now, attributes and eligibility, leases.
extension LinkRun {
    /// Compares the two open files byte for byte, counting the bytes and time, and refuses the
    /// replacement when they differ or cannot be read.
    func compareContent(
        _ keeperReader: FileDescriptor, keeper: Int32, with reader: FileDescriptor, duplicate: Int32
    ) throws(LinkFailure) {
        let result: FinalComparison.Result
        do {
            result = try comparison.compare(keeper: keeperReader, duplicate: reader)
        } catch {
            switch error {
            case .keeper(let error):
                throw .skipped(DupelinkError(.ioError, path: path(of: keeper), errno: error, operation: "read the copy to keep"))
            case .duplicate(let error):
                throw .skipped(DupelinkError(.ioError, path: path(of: duplicate), errno: error, operation: "read"))
            }
        }
        outcome.bytesCompared += result.bytesCompared
        outcome.secondsComparing += result.seconds
        guard result.isIdentical else {
            throw .skipped(
                DupelinkError(.fileChanged, path: path(of: duplicate),
                    detail: "content differs from the kept copy \(PathText.display(path(of: keeper))) now; not linked"))
        }
    }

    /// Takes a read lease on `descriptor` (of `file`) and returns true, or refuses the replacement
    /// when a program has the file open for writing. Where leases are not granted (a user who
    /// does not own the file, a filesystem without them) it returns false: the byte comparison
    /// and the checks after the swap are all there is.
    func holdReadLease(on descriptor: FileDescriptor, file: Int32) throws(LinkFailure) -> Bool {
        guard usesLeases else { return false }
        do {
            try Syscalls.takeReadLease(descriptor)
            return true
        } catch .resourceTemporarilyUnavailable {
            throw .skipped(
                DupelinkError(.openForWriting, path: path(of: file), detail: "open for writing by another program; left as it is"))
        } catch {
            // No lease here: go on.
            return false
        }
    }

    /// The attributes and flags of an open file, or the refusal to link it.
    func attributes(of descriptor: FileDescriptor, file: Int32) throws(LinkFailure) -> FileAttributes {
        do {
            return try FileAttributes.read(from: descriptor)
        } catch {
            throw .skipped(
                DupelinkError(.refused, path: path(of: file),
                    detail: "\(LinkRefusal.Reason.attributesUnreadable.message) (\(error))"))
        }
    }

    /// Refuses the replacement when a file's attributes are not those the scan read or the report
    /// gave (a change the fingerprint did not show, or a report edited by hand).
    func checkUnchanged(
        _ current: FileAttributes, of id: MemberID, file: Int32, duplicate: Int32
    ) throws(LinkFailure) {
        let unchanged: Bool
        switch scan.classes[id.classIndex].members[id.member].attributes {
        case .read(let known): unchanged = known == current
        case .digest(let digest): unchanged = current.digest == digest
        case .unknown, .unreadable: unchanged = true
        }
        guard !unchanged else { return }
        let whose = file == duplicate ? "" : "the copy that would be kept, \(PathText.display(path(of: file))): "
        throw .skipped(
            DupelinkError(
                .fileChanged, path: path(of: duplicate),
                detail: "\(whose)its extended attributes or flags are not those of the scan or report; skipped"))
    }

    /// Refuses the replacement when the two files may not share one inode (see `Eligibility`).
    func checkEligibility(
        keeper: FileStatus, keeperAttributes: FileAttributes, duplicate: FileStatus,
        duplicateAttributes: FileAttributes, file: Int32
    ) throws(LinkFailure) {
        guard let (reason, detail) = Eligibility.linkTimeViolation(
            keeper: keeper, keeperAttributes: keeperAttributes, duplicate: duplicate,
            duplicateAttributes: duplicateAttributes, ignoreUserAttributes: ignoresUserAttributes)
        else { return }
        let message = detail.map { "\(reason.message) (\($0))" } ?? reason.message
        throw .skipped(DupelinkError(.refused, path: path(of: file), detail: message))
    }

    /// Checks that `name` is still the regular file the snapshot describes.
    func verify(
        _ name: [CChar], in directory: FileDescriptor, against snapshot: FileStatus, file: Int32, keeperOf duplicate: Int32?
    ) throws(LinkFailure) {
        let current: FileStatus
        do {
            current = try Syscalls.status(of: name, in: directory)
        } catch {
            if let duplicate, error == .noSuchFileOrDirectory { throw .skipped(keeperChanged(file, duplicate: duplicate)) }
            throw changedOrFailed(error, file: file, operation: "stat")
        }
        guard current.kind == .regular, current.isUnchanged(comparedTo: snapshot) else {
            if let duplicate { throw .skipped(keeperChanged(file, duplicate: duplicate)) }
            throw .skipped(DupelinkError(.fileChanged, path: path(of: file)))
        }
    }

    func keeperChanged(_ keeper: Int32, duplicate: Int32) -> DupelinkError {
        DupelinkError(
            .fileChanged, path: path(of: keeper),
            detail: "the copy to keep; \(PathText.display(path(of: duplicate))) was left as it was")
    }

    /// A missing name or one that became a symbolic link means the file changed; anything else is
    /// a failed system call.
    func changedOrFailed(_ error: Errno, file: Int32, operation: String) -> LinkFailure {
        if error == .noSuchFileOrDirectory || error == .tooManySymbolicLinkLevels {
            return .skipped(DupelinkError(.fileChanged, path: path(of: file)))
        }
        return .skipped(DupelinkError(.ioError, path: path(of: file), errno: error, operation: operation))
    }

    func openDirectory(_ index: Int32) throws(LinkFailure) -> LinkOpenDirectory {
        do {
            return try directories.open(index, in: scan.table)
        } catch {
            throw .skipped(error)
        }
    }

    /// Refuses the replacement when the inode of `id` has names outside the roots and one of its
    /// names inside lies in a directory another user can write (owned by someone else than this
    /// process's user and root, or writable by group or others): another user may have planted
    /// that name as a hard link to a file outside (`/etc/shadow`, where `protected_hardlinks` is
    /// off), and linking would give that file a name in the backup or change its link count.
    func checkNotPlanted(_ id: MemberID, duplicate: Int32, isKeeper: Bool) throws(LinkFailure) {
        let member = scan.classes[id.classIndex].members[id.member]
        guard member.status.linkCount > UInt64(member.names.count) else { return }
        if exposedNames[id] == nil {
            var found: [UInt8]? = nil
            let me = Syscalls.effectiveUserID
            var seen = Set<Int32>()
            for name in member.names where found == nil {
                let directory = scan.files[Int(name)].directory
                guard seen.insert(directory).inserted else { continue }
                guard let status = directoryStatus(directory) else {
                    found = path(of: name)
                    continue
                }
                if (status.userID != me && status.userID != 0) || status.permissions & 0o022 != 0 {
                    found = path(of: name)
                }
            }
            exposedNames[id] = .some(found)
        }
        guard case .some(.some(let exposed)) = exposedNames[id] else { return }
        let role = isKeeper ? "the copy that would be kept" : "it"
        throw .skipped(
            DupelinkError(
                .refused, path: path(of: duplicate),
                detail: "not linked: \(role) has names outside the scanned directories, and its name \(PathText.display(exposed)) lies in a directory other users can write (a planted hard link?)"))
    }

    /// The status of directory `index`, opened on its own (not through the cache, whose few
    /// directories are the ones in use), or nil when it cannot be opened as the walk saw it.
    func directoryStatus(_ index: Int32) -> FileStatus? {
        do {
            let handle = try DirectoryHandle.open(directory: index, in: scan.table)
            return try? Syscalls.status(of: handle.descriptor)
        } catch {
            return nil
        }
    }
}
