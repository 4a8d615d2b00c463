/// The first narrowing: files can only be duplicates of files of the same size, and names of one
/// inode are one member (its bytes are read once, however many names it has).
public enum SizeGrouping {
    /// Groups the files by size, folds names of one inode into one `Member`, and keeps the groups
    /// of two or more inodes. Reads nothing from disk.
    ///
    /// Files on different devices stay in one group: they are reported as duplicates, and the link
    /// planner refuses to link across filesystems.
    public static func candidateGroups(_ files: [FileRecord]) -> [[Member]] {
        var bySize: [Int64: [Int32]] = [:]
        for (index, file) in files.enumerated() {
            bySize[file.status.size, default: []].append(Int32(index))
        }
        var groups: [[Member]] = []
        for (_, names) in bySize where names.count > 1 {
            var byInode: [FileID: Int] = [:]
            var members: [Member] = []
            for name in names {
                let status = files[Int(name)].status
                if let position = byInode[status.id] {
                    members[position].names.append(name)
                } else {
                    byInode[status.id] = members.count
                    members.append(Member(id: status.id, names: [name], status: status))
                }
            }
            if members.count > 1 { groups.append(members) }
        }
        return groups
    }
}
