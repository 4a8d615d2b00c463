import SystemPackage

/// The last stage of a scan: reads the extended attributes and inode flags of every member of
/// every duplicate class, so the link planner can keep apart files that must not become one inode.
///
/// Runs only on class members, after their bytes were compared: a scan pays for it in proportion
/// to the duplicates found, not to the files walked. Each file is opened the way the other stages
/// open it (below its root, following no symbolic link, identity checked) and read through its
/// descriptor. Reads metadata only; changes nothing.
enum AttributeStage {
    /// Returns `classes` with the `attributes` of every member that had them `unknown` read (or
    /// marked unreadable, with why); members whose attributes are known are left as they are.
    /// - Throws: `DupelinkError(.cancelled)` when SIGINT or SIGTERM arrived first.
    static func read(
        _ classes: [DuplicateClass], opener: FileOpener, pool: WorkerPool
    ) throws(DupelinkError) -> [DuplicateClass] {
        // Directory by directory, inode order within one, as the head/tail stage reads.
        var jobs: [(directory: Int32, inode: UInt64, group: Int32, member: Int32)] = []
        for (c, duplicateClass) in classes.enumerated() {
            for (m, member) in duplicateClass.members.enumerated() where !member.names.isEmpty {
                guard case .unknown = member.attributes else { continue }
                jobs.append((opener.files[Int(member.names[0])].directory, member.id.inode, Int32(c), Int32(m)))
            }
        }
        guard !jobs.isEmpty else { return classes }
        jobs.sort { ($0.directory, $0.inode) < ($1.directory, $1.inode) }
        let order = jobs.map { (group: $0.group, member: $0.member) }
        let states = try pool.map(
            count: order.count, makeState: { DirectoryCache() },
            { index, directories in
                let job = order[index]
                let member = classes[Int(job.group)].members[Int(job.member)]
                return state(of: member, opener: opener, directories: directories)
            })
        var result = classes
        for (job, state) in zip(order, states) {
            result[Int(job.group)].members[Int(job.member)].attributes = state
        }
        return result
    }

    /// Opens the member's first name and reads its attributes.
    static func state(of member: Member, opener: FileOpener, directories: DirectoryCache) -> AttributeState {
        let descriptor: FileDescriptor
        let status: FileStatus
        do {
            (descriptor, status) = try opener.open(member.names[0], directories: directories)
        } catch {
            return .unreadable(error.description)
        }
        defer { Syscalls.closeQuietly(descriptor) }
        guard status.isUnchanged(comparedTo: member.status) else {
            return .unreadable("changed since it was compared")
        }
        do {
            return .read(try FileAttributes.read(from: descriptor))
        } catch {
            return .unreadable("cannot read its extended attributes or flags: \(error)")
        }
    }
}
