extension LinkPlanner {
    /// Takes out of each action that frees an inode the bytes that inode already shares with its
    /// class, which replacing it cannot free, and records them as `alreadySharedBytes`.
    ///
    /// An inode's shared bytes are the physical ranges of its shared extents (`Member.sharedExtents`)
    /// that also lie in the extents of a member that stays (the keeper, a refused member, one with
    /// names outside the roots) or of a member whose action came earlier (counted once, by the
    /// first to be replaced). Only members in one `domain` (a filesystem: `extentDomain`) are
    /// compared: physical addresses mean something within one filesystem. Blocks shared with files outside the class (a snapshot, a
    /// reflinked copy elsewhere) still count as freed: the class alone cannot tell what else uses
    /// them, and dedupe measures what it frees. Touches no disk.
    static func discountSharedExtents(
        _ actions: inout ArraySlice<LinkAction>, in duplicateClass: DuplicateClass, domain: (Member) -> UInt64 = { $0.id.device }
    ) {
        let members = duplicateClass.members
        guard !actions.isEmpty, members.contains(where: { $0.sharedExtents.map { !$0.isEmpty } ?? false }) else { return }
        let freed = Set(actions.filter { $0.bytesFreed > 0 }.map(\.duplicateMember))
        // What stays in use, per filesystem, grown by each inode counted.
        var inUse: [UInt64: SharedExtents] = [:]
        for (index, member) in members.enumerated() where !freed.contains(index) {
            if let extents = member.sharedExtents { inUse[domain(member), default: SharedExtents()].formUnion(extents) }
        }
        for position in actions.indices where actions[position].bytesFreed > 0 {
            let member = members[actions[position].duplicateMember]
            guard let extents = member.sharedExtents, !extents.isEmpty else { continue }
            let device = domain(member)
            let shared = min(extents.overlap(with: inUse[device] ?? SharedExtents()), actions[position].bytesFreed)
            actions[position].alreadySharedBytes = shared
            actions[position].bytesFreed -= shared
            actions[position].apparentBytesFreed = max(0, actions[position].apparentBytesFreed - shared)
            inUse[device, default: SharedExtents()].formUnion(extents)
        }
    }
}
