/// Decides, without touching a disk, which inodes of each duplicate class are kept, which names
/// are replaced by hard links, and which inodes cannot be linked at all.
public enum LinkPlanner {
    /// Plans the linking of every class in `scan`.
    ///
    /// Members of a class are split by device and mount (where the walk learnt mounts) and, unless
    /// `options` says to ignore them, by owner (user and group) and by permission bits. Each part
    /// with two or more inodes is linked within itself to its best keeper; an inode alone in its
    /// part is refused, with the reason it differs from the keeper of the class's largest part. A
    /// duplicate with a name on another mount than its keeper's is refused (`otherMount`), and an
    /// inode with a name on overlayfs is never linked (`overlayfs`, no bytes: linking there frees
    /// nothing). An inode's blocks that it already shares with a member that stays, or with one
    /// replaced before it (see `discountSharedExtents`), are not counted as freed. Touches no disk.
    public static func plan(_ scan: ScanResult, options: LinkOptions) -> LinkPlan {
        let preferred = options.preferredDirectories.map(normalizedPrefix)
        var actions: [LinkAction] = []
        var refusals: [LinkRefusal] = []
        for (classIndex, duplicateClass) in scan.classes.enumerated() {
            let start = actions.count
            planClass(
                duplicateClass, classIndex: classIndex, scan: scan, options: options, preferred: preferred,
                actions: &actions, refusals: &refusals)
            discountSharedExtents(&actions[start...], in: duplicateClass) { member in
                scan.table.extentDomain(ofFile: scan.files[Int(member.names[0])], device: member.id.device)
            }
        }
        return LinkPlan(actions: actions, refusals: refusals, ignoresUserAttributes: options.ignoreUserAttributes)
    }

    private static func planClass(
        _ duplicateClass: DuplicateClass, classIndex: Int, scan: ScanResult, options: LinkOptions,
        preferred: [[UInt8]], actions: inout [LinkAction], refusals: inout [LinkRefusal]
    ) {
        // Mounts decide only where every member's mount is known (a rebuilt saved scan may know
        // none): otherwise the device alone does, and the linker refuses EXDEV pair by pair.
        let byMount = duplicateClass.members.allSatisfy { member in
            member.names.allSatisfy { scan.table.mount(ofFile: scan.files[Int($0)]).isKnown }
        }
        let partitions = partition(
            duplicateClass, classIndex: classIndex, scan: scan, options: options, byMount: byMount, refusals: &refusals)
        guard !partitions.isEmpty else { return }

        var ranked: [[Int]] = []
        ranked.reserveCapacity(partitions.count)
        for partition in partitions {
            ranked.append(
                rank(partition, in: duplicateClass, scan: scan, preferred: preferred,
                    preferredIDs: options.preferredDirectoryIDs, rootOwnedFirst: options.ignoreOwner))
        }
        var largest = 0
        for (index, partition) in ranked.enumerated() where partition.count > ranked[largest].count {
            largest = index
        }
        let reference = duplicateClass.members[ranked[largest][0]]

        for (index, partition) in ranked.enumerated() {
            guard partition.count >= 2 else {
                if index == largest { continue }
                let member = duplicateClass.members[partition[0]]
                let (why, detail) = Eligibility.reason(
                    member, differsFrom: reference, options: options,
                    sameMount: !byMount || mountOf(member, in: scan) == mountOf(reference, in: scan))
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: partition[0], file: member.names[0], reference: reference.names[0],
                        reason: why, bytes: hasNoOutsideNames(member) ? member.status.allocatedBytes : 0, detail: detail))
                continue
            }
            planPartition(
                partition, of: duplicateClass, classIndex: classIndex, scan: scan, options: options, byMount: byMount,
                actions: &actions, refusals: &refusals)
        }
    }

    /// Splits a class's members into partitions that may share one inode (same device or mount,
    /// and what the options make equal: owner, mode, attributes), in order of first appearance so
    /// the plan is deterministic; refuses the members that may never be linked.
    private static func partition(
        _ duplicateClass: DuplicateClass, classIndex: Int, scan: ScanResult, options: LinkOptions, byMount: Bool,
        refusals: inout [LinkRefusal]
    ) -> [[Int]] {
        // Partitions in order of first appearance, so the plan is deterministic.
        var partitions: [[Int]] = []
        var partitionOfKey: [PartitionKey: Int] = [:]
        // Most classes are one partition: a member like the one before it skips the lookup.
        var previous: (key: PartitionKey, partition: Int)?
        for (index, member) in duplicateClass.members.enumerated() where !member.names.isEmpty {
            if let run = options.separated[member.id] {
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: index, file: member.names[0], reference: member.names[0],
                        reason: .keptSeparate, bytes: hasNoOutsideNames(member) ? member.status.allocatedBytes : 0,
                        detail: "run \(run); --relink-separated links it again"))
                continue
            }
            // Never linked nor replaced, whatever the options: immutable, append-only, unreadable.
            if let (reason, detail) = Eligibility.unlinkable(member.attributes) {
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: index, file: member.names[0], reference: member.names[0],
                        reason: reason, bytes: hasNoOutsideNames(member) ? member.status.allocatedBytes : 0, detail: detail))
                continue
            }
            if member.names.contains(where: { scan.table.mount(ofFile: scan.files[Int($0)]).isOverlay }) {
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: index, file: member.names[0], reference: member.names[0],
                        reason: .overlayfs, bytes: 0))
                continue
            }
            let record = scan.files[Int(member.names[0])]
            let mount = byMount ? scan.table.mount(ofFile: record).id : nil
            var key = PartitionKey(member, mount: mount, options: options)
            // Extents are shared within a filesystem, across btrfs subvolumes (devices) of one mount.
            if options.sharesExtents { key.device = scan.table.extentDomain(ofFile: record, device: member.id.device) }
            if let previous, previous.key == key {
                partitions[previous.partition].append(index)
            } else if let existing = partitionOfKey[key] {
                partitions[existing].append(index)
                previous = (key, existing)
            } else {
                partitionOfKey[key] = partitions.count
                previous = (key, partitions.count)
                partitions.append([index])
            }
        }
        return partitions
    }

    /// Plans one ranked partition of two or more members: every name of each member after the
    /// first is linked to the first (the keeper), unless it is refused.
    private static func planPartition(
        _ partition: [Int], of duplicateClass: DuplicateClass, classIndex: Int, scan: ScanResult, options: LinkOptions,
        byMount: Bool, actions: inout [LinkAction], refusals: inout [LinkRefusal]
    ) {
        let keeperIndex = partition[0]
        let keeper = duplicateClass.members[keeperIndex]
        for duplicateIndex in partition.dropFirst() {
            let duplicate = duplicateClass.members[duplicateIndex]
            if options.sharesExtents {
                actions.append(
                    LinkAction(
                        classIndex: classIndex, keeper: keeper.names[0], duplicate: duplicate.names[0],
                        keeperMember: keeperIndex, duplicateMember: duplicateIndex, bytesFreed: duplicateClass.size))
                continue
            }
            // Its first name shares the keeper's mount; another name of it may not, and one
            // name left unlinked keeps the inode.
            if byMount, duplicate.names.contains(where: { mountOf($0, in: scan) != mountOf(keeper, in: scan) }) {
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: duplicateIndex, file: duplicate.names[0],
                        reference: keeper.names[0], reason: .otherMount,
                        bytes: hasNoOutsideNames(duplicate) ? duplicate.status.allocatedBytes : 0))
                continue
            }
            if let (why, detail) = Eligibility.handOverViolation(keeper: keeper, duplicate: duplicate) {
                refusals.append(
                    LinkRefusal(
                        classIndex: classIndex, member: duplicateIndex, file: duplicate.names[0],
                        reference: keeper.names[0], reason: why,
                        bytes: hasNoOutsideNames(duplicate) ? duplicate.status.allocatedBytes : 0, detail: detail))
                continue
            }
            let freesInode = hasNoOutsideNames(duplicate)
            for (position, name) in duplicate.names.enumerated() {
                let isLastName = position == duplicate.names.count - 1
                actions.append(
                    LinkAction(
                        classIndex: classIndex, keeper: keeper.names[0], duplicate: name,
                        keeperMember: keeperIndex, duplicateMember: duplicateIndex,
                        bytesFreed: isLastName && freesInode ? duplicate.status.allocatedBytes : 0,
                        apparentBytesFreed: isLastName && freesInode ? duplicateClass.size : 0))
            }
        }
    }

    /// The mount id of the directory holding the file at `index` in the scan's files.
    private static func mountOf(_ index: Int32, in scan: ScanResult) -> UInt64 {
        scan.table.mount(ofFile: scan.files[Int(index)]).id
    }

    /// The mount id of a member's first name: the name the keeper is linked from.
    private static func mountOf(_ member: Member, in scan: ScanResult) -> UInt64 {
        mountOf(member.names[0], in: scan)
    }

    /// Whether every name of the inode is inside the scanned roots, so replacing them all frees it.
    private static func hasNoOutsideNames(_ member: Member) -> Bool {
        member.status.linkCount <= UInt64(member.names.count)
    }

    /// Orders a partition's members best keeper first: a name under a preferred directory (earlier
    /// entries first), then (with `ignoreOwner`) a root-owned inode, then the most names outside the scanned roots (replacing such an inode would
    /// free nothing), then the most names, then the oldest content, then the first path byte-wise.
    ///
    /// Paths are built only where they decide: all of a member's names when there are preferred
    /// directories, and the first name of members that tie on everything else. The order is total
    /// (members equal in all of it stay in partition order), so sorting the ties apart afterwards
    /// gives what one sort on everything would.
    private static func rank(
        _ partition: [Int], in duplicateClass: DuplicateClass, scan: ScanResult, preferred: [[UInt8]],
        preferredIDs: [FileID], rootOwnedFirst: Bool
    ) -> [Int] {
        guard partition.count > 1 else { return partition }
        struct Key {
            var index: Int
            var preference: Int
            var notRootOwned: Bool
            var outsideNames: UInt64
            var linkCount: UInt64
            var modificationTime: Int64

            /// Whether this member makes a better keeper than `other`, or nil when only their
            /// paths can tell.
            func isBetter(than other: Key) -> Bool? {
                if preference != other.preference { return preference < other.preference }
                if notRootOwned != other.notRootOwned { return !notRootOwned }
                if outsideNames != other.outsideNames { return outsideNames > other.outsideNames }
                if linkCount != other.linkCount { return linkCount > other.linkCount }
                if modificationTime != other.modificationTime { return modificationTime < other.modificationTime }
                return nil
            }
        }
        var keys = partition.map { index in
            let member = duplicateClass.members[index]
            let linkCount = member.status.linkCount
            let inside = UInt64(member.names.count)
            return Key(
                index: index,
                preference: preference(of: member, scan: scan, preferred: preferred, preferredIDs: preferredIDs),
                notRootOwned: rootOwnedFirst && member.status.userID != 0,
                outsideNames: linkCount > inside ? linkCount - inside : 0,
                linkCount: linkCount, modificationTime: member.status.modificationTime)
        }
        keys.sort { $0.isBetter(than: $1) ?? ($0.index < $1.index) }
        var start = 0
        while start < keys.count {
            var end = start + 1
            while end < keys.count && keys[start].isBetter(than: keys[end]) == nil { end += 1 }
            if end - start > 1 {
                let tied = Array(keys[start..<end])
                let paths = tied.map { scan.path(ofFile: duplicateClass.members[$0.index].names[0]) }
                let order = tied.indices.sorted {
                    paths[$0] != paths[$1] ? paths[$0].lexicographicallyPrecedes(paths[$1]) : tied[$0].index < tied[$1].index
                }
                keys.replaceSubrange(start..<end, with: order.map { tied[$0] })
            }
            start = end
        }
        return keys.map(\.index)
    }

    /// The position in `preferred` of the first preferred directory that holds a name of `member`
    /// (by path, or by identity of a directory on the way), or `Int.max`.
    private static func preference(
        of member: Member, scan: ScanResult, preferred: [[UInt8]], preferredIDs: [FileID]
    ) -> Int {
        guard !preferred.isEmpty else { return Int.max }
        let paths = member.names.map { scan.path(ofFile: $0) }
        let chains = Set(member.names.flatMap { name in
            scan.table.chain(toDirectory: scan.files[Int(name)].directory).map { scan.table.directories[Int($0)].id }
        })
        return preferred.indices.first { position in
            paths.contains { isPath($0, under: preferred[position]) }
                || (position < preferredIDs.count && chains.contains(preferredIDs[position]))
        } ?? Int.max
    }

    /// Whether `path` lies below the directory `prefix`, matching whole components.
    static func isPath(_ path: [UInt8], under prefix: [UInt8]) -> Bool {
        guard !prefix.isEmpty, path.count > prefix.count, path.starts(with: prefix) else { return false }
        return prefix.last == UInt8(ascii: "/") || path[prefix.count] == UInt8(ascii: "/")
    }

    /// Removes trailing slashes, keeping `/` itself.
    private static func normalizedPrefix(_ prefix: [UInt8]) -> [UInt8] {
        var prefix = prefix
        while prefix.count > 1 && prefix.last == UInt8(ascii: "/") { prefix.removeLast() }
        return prefix
    }
}

/// What members must share to be linked together.
private struct PartitionKey: Hashable {
    var device: UInt64
    /// The mount of the member's first name, or nil when the class's mounts are not all known.
    var mount: UInt64?
    var userID: UInt32?
    var groupID: UInt32?
    var permissions: UInt32?
    /// The attributes that must match: all of them, or all but `user.*` when those are relaxed;
    /// nil when they were not read (the linker reads and compares them before each replacement).
    var attributes: FileAttributes?
    /// For a reviewed report: the digest of all attributes, which must match unless `user.*`
    /// attributes are relaxed (the linker compares the attributes themselves anyway).
    var attributesDigest: Digest?

    init(_ member: Member, mount: UInt64?, options: LinkOptions) {
        let status = member.status
        device = status.id.device
        // Shared extents change no owner, mode or attribute: only the filesystem counts.
        if options.sharesExtents { return }
        self.mount = mount
        // A set-ID file runs as its owner or group: its owner and group always count, or a
        // user's set-user-ID name could become another of root's.
        let ownerCounts = !options.ignoreOwner || status.permissions & 0o6000 != 0
        userID = ownerCounts ? status.userID : nil
        groupID = ownerCounts ? status.groupID : nil
        // Set-user-ID, set-group-ID and sticky bits always count: no copy gains them by linking.
        permissions = options.ignoreMode ? status.permissions & 0o7000 : status.permissions
        switch member.attributes {
        case .read(let read): attributes = options.ignoreUserAttributes ? read.withoutUserAttributes : read
        case .digest(let digest): attributesDigest = options.ignoreUserAttributes ? nil : digest
        case .unknown, .unreadable: break
        }
    }
}
