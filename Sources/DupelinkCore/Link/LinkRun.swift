import Glibc
import SystemPackage

/// Why one action was not carried out.
enum LinkFailure: Error {
    /// Skipped, with the reason to report.
    case skipped(DupelinkError)
    /// The keeper has as many links as its filesystem allows (`EMLINK`); nothing was changed.
    case tooManyLinks
    /// For `dedupe`: the duplicate already shares every extent with the keeper; nothing to do.
    case alreadyShared
}

/// The state of one `Linker.execute` call: open directories, keepers, and the snapshots carried
/// forward as the linker's own links change link counts and change times.
final class LinkRun {
    private struct MemberID: Hashable {
        var classIndex: Int
        var member: Int
    }

    private struct Keeper {
        /// The name that is linked.
        var file: Int32
        /// The inode's index in the class's members.
        var member: Int
    }

    /// The scan the plan was made from.
    let scan: ScanResult
    /// Whether to change nothing and only report.
    let dryRun: Bool
    /// Whether to swap names with `RENAME_EXCHANGE` (see `Linker.usesExchange`).
    let usesExchange: Bool
    /// Whether to take read leases on the files of each replacement (see `Linker.usesLeases`).
    let usesLeases: Bool
    /// Called with the duplicate's path after every check and right before its name is swapped.
    let beforeSwap: (@Sendable ([UInt8]) -> Void)?
    /// What happened so far.
    var outcome: LinkOutcome
    /// Where each replacement is recorded before it is made, or nil without a catalog.
    let journal: LinkJournal?
    /// Whether `user.*` attributes may differ between keeper and duplicate.
    let ignoresUserAttributes: Bool
    /// Whether duplicates share the keeper's extents (`dedupe`) instead of becoming its names.
    let sharesExtents: Bool
    /// For `dedupe`: per filesystem, a descriptor on it and its free bytes before the first
    /// change (see `LinkRun+SharedExtents.swift`).
    var freeSpaceProbes: [UInt64: (descriptor: FileDescriptor, file: Int32, availableBefore: Int64)] = [:]
    /// For `dedupe`: filesystems found unable to share extents; their files are not tried again.
    var devicesWithoutDedupe: Set<UInt64> = []
    /// For `dedupe`: per filesystem, whether its extent maps can show shared blocks (its `statfs`
    /// type is btrfs, XFS or bcachefs), learnt on its first file.
    var devicesMappingExtents: [UInt64: Bool] = [:]
    /// The directories opened and checked last: up to 64, within what the descriptor limit
    /// leaves (a directory found here costs no reopening of its chain, component by component).
    private let directories = LinkDirectoryCache(
        capacity: min(64, DescriptorBudget(spare: Syscalls.spareDescriptors()).spare / 2))
    /// The current keeper of each partition, keyed by the planned keeper; differs from the plan
    /// after an `EMLINK` rotation.
    private var keepers: [MemberID: Keeper] = [:]
    /// Snapshots carried forward past the linker's own changes.
    private var snapshots: [MemberID: FileStatus] = [:]
    /// The temporary names made next to duplicates.
    private var temporaryNames = TemporaryNames()
    /// Made on the first comparison: a dry run reads nothing.
    private lazy var comparison = FinalComparison()
    /// For each member looked at: the name of it that lies in a directory another user can write
    /// when the inode also has names outside the roots (see `checkNotPlanted`), or nil.
    private var exposedNames: [MemberID: [UInt8]?] = [:]

    /// Starts a run; nothing is opened yet.
    init(
        scan: ScanResult, dryRun: Bool, usesExchange: Bool, usesLeases: Bool = true, beforeSwap: (@Sendable ([UInt8]) -> Void)?,
        journal: LinkJournal? = nil, ignoresUserAttributes: Bool = false, sharesExtents: Bool = false
    ) {
        self.sharesExtents = sharesExtents
        self.scan = scan
        self.journal = journal
        self.ignoresUserAttributes = ignoresUserAttributes
        self.dryRun = dryRun
        self.usesExchange = usesExchange
        self.usesLeases = usesLeases
        self.beforeSwap = beforeSwap
        outcome = LinkOutcome(isDryRun: dryRun)
        outcome.sharesExtents = sharesExtents
    }

    /// Carries out one action and records what happened.
    func perform(_ action: LinkAction) {
        guard fits(action) else {
            let path = action.duplicate >= 0 && Int(action.duplicate) < scan.files.count ? scan.path(ofFile: action.duplicate) : []
            outcome.skipped.append(
                Diagnostic(.link, DupelinkError(.planMismatch, path: path, detail: "the link plan was not made from this scan")))
            return
        }
        let partition = MemberID(classIndex: action.classIndex, member: action.keeperMember)
        let keeper = keepers[partition] ?? Keeper(file: action.keeper, member: action.keeperMember)
        // After a rotation this inode is the keeper: its names stay as they are.
        if keeper.member == action.duplicateMember { return }
        // What the scan found already shared needs no call; a real run asks FIEMAP again.
        let plannedAsShared = action.alreadySharedBytes > 0 && action.bytesFreed == 0
        if sharesExtents && dryRun && plannedAsShared {
            outcome.alreadySharing.append(
                LinkOutcome.Replacement(classIndex: action.classIndex, keeper: keeper.file, duplicate: action.duplicate, bytesFreed: 0))
            return
        }
        do {
            var freed = try replace(
                action.duplicate, member: action.duplicateMember, with: keeper, classIndex: action.classIndex,
                planned: Freed(allocated: action.bytesFreed, apparent: action.apparentBytesFreed),
                plannedAsShared: plannedAsShared)
            // A linked inode's blocks that its class still uses (shared extents) were not freed.
            if !sharesExtents && !dryRun && freed.allocated > 0 {
                freed.allocated = max(0, freed.allocated - action.alreadySharedBytes)
                freed.apparent = max(0, freed.apparent - action.alreadySharedBytes)
            }
            outcome.replacements.append(
                LinkOutcome.Replacement(
                    classIndex: action.classIndex, keeper: keeper.file, duplicate: action.duplicate,
                    bytesFreed: freed.allocated, apparentBytesFreed: freed.apparent))
            journal?.settle(succeeded: true, bytesFreed: freed.allocated)
        } catch {
            journal?.settle(succeeded: false, bytesFreed: 0)
            switch error {
            case .tooManyLinks:
                // The duplicate is untouched and identical: it becomes the keeper for the rest.
                keepers[partition] = Keeper(file: action.duplicate, member: action.duplicateMember)
                outcome.rotations.append(
                    LinkOutcome.Rotation(classIndex: action.classIndex, previousKeeper: keeper.file, newKeeper: action.duplicate))
            case .skipped(let reason):
                outcome.skipped.append(Diagnostic(.link, reason))
            case .alreadyShared:
                outcome.alreadySharing.append(
                    LinkOutcome.Replacement(
                        classIndex: action.classIndex, keeper: keeper.file, duplicate: action.duplicate, bytesFreed: 0))
            }
        }
    }

    /// Whether the action's indices point into the scan consistently.
    private func fits(_ action: LinkAction) -> Bool {
        guard scan.classes.indices.contains(action.classIndex) else { return false }
        let members = scan.classes[action.classIndex].members
        guard members.indices.contains(action.keeperMember), members.indices.contains(action.duplicateMember),
            action.keeperMember != action.duplicateMember
        else { return false }
        return members[action.keeperMember].names.first == action.keeper
            && members[action.duplicateMember].names.contains(action.duplicate)
            && scan.files.indices.contains(Int(action.keeper)) && scan.files.indices.contains(Int(action.duplicate))
    }

    private func snapshot(_ id: MemberID) -> FileStatus {
        snapshots[id] ?? scan.classes[id.classIndex].members[id.member].status
    }

    /// Accepts a new snapshot of an inode the linker itself linked or unlinked: its change time and
    /// link count moved, but it is the same inode with the same size and content time.
    private func carryForward(_ id: MemberID, observed: FileStatus?) {
        let old = snapshot(id)
        guard let observed, observed.kind == .regular, observed.id == old.id, observed.size == old.size,
            observed.modificationTime == old.modificationTime
        else { return }
        snapshots[id] = observed
    }

    /// What one replacement freed: the replaced inode's blocks and its apparent size, or nothing.
    struct Freed {
        var allocated: Int64
        var apparent: Int64
    }

    /// Replaces the name `duplicate` with a hard link to the keeper; returns the bytes freed.
    private func replace(
        _ duplicate: Int32, member: Int, with keeper: Keeper, classIndex: Int, planned: Freed, plannedAsShared: Bool
    ) throws(LinkFailure) -> Freed {
        let keeperID = MemberID(classIndex: classIndex, member: keeper.member)
        let duplicateID = MemberID(classIndex: classIndex, member: member)
        let keeperSnapshot = snapshot(keeperID)
        let duplicateSnapshot = snapshot(duplicateID)
        let keeperRecord = scan.files[Int(keeper.file)]
        let duplicateRecord = scan.files[Int(duplicate)]
        let keeperName = cName(of: keeperRecord)
        let duplicateName = cName(of: duplicateRecord)

        let keeperDirectory = try openDirectory(keeperRecord.directory)
        let duplicateDirectory = try openDirectory(duplicateRecord.directory)
        let source = keeperDirectory.descriptor
        let target = duplicateDirectory.descriptor
        // The planner refuses what the walk saw on overlayfs; a saved scan or report may not know.
        if keeperDirectory.isOverlay || duplicateDirectory.isOverlay {
            throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: LinkRefusal.Reason.overlayfs.message))
        }

        try verify(keeperName, in: source, against: keeperSnapshot, file: keeper.file, keeperOf: duplicate)
        try verify(duplicateName, in: target, against: duplicateSnapshot, file: duplicate, keeperOf: nil)
        try checkNotPlanted(keeperID, duplicate: duplicate, isKeeper: true)
        try checkNotPlanted(duplicateID, duplicate: duplicate, isKeeper: false)
        if dryRun {
            // What linkat would refuse with EXDEV: one filesystem reached through two mounts.
            if let keeperMount = try? Syscalls.mountID(of: keeperName, in: source),
                let duplicateMount = try? Syscalls.mountID(of: duplicateName, in: target), keeperMount != duplicateMount
            {
                throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: LinkRefusal.Reason.otherMount.message))
            }
            return planned
        }

        // Hold the duplicate open: its descriptor sees a write made in the window before the swap,
        // and its link count says whether the last name went.
        let reader: FileDescriptor
        do {
            reader = try Syscalls.openForReading(duplicateName, in: target)
        } catch {
            throw changedOrFailed(error, file: duplicate, operation: "open")
        }
        defer { Syscalls.closeQuietly(reader) }
        guard let opened = try? Syscalls.status(of: reader), opened.kind == .regular,
            opened.isUnchanged(comparedTo: duplicateSnapshot)
        else { throw .skipped(DupelinkError(.fileChanged, path: path(of: duplicate))) }
        // A program holding either file open for writing would go on writing after the swap: to
        // an inode with no name left (the duplicate), or under every name (the keeper). Leave
        // them; a read lease is granted only while nobody has the file open for writing, and
        // while it is held (until these descriptors close) an open for writing waits.
        // Shared extents leave each file its inode: a writer keeps writing to its own file (the
        // kernel copies on write), so no lease is needed to hold writers off.
        let duplicateLeased = sharesExtents ? false : try holdReadLease(on: reader, file: duplicate)
        let keeperReader: FileDescriptor
        do {
            keeperReader = try Syscalls.openForReading(keeperName, in: source)
        } catch {
            throw changedOrFailed(error, file: keeper.file, operation: "open")
        }
        defer { Syscalls.closeQuietly(keeperReader) }
        guard (try? Syscalls.status(of: keeperReader))?.id == keeperSnapshot.id else {
            throw .skipped(keeperChanged(keeper.file, duplicate: duplicate))
        }
        let keeperLeased = sharesExtents ? false : try holdReadLease(on: keeperReader, file: keeper.file)
        // Every name of the inode will carry the keeper's attributes and flags: compare them now,
        // on the descriptors whose identity was checked, whatever the plan was made from.
        let duplicateAttributes = try attributes(of: reader, file: duplicate)
        let keeperAttributes = try attributes(of: keeperReader, file: keeper.file)
        try checkUnchanged(keeperAttributes, of: keeperID, file: keeper.file, duplicate: duplicate)
        try checkUnchanged(duplicateAttributes, of: duplicateID, file: duplicate, duplicate: duplicate)
        if sharesExtents {
            // Nothing is renamed and no attribute is shared, so eligibility is moot; the kernel
            // compares the bytes itself, under its locks, as it shares them.
            // Only where the scan found every block already shared are the maps read again, to
            // be sure before skipping: a pair it found apart is shared (a call on a pair shared
            // since is harmless), and the other pairs pay no FIEMAP.
            // One filesystem, however many btrfs subvolumes (devices) it holds.
            let domain = scan.table.extentDomain(ofFile: scan.files[Int(duplicate)], device: duplicateSnapshot.id.device)
            if plannedAsShared && sharesEveryExtent(keeperReader, with: reader, device: domain) {
                throw .alreadyShared
            }
            beforeSwap?(path(of: duplicate))
            let shared = try shareExtents(
                keeperReader, keeper: keeper.file, with: reader, duplicate: duplicate, device: domain,
                size: duplicateSnapshot.size)
            return Freed(allocated: shared, apparent: shared)
        }
        try checkEligibility(
            keeper: keeperSnapshot, keeperAttributes: keeperAttributes,
            duplicate: duplicateSnapshot, duplicateAttributes: duplicateAttributes, file: duplicate)
        // The fingerprints matched, but a write through a mapping leaves them alone: the bytes
        // decide, now, while the leases keep writers out.
        try compareContent(keeperReader, keeper: keeper.file, with: reader, duplicate: duplicate)

        journal?.prepare(
            path: path(of: duplicate), rootLength: rootLength(of: duplicateRecord.directory),
            directory: scan.table.directories[Int(duplicateRecord.directory)].id, keeperPath: path(of: keeper.file),
            duplicate: duplicateSnapshot, keeper: keeperSnapshot, duplicateAttributes: duplicateAttributes)
        var replacement = NameReplacement(duplicateName, in: target, usesExchange: usesExchange)
        do {
            try replacement.prepare(
                from: .name(keeperName, in: source), names: &temporaryNames, attempts: 1000, journal: journalName(as: .temporary))
        } catch {
            switch error {
            case .journal(let failure):
                throw .skipped(failure)
            case .system(.improperLink, _):
                // EXDEV between two names of one device: two mounts of it (a bind mount).
                let reason: LinkRefusal.Reason =
                    keeperSnapshot.id.device == duplicateSnapshot.id.device ? .otherMount : .differentFilesystem
                throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: reason.message))
            case .system(.tooManyLinks, _):
                throw .tooManyLinks
            case .system(let error, _):
                throw .skipped(DupelinkError(.ioError, path: path(of: duplicate), errno: error, operation: "link the kept copy next to"))
            case .nameChanged:
                throw .skipped(DupelinkError(.fileChanged, path: path(of: duplicate)))
            }
        }
        // From here on the keeper's change time and link count move with each step.
        defer {
            carryForward(keeperID, observed: try? Syscalls.status(of: keeperName, in: source))
            carryForward(duplicateID, observed: try? Syscalls.status(of: reader))
        }

        // The temporary name must be the keeper, unchanged (a name can be swapped under linkat).
        guard let linked = replacement.temporaryStatus(), linked.id == keeperSnapshot.id,
            linked.size == keeperSnapshot.size, linked.modificationTime == keeperSnapshot.modificationTime
        else {
            report(replacement.discard(), removing: replacement.temporary, in: duplicateRecord.directory)
            throw .skipped(keeperChanged(keeper.file, duplicate: duplicate))
        }

        beforeSwap?(path(of: duplicate))
        let displaced: NameReplacement.Displaced
        do {
            // Without an exchange, the duplicate keeps a backup name until the swap is verified.
            displaced = try replacement.swap(
                expected: duplicateSnapshot.id, names: &temporaryNames, backupJournal: journalName(as: .backup))
        } catch {
            report(replacement.discard(), removing: replacement.temporary, in: duplicateRecord.directory)
            switch error {
            case .system(let error, .backupName):
                throw .skipped(DupelinkError(.ioError, path: path(of: duplicate), errno: error, operation: "link to a temporary name"))
            case .system(let error, _):
                throw .skipped(DupelinkError(.ioError, path: path(of: duplicate), errno: error, operation: "replace"))
            case .journal(let failure):
                throw .skipped(failure)
            case .nameChanged:
                throw .skipped(DupelinkError(.fileChanged, path: path(of: duplicate)))
            }
        }
        // The link's swap always keeps the duplicate under a name (exchanged or backup).
        let displacedName = displaced.name ?? []

        // The displaced name must hold the inode that was compared, nobody may have written to it
        // since it was checked, and the duplicate's name must now show the keeper's unchanged
        // bytes; otherwise put the duplicate back.
        let displacedStatus = try? Syscalls.status(of: displacedName, in: target)
        let readerStatus = try? Syscalls.status(of: reader)
        let current = replacement.nameStatus()
        let displacedIsDuplicate =
            displacedStatus?.id == duplicateSnapshot.id && readerStatus?.size == duplicateSnapshot.size
            && readerStatus?.modificationTime == duplicateSnapshot.modificationTime
        let nameIsKeeper = current?.id == keeperSnapshot.id
        let keeperIsUnchanged =
            current?.size == keeperSnapshot.size && current?.modificationTime == keeperSnapshot.modificationTime
        // A name that another program renamed over ours after the swap is theirs: leave it.
        guard displacedIsDuplicate && (keeperIsUnchanged || !nameIsKeeper) else {
            let restored = replacement.rollBack(displaced, newInode: keeperSnapshot.id)
            let changed = displacedIsDuplicate ? "the copy kept changed" : "changed"
            throw .skipped(
                DupelinkError(
                    .fileChanged, path: path(of: duplicate),
                    detail: restored
                        ? "\(changed) while it was being replaced; put back as it was"
                        : "\(changed) while it was being replaced; its previous content is at \(displayPath(displacedName, in: duplicateRecord.directory))"))
        }
        do {
            try replacement.commit(displaced)
        } catch {
            report(error, removing: displacedName, in: duplicateRecord.directory)
        }
        let final = try? Syscalls.status(of: reader)
        if final?.size != duplicateSnapshot.size || final?.modificationTime != duplicateSnapshot.modificationTime {
            // Written in the instant between the last check and the removal: the bytes went to
            // the replaced inode. Nothing can be put back, but the user must know.
            outcome.skipped.append(
                Diagnostic(.link, DupelinkError(.fileChanged, path: path(of: duplicate),
                    detail: "written to as it was replaced; the write went to the replaced copy")))
        }
        guard nameIsKeeper else {
            throw .skipped(
                DupelinkError(.fileChanged, path: path(of: duplicate), detail: "replaced by another program while it was being linked"))
        }
        if !(duplicateLeased && keeperLeased) { outcome.replacementsWithoutLease += 1 }
        // By blocks, as `df` counts: the replaced inode's are freed when this descriptor closes.
        guard let final, final.linkCount == 0 else { return Freed(allocated: 0, apparent: 0) }
        return Freed(allocated: final.allocatedBytes, apparent: scan.classes[classIndex].size)
    }

    /// Compares the two open files byte for byte, counting the bytes and time, and refuses the
    /// replacement when they differ or cannot be read.
    private func compareContent(
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
                    detail: "content differs from the kept copy \(String(decoding: path(of: keeper), as: UTF8.self)) now; not linked"))
        }
    }

    /// Takes a read lease on `descriptor` (of `file`) and returns true, or refuses the replacement
    /// when a program has the file open for writing. Where leases are not granted (a user who
    /// does not own the file, a filesystem without them) it returns false: the byte comparison
    /// and the checks after the swap are all there is.
    private func holdReadLease(on descriptor: FileDescriptor, file: Int32) throws(LinkFailure) -> Bool {
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
    private func attributes(of descriptor: FileDescriptor, file: Int32) throws(LinkFailure) -> FileAttributes {
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
    private func checkUnchanged(
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
    private func checkEligibility(
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

    /// Checks that `name` is still the regular file the snapshot describes.
    private func verify(
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

    private func keeperChanged(_ keeper: Int32, duplicate: Int32) -> DupelinkError {
        DupelinkError(
            .fileChanged, path: path(of: keeper),
            detail: "the copy to keep; \(String(decoding: path(of: duplicate), as: UTF8.self)) was left as it was")
    }

    /// A missing name or one that became a symbolic link means the file changed; anything else is
    /// a failed system call.
    private func changedOrFailed(_ error: Errno, file: Int32, operation: String) -> LinkFailure {
        if error == .noSuchFileOrDirectory || error == .tooManySymbolicLinkLevels {
            return .skipped(DupelinkError(.fileChanged, path: path(of: file)))
        }
        return .skipped(DupelinkError(.ioError, path: path(of: file), errno: error, operation: operation))
    }

    private func openDirectory(_ index: Int32) throws(LinkFailure) -> LinkOpenDirectory {
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
    private func checkNotPlanted(_ id: MemberID, duplicate: Int32, isKeeper: Bool) throws(LinkFailure) {
        let member = scan.classes[id.classIndex].members[id.member]
        guard member.status.linkCount > UInt64(member.names.count) else { return }
        if exposedNames[id] == nil {
            var found: [UInt8]? = nil
            let me = geteuid()
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
    private func directoryStatus(_ index: Int32) -> FileStatus? {
        do {
            let handle = try DirectoryHandle.open(directory: index, in: scan.table)
            return try? Syscalls.status(of: handle.descriptor)
        } catch {
            return nil
        }
    }

    private func cName(of record: FileRecord) -> [CChar] {
        scan.table.name(ofFile: record).map { CChar(bitPattern: $0) } + [0]
    }

    func path(of file: Int32) -> [UInt8] { scan.path(ofFile: file) }

    /// How many leading bytes of a path in `directory` are its root as given (0 for the hidden
    /// `.` root of a file given as a root).
    private func rootLength(of directory: Int32) -> Int {
        guard let root = scan.table.chain(toDirectory: directory).first else { return 0 }
        let entry = scan.table.directories[Int(root)]
        return entry.isShown ? Int(entry.nameLength) : 0
    }

    private func temporaryPath(_ name: [CChar], in directory: Int32) -> [UInt8] {
        var result = scan.table.path(ofDirectory: directory)
        if result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
        return result
    }

    private func displayPath(_ name: [CChar], in directory: Int32) -> String {
        String(decoding: temporaryPath(name, in: directory), as: UTF8.self)
    }
}
