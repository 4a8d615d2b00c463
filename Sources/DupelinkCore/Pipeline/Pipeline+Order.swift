extension Pipeline {
    /// Sorts names within members, members within classes by their first name, and classes by the
    /// bytes linking them would free (size times names beyond the first), largest first, then by
    /// first path, so that a report of the same tree always reads the same.
    ///
    /// Paths compare as byte strings (`lexicographicallyPrecedes`), not as text: `a-b` sorts before
    /// `a/b`, and names need not be UTF-8. Each directory's path is built once, and a name's path
    /// is compared where its parts are (`NamePaths`).
    static func ordered(_ classes: [DuplicateClass], table: PathTable, files: [FileRecord]) -> [DuplicateClass] {
        NamePaths(table: table, files: files, namesIn: classes).withComparator { precedes in
            // Paths are numbered in order of class, member and name; `number` follows along.
            var number = 0
            var order: [Int] = []
            var memberFirstPaths: [Int] = []
            var keyed: [(firstPath: Int, reclaimable: Int64, value: DuplicateClass)] = []
            keyed.reserveCapacity(classes.count)
            for duplicateClass in classes {
                var sorted = duplicateClass
                memberFirstPaths.removeAll(keepingCapacity: true)
                for index in sorted.members.indices {
                    let names = sorted.members[index].names
                    let first = number
                    number += names.count
                    guard names.count > 1 else {
                        memberFirstPaths.append(first)
                        continue
                    }
                    // Sorts positions, then moves the names once, if at all.
                    order.removeAll(keepingCapacity: true)
                    order.append(contentsOf: names.indices)
                    order.sort { precedes(first + $0, first + $1) }
                    if !order.elementsEqual(names.indices) { sorted.members[index].names = NameList(order.map { names[$0] }) }
                    memberFirstPaths.append(first + order[0])
                }
                order.removeAll(keepingCapacity: true)
                order.append(contentsOf: sorted.members.indices)
                order.sort { precedes(memberFirstPaths[$0], memberFirstPaths[$1]) }
                if !order.elementsEqual(sorted.members.indices) {
                    let members = sorted.members
                    sorted.members = order.map { members[$0] }
                }
                keyed.append((memberFirstPaths[order[0]], sorted.size * Int64(sorted.nameCount - 1), sorted))
            }
            keyed.sort {
                $0.reclaimable != $1.reclaimable ? $0.reclaimable > $1.reclaimable : precedes($0.firstPath, $1.firstPath)
            }
            return keyed.map(\.value)
        }
    }
}
