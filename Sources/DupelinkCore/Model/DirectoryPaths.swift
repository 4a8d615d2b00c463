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
        let directory = Int(record.directory)
        build(record.directory)
        let start = starts[directory]
        let end = ends[directory]
        bytes.withUnsafeBufferPointer { result.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<end])) }
        if PathTable.needsSlash(after: bytes[start..<end]) { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: table.name(ofFile: record))
    }

    /// Whether the full path of the file `record` is valid UTF-8, without looking at its
    /// directory's path again.
    ///
    /// A path is its directory's path, perhaps a `/`, and the name; the parts meet where the
    /// directory's path ends in `/` or is empty, so each part decodes on its own and the path is
    /// valid exactly when both parts are: an invalid sequence in one part stays invalid, since
    /// what follows it is `/` or nothing, and what a valid part ends on is a whole character.
    mutating func isUTF8(ofFile record: FileRecord) -> Bool {
        build(record.directory)
        return isUTF8[Int(record.directory)] && (try? UTF8Span(validating: table.name(ofFile: record).span)) != nil
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
                let slash = PathTable.needsSlash(after: bytes[parentStart..<parentEnd])
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
