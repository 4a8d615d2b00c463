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
    struct MemberID: Hashable {
        var classIndex: Int
        var member: Int
    }

    struct Keeper {
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
    let directories = LinkDirectoryCache(
        capacity: min(64, DescriptorBudget(spare: Syscalls.spareDescriptors()).spare / 2))
    /// The current keeper of each partition, keyed by the planned keeper; differs from the plan
    /// after an `EMLINK` rotation.
    var keepers: [MemberID: Keeper] = [:]
    /// Snapshots carried forward past the linker's own changes.
    var snapshots: [MemberID: FileStatus] = [:]
    /// The temporary names made next to duplicates.
    var temporaryNames = TemporaryNames()
    /// Made on the first comparison: a dry run reads nothing.
    lazy var comparison = FinalComparison()
    /// For each member looked at: the name of it that lies in a directory another user can write
    /// when the inode also has names outside the roots (see `checkNotPlanted`), or nil.
    var exposedNames: [MemberID: [UInt8]?] = [:]

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
    func fits(_ action: LinkAction) -> Bool {
        guard scan.classes.indices.contains(action.classIndex) else { return false }
        let members = scan.classes[action.classIndex].members
        guard members.indices.contains(action.keeperMember), members.indices.contains(action.duplicateMember),
            action.keeperMember != action.duplicateMember
        else { return false }
        return members[action.keeperMember].names.first == action.keeper
            && members[action.duplicateMember].names.contains(action.duplicate)
            && scan.files.indices.contains(Int(action.keeper)) && scan.files.indices.contains(Int(action.duplicate))
    }

    func snapshot(_ id: MemberID) -> FileStatus {
        snapshots[id] ?? scan.classes[id.classIndex].members[id.member].status
    }

    /// Accepts a new snapshot of an inode the linker itself linked or unlinked: its change time and
    /// link count moved, but it is the same inode with the same size and content time.
    func carryForward(_ id: MemberID, observed: FileStatus?) {
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

    func cName(of record: FileRecord) -> [CChar] {
        scan.table.name(ofFile: record).cString
    }

    func path(of file: Int32) -> [UInt8] { scan.path(ofFile: file) }

    /// How many leading bytes of a path in `directory` are its root as given (0 for the hidden
    /// `.` root of a file given as a root).
    func rootLength(of directory: Int32) -> Int {
        guard let root = scan.table.chain(toDirectory: directory).first else { return 0 }
        let entry = scan.table.directories[Int(root)]
        return entry.isShown ? Int(entry.nameLength) : 0
    }

    func temporaryPath(_ name: [CChar], in directory: Int32) -> [UInt8] {
        var result = scan.table.path(ofDirectory: directory)
        if result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
        return result
    }

    func displayPath(_ name: [CChar], in directory: Int32) -> String {
        PathText.display(temporaryPath(name, in: directory))
    }
}
