/// The paths of every name in a scan's classes, numbered in order of class, member and name, and
/// compared where their parts are (`PathParts`) without joining them.
///
/// Sorting by `PathTable.path(ofFile:)` inside a comparator built two fresh paths, each with an
/// array of its directories, for every comparison. Here a directory's path is built once
/// (`DirectoryPaths`), and a name is compared where the walk stored it.
struct NamePaths {
    private var directories: DirectoryPaths
    private let locations: [NameLocation]

    /// Finds the names of every member of `classes`, indices in `files`.
    init(table: PathTable, files: [FileRecord], namesIn classes: [DuplicateClass]) {
        // The locations first, in a loop that does nothing else: the records are scattered over
        // the walk's array, and this way the processor fetches many at once instead of one per
        // path compared.
        var locations: [NameLocation] = []
        locations.reserveCapacity(classes.reduce(0) { $0 + $1.nameCount })
        for duplicateClass in classes {
            for member in duplicateClass.members {
                for name in member.names { locations.append(NameLocation(files[Int(name)])) }
            }
        }
        directories = DirectoryPaths(table: table)
        directories.build(directoriesOf: locations)
        self.locations = locations
    }

    /// The number of names.
    var count: Int { locations.count }

    /// Calls `body` with a function that tells whether the path of name number `left` sorts
    /// before that of name number `right`; it holds the buffers open, so that comparisons do not
    /// copy or retain them.
    func withComparator<R>(_ body: ((_ left: Int, _ right: Int) -> Bool) throws -> R) rethrows -> R {
        try directories.withPaths(of: locations) { paths in try body { paths[$0].precedes(paths[$1]) } }
    }
}
