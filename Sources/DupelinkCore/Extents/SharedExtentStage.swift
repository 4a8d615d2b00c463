import SystemPackage

/// After the classes are confirmed: maps the extents (`FIEMAP`) of class members on filesystems
/// whose files can share blocks, so that the link planner counts the bytes a duplicate already
/// shares with its kept copy (a reflinked copy, an earlier `dedupe`) as not reclaimable.
///
/// Only btrfs, XFS and bcachefs (`Syscalls.copyOnWriteFilesystems`, by `statfs` type) answer with
/// `FIEMAP_EXTENT_SHARED`; on any other filesystem no file is mapped, nor opened (the walk's
/// `fstatfs` of each mount decides: `DirectoryMount.canShareExtents`), and only members that have another member of their class on the same
/// filesystem are. Each file is opened the way the other stages open it (below its root, following
/// no symbolic link, identity checked) and must still match its fingerprint. Reads metadata only;
/// changes nothing. A file that cannot be mapped is left unmapped (nil): it is then counted as
/// sharing nothing, as before dupelink looked.
enum SharedExtentStage {
    /// What the extents of one open file say.
    struct Mapping: Sendable {
        /// The countable shared ranges (see `SharedExtents`).
        var shared: SharedExtents
        /// The bytes of all its extents, shared or not, countable or not: its data, holes left out.
        var dataBytes: Int64
    }

    /// Maps the extents of an open file.
    ///
    /// Touches the disk: reads the file's extent map (metadata), not its bytes.
    /// - Throws: the `Errno` of `FS_IOC_FIEMAP`.
    static func map(_ descriptor: FileDescriptor) throws(Errno) -> Mapping {
        let extents = try Syscalls.extents(of: descriptor)
        return Mapping(
            shared: SharedExtents(extents: extents),
            dataBytes: extents.reduce(0) { $0 + Int64(clamping: $1.length) })
    }

    /// Whether files on a filesystem of type `type` (`statfs`'s `f_type`) can share extents, so
    /// that mapping them can find shared blocks.
    static func mapsSharedExtents(filesystemType type: UInt64) -> Bool {
        Syscalls.copyOnWriteFilesystems[type] != nil
    }

    /// Returns `classes` with `sharedExtents` filled in for every member on a filesystem that can
    /// share extents and with another member of its class on it; counts the files and the time.
    /// - Throws: `DupelinkError(.cancelled)` when SIGINT or SIGTERM arrived first.
    static func read(
        _ classes: [DuplicateClass], opener: FileOpener, pool: WorkerPool, statistics: inout ScanStatistics
    ) throws(DupelinkError) -> [DuplicateClass] {
        var clock = Stopwatch()
        defer { statistics.extentSeconds = clock.lap() }
        statistics.filesExtentsMapped = 0
        // Per class, the filesystems with two or more of its members (only those can share), on a
        // filesystem the walk found able to share extents: no file is opened to find out.
        var candidates: [(group: Int32, member: Int32)] = []
        for (c, duplicateClass) in classes.enumerated() where duplicateClass.members.count > 1 {
            var count: [UInt64: Int] = [:]
            let domain = { (member: Member) in
                opener.table.extentDomain(ofFile: opener.files[Int(member.names[0])], device: member.id.device)
            }
            for member in duplicateClass.members where canShareExtents(member, opener: opener) {
                count[domain(member), default: 0] += 1
            }
            for (m, member) in duplicateClass.members.enumerated() where count[domain(member), default: 0] > 1 {
                guard canShareExtents(member, opener: opener) else { continue }
                candidates.append((Int32(c), Int32(m)))
            }
        }
        // Directory by directory, inode order within one, as the other stages open files.
        guard !candidates.isEmpty else { return classes }
        var jobs = candidates.map { job -> (directory: Int32, inode: UInt64, group: Int32, member: Int32) in
            let member = classes[Int(job.group)].members[Int(job.member)]
            return (opener.files[Int(member.names[0])].directory, member.id.inode, job.group, job.member)
        }
        jobs.sort { ($0.directory, $0.inode) < ($1.directory, $1.inode) }
        let order = jobs.map { (group: $0.group, member: $0.member) }
        let mapped = try pool.map(
            count: order.count, makeState: { DirectoryCache() },
            { index, directories in
                let job = order[index]
                return sharedExtents(of: classes[Int(job.group)].members[Int(job.member)], opener: opener, directories: directories)
            })
        var result = classes
        for (job, extents) in zip(order, mapped) {
            result[Int(job.group)].members[Int(job.member)].sharedExtents = extents
            if extents != nil { statistics.filesExtentsMapped? += 1 }
        }
        return result
    }

    /// Whether the member has a name, on a filesystem whose files can share extents (as the walk,
    /// or `resolvingMounts` for a rebuilt scan, learnt it for the directory that holds it).
    private static func canShareExtents(_ member: Member, opener: FileOpener) -> Bool {
        guard let first = member.names.first else { return false }
        return opener.table.mount(ofFile: opener.files[Int(first)]).canShareExtents
    }

    /// Opens the member's first name and maps its shared extents; nil when it cannot be opened or
    /// mapped, or changed since it was compared.
    private static func sharedExtents(of member: Member, opener: FileOpener, directories: DirectoryCache) -> SharedExtents? {
        guard let opened = try? opener.open(member.names[0], directories: directories) else { return nil }
        let (descriptor, status) = opened
        defer { Syscalls.closeQuietly(descriptor) }
        guard status.isUnchanged(comparedTo: member.status) else { return nil }
        return try? map(descriptor).shared
    }
}
