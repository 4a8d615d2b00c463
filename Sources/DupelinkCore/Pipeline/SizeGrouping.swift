/// The first narrowing: files can only be duplicates of files of the same size, and names of one
/// inode are one member (its bytes are read once, however many names it has).
package enum SizeGrouping {
    /// Groups the files by size, folds names of one inode into one `Member`, and keeps the groups
    /// of two or more inodes. Reads nothing from disk.
    ///
    /// Files on different devices stay in one group: they are reported as duplicates, and the link
    /// planner refuses to link across filesystems.
    package static func candidateGroups(_ files: [FileRecord]) -> [[Member]] {
        // One sorted array of (size, index) rather than a dictionary of arrays: a million files
        // cost 16 MB here instead of a million small allocations.
        var bySize = files.indices.map { (size: files[$0].status.size, index: Int32($0)) }
        bySize.sort { $0.size != $1.size ? $0.size < $1.size : $0.index < $1.index }
        var groups: [[Member]] = []
        var start = 0
        while start < bySize.count {
            var end = start + 1
            while end < bySize.count && bySize[end].size == bySize[start].size { end += 1 }
            if end - start > 1 {
                var members: [Member] = []
                members.reserveCapacity(end - start)
                // Names of one inode are rare: a short group is searched in place, a long one
                // through a dictionary.
                var byInode: [FileID: Int]? = end - start > 32 ? [:] : nil
                for entry in bySize[start..<end] {
                    let status = files[Int(entry.index)].status
                    let position = byInode != nil ? byInode?[status.id] : members.firstIndex { $0.id == status.id }
                    if let position {
                        members[position].names.append(entry.index)
                    } else {
                        byInode?[status.id] = members.count
                        members.append(Member(names: NameList(entry.index), status: status))
                    }
                }
                if members.count > 1 { groups.append(members) }
            }
            start = end
        }
        return groups
    }
}
