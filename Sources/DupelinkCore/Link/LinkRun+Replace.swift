import SystemPackage

/// One replacement of `LinkRun`: the checks on both names and open files, then the keeper put in
/// the duplicate's place through the name-replacement protocol (`NameReplacement`), or, for
/// `dedupe`, the duplicate's extents shared (see `LinkRun+SharedExtents.swift`).
extension LinkRun {
    /// One replacement's two names, as the scan and the run's snapshots know them, with their
    /// directories open.
    struct Pair {
        var classIndex: Int
        /// The keeper's and the duplicate's names in the scan.
        var keeper: Int32
        var duplicate: Int32
        var keeperID: MemberID
        var duplicateID: MemberID
        var keeperSnapshot: FileStatus
        var duplicateSnapshot: FileStatus
        /// Their last components, NUL-terminated.
        var keeperName: [CChar]
        var duplicateName: [CChar]
        /// The keeper's directory and the duplicate's, open (owned by the directory cache).
        var source: FileDescriptor
        var target: FileDescriptor
        /// The duplicate's directory in the scan.
        var directory: Int32
    }

    /// Replaces the name `duplicate` with a hard link to the keeper (`dedupe`: makes it share the
    /// keeper's extents); returns the bytes freed.
    func replace(
        _ duplicate: Int32, member: Int, with keeper: Keeper, classIndex: Int, planned: Freed, plannedAsShared: Bool
    ) throws(LinkFailure) -> Freed {
        let pair = try openPair(duplicate, member: member, with: keeper, classIndex: classIndex)
        try verify(pair.keeperName, in: pair.source, against: pair.keeperSnapshot, file: keeper.file, keeperOf: duplicate)
        try verify(pair.duplicateName, in: pair.target, against: pair.duplicateSnapshot, file: duplicate, keeperOf: nil)
        try checkNotPlanted(pair.keeperID, duplicate: duplicate, isKeeper: true)
        try checkNotPlanted(pair.duplicateID, duplicate: duplicate, isKeeper: false)
        if dryRun {
            try checkOneMount(pair)
            return planned
        }

        // Hold the duplicate open: its descriptor sees a write made in the window before the swap,
        // and its link count says whether the last name went.
        let reader = try open(pair.duplicateName, in: pair.target, file: duplicate)
        defer { Syscalls.closeQuietly(reader) }
        guard let opened = try? Syscalls.status(of: reader), opened.kind == .regular,
            opened.isUnchanged(comparedTo: pair.duplicateSnapshot)
        else { throw .skipped(DupelinkError(.fileChanged, path: path(of: duplicate))) }
        // A program holding either file open for writing would go on writing after the swap: to
        // an inode with no name left (the duplicate), or under every name (the keeper). Leave
        // them; a read lease is granted only while nobody has the file open for writing, and
        // while it is held (until these descriptors close) an open for writing waits.
        // Shared extents leave each file its inode: a writer keeps writing to its own file (the
        // kernel copies on write), so no lease is needed to hold writers off.
        let duplicateLeased = sharesExtents ? false : try holdReadLease(on: reader, file: duplicate)
        let keeperReader = try open(pair.keeperName, in: pair.source, file: keeper.file)
        defer { Syscalls.closeQuietly(keeperReader) }
        guard (try? Syscalls.status(of: keeperReader))?.id == pair.keeperSnapshot.id else {
            throw .skipped(keeperChanged(keeper.file, duplicate: duplicate))
        }
        let keeperLeased = sharesExtents ? false : try holdReadLease(on: keeperReader, file: keeper.file)
        // Every name of the inode will carry the keeper's attributes and flags: compare them now,
        // on the descriptors whose identity was checked, whatever the plan was made from.
        let duplicateAttributes = try attributes(of: reader, file: duplicate)
        let keeperAttributes = try attributes(of: keeperReader, file: keeper.file)
        try checkUnchanged(keeperAttributes, of: pair.keeperID, file: keeper.file, duplicate: duplicate)
        try checkUnchanged(duplicateAttributes, of: pair.duplicateID, file: duplicate, duplicate: duplicate)
        if sharesExtents {
            return try share(pair, keeperReader: keeperReader, reader: reader, plannedAsShared: plannedAsShared)
        }
        try checkEligibility(
            keeper: pair.keeperSnapshot, keeperAttributes: keeperAttributes,
            duplicate: pair.duplicateSnapshot, duplicateAttributes: duplicateAttributes, file: duplicate)
        // The fingerprints matched, but a write through a mapping leaves them alone: the bytes
        // decide, now, while the leases keep writers out.
        try compareContent(keeperReader, keeper: keeper.file, with: reader, duplicate: duplicate)

        journal?.prepare(
            path: path(of: duplicate), rootLength: rootLength(of: pair.directory),
            directory: scan.table.directories[Int(pair.directory)].id, keeperPath: path(of: keeper.file),
            duplicate: pair.duplicateSnapshot, keeper: pair.keeperSnapshot, duplicateAttributes: duplicateAttributes)
        let freed = try link(pair, reader: reader)
        if !(duplicateLeased && keeperLeased) { outcome.replacementsWithoutLease += 1 }
        return freed
    }

    /// The pair's names and snapshots, with both directories opened and checked.
    private func openPair(_ duplicate: Int32, member: Int, with keeper: Keeper, classIndex: Int) throws(LinkFailure) -> Pair {
        let keeperID = MemberID(classIndex: classIndex, member: keeper.member)
        let duplicateID = MemberID(classIndex: classIndex, member: member)
        let keeperRecord = scan.files[Int(keeper.file)]
        let duplicateRecord = scan.files[Int(duplicate)]
        let keeperDirectory = try openDirectory(keeperRecord.directory)
        let duplicateDirectory = try openDirectory(duplicateRecord.directory)
        // The planner refuses what the walk saw on overlayfs; a saved scan or report may not know.
        if keeperDirectory.isOverlay || duplicateDirectory.isOverlay {
            throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: LinkRefusal.Reason.overlayfs.message))
        }
        return Pair(
            classIndex: classIndex, keeper: keeper.file, duplicate: duplicate, keeperID: keeperID, duplicateID: duplicateID,
            keeperSnapshot: snapshot(keeperID), duplicateSnapshot: snapshot(duplicateID),
            keeperName: cName(of: keeperRecord), duplicateName: cName(of: duplicateRecord),
            source: keeperDirectory.descriptor, target: duplicateDirectory.descriptor, directory: duplicateRecord.directory)
    }

    /// For a dry run: refuses what `linkat` would refuse with `EXDEV`, one filesystem reached
    /// through two mounts.
    private func checkOneMount(_ pair: Pair) throws(LinkFailure) {
        if let keeperMount = try? Syscalls.mountID(of: pair.keeperName, in: pair.source),
            let duplicateMount = try? Syscalls.mountID(of: pair.duplicateName, in: pair.target), keeperMount != duplicateMount
        {
            throw .skipped(DupelinkError(.refused, path: path(of: pair.duplicate), detail: LinkRefusal.Reason.otherMount.message))
        }
    }

    /// Opens `name` (of `file`) for reading, without following a symbolic link.
    private func open(_ name: [CChar], in directory: FileDescriptor, file: Int32) throws(LinkFailure) -> FileDescriptor {
        do {
            return try Syscalls.openForReading(name, in: directory)
        } catch {
            throw changedOrFailed(error, file: file, operation: "open")
        }
    }

    /// `dedupe`: shares the duplicate's extents with the keeper's, both open and checked.
    private func share(
        _ pair: Pair, keeperReader: FileDescriptor, reader: FileDescriptor, plannedAsShared: Bool
    ) throws(LinkFailure) -> Freed {
        // Nothing is renamed and no attribute is shared, so eligibility is moot; the kernel
        // compares the bytes itself, under its locks, as it shares them.
        // Only where the scan found every block already shared are the maps read again, to
        // be sure before skipping: a pair it found apart is shared (a call on a pair shared
        // since is harmless), and the other pairs pay no FIEMAP.
        // One filesystem, however many btrfs subvolumes (devices) it holds.
        let domain = scan.table.extentDomain(ofFile: scan.files[Int(pair.duplicate)], device: pair.duplicateSnapshot.id.device)
        if plannedAsShared && sharesEveryExtent(keeperReader, with: reader, device: domain) {
            throw .alreadyShared
        }
        beforeSwap?(path(of: pair.duplicate))
        let shared = try shareExtents(
            keeperReader, keeper: pair.keeper, with: reader, duplicate: pair.duplicate, device: domain,
            size: pair.duplicateSnapshot.size)
        return Freed(allocated: shared, apparent: shared)
    }

    /// Puts a hard link to the keeper in place of the duplicate's name (open as `reader`), all
    /// checks passed: prepare, swap, verify, then commit or roll back. Returns the bytes freed.
    private func link(_ pair: Pair, reader: FileDescriptor) throws(LinkFailure) -> Freed {
        var replacement = NameReplacement(pair.duplicateName, in: pair.target, usesExchange: usesExchange)
        try prepareKeeperName(&replacement, pair)
        // From here on the keeper's change time and link count move with each step.
        defer {
            carryForward(pair.keeperID, observed: try? Syscalls.status(of: pair.keeperName, in: pair.source))
            carryForward(pair.duplicateID, observed: try? Syscalls.status(of: reader))
        }
        // The temporary name must be the keeper, unchanged (a name can be swapped under linkat).
        guard let linked = replacement.temporaryStatus(), linked.id == pair.keeperSnapshot.id,
            linked.size == pair.keeperSnapshot.size, linked.modificationTime == pair.keeperSnapshot.modificationTime
        else {
            report(replacement.discard(), removing: replacement.temporary, in: pair.directory)
            throw .skipped(keeperChanged(pair.keeper, duplicate: pair.duplicate))
        }
        beforeSwap?(path(of: pair.duplicate))
        let displaced = try swapKeeperIn(&replacement, pair)
        let nameIsKeeper = try verifySwap(&replacement, displaced, pair, reader: reader)

        let final = try? Syscalls.status(of: reader)
        if final?.size != pair.duplicateSnapshot.size || final?.modificationTime != pair.duplicateSnapshot.modificationTime {
            // Written in the instant between the last check and the removal: the bytes went to
            // the replaced inode. Nothing can be put back, but the user must know.
            outcome.skipped.append(
                Diagnostic(.link, DupelinkError(.fileChanged, path: path(of: pair.duplicate),
                    detail: "written to as it was replaced; the write went to the replaced copy")))
        }
        guard nameIsKeeper else {
            throw .skipped(
                DupelinkError(.fileChanged, path: path(of: pair.duplicate), detail: "replaced by another program while it was being linked"))
        }
        // By blocks, as `df` counts: the replaced inode's are freed when this descriptor closes.
        guard let final, final.linkCount == 0 else { return Freed(allocated: 0, apparent: 0) }
        return Freed(allocated: final.allocatedBytes, apparent: scan.classes[pair.classIndex].size)
    }

    /// Prepare: links the keeper to a journaled temporary name next to the duplicate.
    private func prepareKeeperName(_ replacement: inout NameReplacement, _ pair: Pair) throws(LinkFailure) {
        do {
            try replacement.prepare(
                from: .name(pair.keeperName, in: pair.source), names: &temporaryNames, attempts: 1000,
                journal: journalName(as: .temporary))
        } catch {
            switch error {
            case .journal(let failure):
                throw .skipped(failure)
            case .system(.improperLink, _):
                // EXDEV between two names of one device: two mounts of it (a bind mount).
                let reason: LinkRefusal.Reason =
                    pair.keeperSnapshot.id.device == pair.duplicateSnapshot.id.device ? .otherMount : .differentFilesystem
                throw .skipped(DupelinkError(.refused, path: path(of: pair.duplicate), detail: reason.message))
            case .system(.tooManyLinks, _):
                throw .tooManyLinks
            case .system(let error, _):
                throw .skipped(
                    DupelinkError(.ioError, path: path(of: pair.duplicate), errno: error, operation: "link the kept copy next to"))
            case .nameChanged:
                throw .skipped(DupelinkError(.fileChanged, path: path(of: pair.duplicate)))
            }
        }
    }

    /// Swap: puts the keeper's temporary name in place of the duplicate's name; without an
    /// exchange, the duplicate keeps a backup name until the swap is verified.
    private func swapKeeperIn(_ replacement: inout NameReplacement, _ pair: Pair) throws(LinkFailure) -> NameReplacement.Displaced {
        do {
            return try replacement.swap(
                expected: pair.duplicateSnapshot.id, names: &temporaryNames, backupJournal: journalName(as: .backup))
        } catch {
            report(replacement.discard(), removing: replacement.temporary, in: pair.directory)
            switch error {
            case .system(let error, .backupName):
                throw .skipped(DupelinkError(.ioError, path: path(of: pair.duplicate), errno: error, operation: "link to a temporary name"))
            case .system(let error, _):
                throw .skipped(DupelinkError(.ioError, path: path(of: pair.duplicate), errno: error, operation: "replace"))
            case .journal(let failure):
                throw .skipped(failure)
            case .nameChanged:
                throw .skipped(DupelinkError(.fileChanged, path: path(of: pair.duplicate)))
            }
        }
    }

    /// Verify, then commit or roll back: the displaced name must hold the inode that was
    /// compared, nobody may have written to it since it was checked, and the duplicate's name
    /// must now show the keeper's unchanged bytes; otherwise the duplicate is put back. Returns
    /// whether the name holds the keeper (a name another program renamed over ours after the
    /// swap is theirs, and is left).
    private func verifySwap(
        _ replacement: inout NameReplacement, _ displaced: NameReplacement.Displaced, _ pair: Pair, reader: FileDescriptor
    ) throws(LinkFailure) -> Bool {
        // The link's swap always keeps the duplicate under a name (exchanged or backup).
        let displacedName = displaced.name ?? []
        let displacedStatus = try? Syscalls.status(of: displacedName, in: pair.target)
        let readerStatus = try? Syscalls.status(of: reader)
        let current = replacement.nameStatus()
        let displacedIsDuplicate =
            displacedStatus?.id == pair.duplicateSnapshot.id && readerStatus?.size == pair.duplicateSnapshot.size
            && readerStatus?.modificationTime == pair.duplicateSnapshot.modificationTime
        let nameIsKeeper = current?.id == pair.keeperSnapshot.id
        let keeperIsUnchanged =
            current?.size == pair.keeperSnapshot.size && current?.modificationTime == pair.keeperSnapshot.modificationTime
        guard displacedIsDuplicate && (keeperIsUnchanged || !nameIsKeeper) else {
            let restored = replacement.rollBack(displaced, newInode: pair.keeperSnapshot.id)
            let changed = displacedIsDuplicate ? "the copy kept changed" : "changed"
            throw .skipped(
                DupelinkError(
                    .fileChanged, path: path(of: pair.duplicate),
                    detail: restored
                        ? "\(changed) while it was being replaced; put back as it was"
                        : "\(changed) while it was being replaced; its previous content is at \(displayPath(displacedName, in: pair.directory))"))
        }
        do {
            try replacement.commit(displaced)
        } catch {
            report(error, removing: displacedName, in: pair.directory)
        }
        return nameIsKeeper
    }

    /// The journal hook of a temporary name of `role`: commits the name before it is made.
    private func journalName(as role: LinkJournal.NameRole) -> ([CChar]) throws(DupelinkError) -> Void {
        { [journal] (name: [CChar]) throws(DupelinkError) -> Void in
            guard let journal else { return }
            guard journal.record(name, as: role) else { throw journal.takeFailure() ?? DupelinkError(.catalog) }
        }
    }

    /// Reports a temporary name the linker made and could not remove (`error`), since it is left.
    private func report(_ error: Errno?, removing name: [CChar], in directory: Int32) {
        guard let error else { return }
        outcome.skipped.append(
            Diagnostic(.link, DupelinkError(.ioError, path: temporaryPath(name, in: directory), errno: error,
                operation: "remove the temporary name")))
    }
}
