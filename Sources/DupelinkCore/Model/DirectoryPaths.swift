/// The full paths of a `PathTable`'s directories, each built once, from its parent's, the first
/// time a file in it asks.
///
/// `PathTable.path(ofFile:)` walks a file's chain of directories and allocates two arrays on every
/// call. Code that needs the paths of thousands of files (sorting a scan, writing a report) appends
/// them from here instead: the directory's bytes, a separator, the name. The bytes are exactly those
/// of `path(ofFile:)`: its rule for the separator (`PathTable.needsSlash(after:)`) is applied to a
/// parent's finished path, as the chain walk applies it.
struct DirectoryPaths {
    /// The table the paths are built from.
    let table: PathTable
    /// Every built directory path, one after another.
    private var bytes: [UInt8] = []
    /// Where each directory's path starts in `bytes`, or -1 while it is not built.
    private var starts: [Int]
    /// Where each directory's path ends in `bytes`.
    private var ends: [Int]
    /// Whether each directory's path is valid UTF-8.
    private var isUTF8: [Bool]
    /// The directories being built, reused.
    private var pending: [Int32] = []

    /// Creates an empty cache for `table`.
    init(table: PathTable) {
        self.table = table
        starts = Array(repeating: -1, count: table.directories.count)
        ends = Array(repeating: 0, count: table.directories.count)
        isUTF8 = Array(repeating: false, count: table.directories.count)
    }

    /// Appends the full path of the file `record`, as `PathTable.path(ofFile:)` spells it.
    mutating func appendPath(ofFile record: FileRecord, to result: inout [UInt8]) {
        appendPath(of: NameLocation(record), to: &result)
    }

    /// Appends the full path of the name at `location`, as `PathTable.path(ofFile:)` spells it.
    mutating func appendPath(of location: NameLocation, to result: inout [UInt8]) {
        let directory = Int(location.directory)
        build(location.directory)
        let start = starts[directory]
        let end = ends[directory]
        bytes.withUnsafeBufferPointer { arena in
            let path = UnsafeBufferPointer(rebasing: arena[start..<end])
            result.append(contentsOf: path)
            if PathTable.needsSlash(after: path) { result.append(UInt8(ascii: "/")) }
        }
        table.bytes.withUnsafeBufferPointer { names in result.append(contentsOf: UnsafeBufferPointer(rebasing: names[location.name])) }
    }

    /// Whether the full path of the name at `location` is valid UTF-8, without looking at its
    /// directory's path again.
    ///
    /// A path is its directory's path, perhaps a `/`, and the name; the parts meet where the
    /// directory's path ends in `/` or is empty, so each part decodes on its own and the path is
    /// valid exactly when both parts are: an invalid sequence in one part stays invalid, since
    /// what follows it is `/` or nothing, and what a valid part ends on is a whole character.
    mutating func isUTF8(_ location: NameLocation) -> Bool {
        build(location.directory)
        return isUTF8[Int(location.directory)] && (try? UTF8Span(validating: table.bytes.span.extracting(location.name))) != nil
    }

    /// Builds the paths of the directories of `locations`, so that `withPaths` can read them.
    mutating func build(directoriesOf locations: [NameLocation]) {
        for location in locations { build(location.directory) }
    }

    /// Calls `body` with the paths of the names at `locations`, each as its parts, in place; the
    /// directories of `locations` must be built.
    func withPaths<R>(of locations: [NameLocation], _ body: (Paths) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { directoryBytes in
            try starts.withUnsafeBufferPointer { starts in
                try ends.withUnsafeBufferPointer { ends in
                    try table.bytes.withUnsafeBufferPointer { names in
                        try locations.withUnsafeBufferPointer { locations in
                            try body(Paths(directoryBytes: directoryBytes, starts: starts, ends: ends, names: names,
                                locations: locations))
                        }
                    }
                }
            }
        }
    }

    /// Paths of names held open by `withPaths(of:_:)`.
    struct Paths {
        fileprivate let directoryBytes: UnsafeBufferPointer<UInt8>
        fileprivate let starts: UnsafeBufferPointer<Int>
        fileprivate let ends: UnsafeBufferPointer<Int>
        fileprivate let names: UnsafeBufferPointer<UInt8>
        fileprivate let locations: UnsafeBufferPointer<NameLocation>

        /// The path of the name at position `index` of the locations: its directory's path, the
        /// slash `PathTable.needsSlash(after:)` puts after it, the name.
        subscript(index: Int) -> PathParts {
            let location = locations[index]
            let directory = Int(location.directory)
            let path = UnsafeBufferPointer(rebasing: directoryBytes[starts[directory]..<ends[directory]])
            return PathParts(
                directory: path, slash: PathTable.needsSlash(after: path),
                name: UnsafeBufferPointer(rebasing: names[location.name]))
        }
    }

    /// Builds the path of `index` and of its ancestors that are not built yet, root first.
    private mutating func build(_ index: Int32) {
        var current = index
        while current >= 0 && starts[Int(current)] < 0 {
            pending.append(current)
            current = table.directories[Int(current)].parent
        }
        while let next = pending.popLast() {
            let directory = table.directories[Int(next)]
            let start = bytes.count
            if directory.parent >= 0 {
                let parentStart = starts[Int(directory.parent)]
                let parentEnd = ends[Int(directory.parent)]
                // Asked of a pointer, not a slice: a slice would hold the arena while it grows, and
                // the growing would copy it.
                let slash = bytes.withUnsafeBufferPointer {
                    PathTable.needsSlash(after: UnsafeBufferPointer(rebasing: $0[parentStart..<parentEnd]))
                }
                // The parent's path is earlier in the arena: grow it, then copy within it (appending
                // a slice of the arena to itself would copy the whole arena first).
                bytes.append(contentsOf: repeatElement(0, count: parentEnd - parentStart))
                bytes.withUnsafeMutableBufferPointer { arena in
                    guard let base = arena.baseAddress else { return }
                    (base + start).update(from: base + parentStart, count: parentEnd - parentStart)
                }
                if slash { bytes.append(UInt8(ascii: "/")) }
                bytes.append(contentsOf: table.name(ofDirectory: next))
            } else if directory.isShown {
                bytes.append(contentsOf: table.name(ofDirectory: next))
            }
            starts[Int(next)] = start
            ends[Int(next)] = bytes.count
            isUTF8[Int(next)] = (try? UTF8Span(validating: bytes.span.extracting(start...))) != nil
        }
    }
}
