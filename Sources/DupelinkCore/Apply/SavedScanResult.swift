extension SavedScan {
    /// Rebuilds the scan as a `ScanResult`, so the link planner, the reports and the linker work on
    /// it as on a fresh scan.
    ///
    /// Each name's path is split into the root it lies under (the longest matching root) and the
    /// components below it. The root is opened as the walk opened it; the directory that holds the
    /// name keeps the identity the scan saw, and the directories in between are recorded as
    /// `FileID.unverifiedDirectory` (see `DirectoryHandle.open` for why that is safe). A root's own
    /// identity is known, and checked, when a saved name lies directly in it. Every member keeps its
    /// fingerprint from compare time, which the linker re-checks before it changes anything.
    ///
    /// Touches no disk. Classes left with fewer than two names are dropped. The rebuilt result has
    /// no diagnostics: the warnings of the original scan are not saved.
    /// - Throws: `DupelinkError(.invalidInput)` naming the path when a name does not lie under any
    ///   root, has an empty, `.` or `..` component or a NUL byte, a component longer than 255
    ///   bytes, or when one directory path was saved with two identities.
    public func scanResult() throws(DupelinkError) -> ScanResult {
        var builder = ScanTableBuilder(roots: roots)
        try builder.learnDirectories(of: classes)
        var files: [FileRecord] = []
        var rebuilt: [DuplicateClass] = []
        for savedClass in classes where savedClass.nameCount >= 2 {
            var members: [Member] = []
            for savedMember in savedClass.members where !savedMember.names.isEmpty {
                var names: [Int32] = []
                for name in savedMember.names {
                    let (directory, component) = try builder.place(name)
                    let (start, length) = builder.table.appendName(component)
                    files.append(
                        FileRecord(directory: directory, nameStart: start, nameLength: UInt16(length), status: savedMember.status))
                    names.append(Int32(files.count - 1))
                    guard builder.table.path(ofFile: files[files.count - 1]) == name.path else {
                        throw DupelinkError(.invalidInput, path: name.path, detail: "the path cannot be rebuilt from its root")
                    }
                }
                var member = Member(names: names, status: savedMember.status, attributes: savedMember.attributes)
                member.sharedExtents = savedMember.sharedExtents
                members.append(member)
            }
            rebuilt.append(DuplicateClass(size: savedClass.size, digest: savedClass.digest, members: members))
        }
        return ScanResult(roots: roots, table: builder.table, files: files, classes: rebuilt, diagnostics: [], statistics: statistics)
    }
}

/// Builds a `PathTable` from full paths: one node per root and per directory below it, each
/// directory stored once, with its identity when a saved name tells it.
struct ScanTableBuilder {
    /// The table built so far.
    var table = PathTable()
    /// The roots with trailing slashes removed (as the walk removes them), in saved order.
    private let roots: [[UInt8]]
    /// The node of each directory path already added.
    private var nodes: [[UInt8]: Int32] = [:]
    /// The identity each directory path was saved with, from the names directly in it.
    private var identities: [[UInt8]: FileID] = [:]

    private static let slash = UInt8(ascii: "/")

    /// Creates a builder for the roots as given to the scan.
    init(roots: [[UInt8]]) {
        self.roots = roots.map { root in
            var root = root
            while root.count > 1 && root.last == Self.slash { root.removeLast() }
            return root
        }
    }

    /// Records the identity of the directory that holds each name.
    ///
    /// - Throws: `DupelinkError(.invalidInput)` when one directory path has two identities.
    mutating func learnDirectories(of classes: [SavedClass]) throws(DupelinkError) {
        for savedClass in classes {
            for member in savedClass.members {
                for name in member.names {
                    let directory = try split(name.path).directory
                    if let known = identities[directory], known != name.directory {
                        throw DupelinkError(
                            .invalidInput, path: directory,
                            detail: "this directory is given two identities (\(known) and \(name.directory))")
                    }
                    identities[directory] = name.directory
                }
            }
        }
    }

    /// Adds the directories of `name` and returns the node that holds it, with its last component.
    ///
    /// - Throws: `DupelinkError(.invalidInput)` when the path does not split under a root.
    mutating func place(_ name: SavedName) throws(DupelinkError) -> (directory: Int32, name: [UInt8]) {
        let parts = try split(name.path)
        var node = rootNode(parts.rootIndex, path: parts.rootDirectory, isShown: parts.isShown)
        var path = parts.rootDirectory
        for component in parts.components {
            if path.last != Self.slash { path.append(Self.slash) }
            path += component
            if let existing = nodes[path] {
                node = existing
                continue
            }
            let id = identities[path] ?? .unverifiedDirectory
            node = table.addDirectory(parent: node, name: component, id: id, root: parts.rootIndex)
            nodes[path] = node
        }
        return (node, parts.name)
    }

    private mutating func rootNode(_ rootIndex: Int32, path: [UInt8], isShown: Bool) -> Int32 {
        if let existing = nodes[path] { return existing }
        let id = identities[path] ?? .unverifiedDirectory
        let node = table.addDirectory(parent: -1, name: path, id: id, root: rootIndex, isShown: isShown)
        nodes[path] = node
        return node
    }

    /// A path split under its root: the root's directory (the root itself, or for a root that
    /// names a file, the file's directory), the components between it and the name, and the name.
    private struct Split {
        var rootIndex: Int32
        var rootDirectory: [UInt8]
        var isShown: Bool
        var components: [[UInt8]]
        var name: [UInt8]

        /// The full path of the directory holding the name.
        var directory: [UInt8] {
            var path = isShown ? rootDirectory : []
            for component in components {
                if !path.isEmpty && path.last != ScanTableBuilder.slash { path.append(ScanTableBuilder.slash) }
                path += component
            }
            return path.isEmpty ? rootDirectory : path
        }
    }

    /// Splits `path` under the longest root it lies in.
    private func split(_ path: [UInt8]) throws(DupelinkError) -> Split {
        guard !path.contains(0) else {
            throw DupelinkError(.invalidInput, path: path, detail: "the path holds a NUL byte")
        }
        var best: Int? = nil
        for (index, root) in roots.enumerated() where Self.path(path, isUnder: root) || path == root {
            if best.map({ roots[$0].count < root.count }) ?? true { best = index }
        }
        guard let best else {
            throw DupelinkError(.invalidInput, path: path, detail: "the path is not under any root of the scan")
        }
        let root = roots[best]
        if path == root {
            // A root that names a file: its directory is the root node, as the walk made it.
            guard let slash = root.lastIndex(of: Self.slash) else {
                return Split(rootIndex: Int32(best), rootDirectory: [UInt8(ascii: ".")], isShown: false, components: [], name: root)
            }
            let directory = slash == 0 ? [Self.slash] : Array(root[..<slash])
            let name = Array(root[(slash + 1)...])
            try checkComponents([name], of: path)
            return Split(rootIndex: Int32(best), rootDirectory: directory, isShown: true, components: [], name: name)
        }
        let rest = path[(root.last == Self.slash ? root.count : root.count + 1)...]
        var components = rest.split(separator: Self.slash, omittingEmptySubsequences: false).map(Array.init)
        try checkComponents(components, of: path)
        let name = components.removeLast()
        return Split(rootIndex: Int32(best), rootDirectory: root, isShown: true, components: components, name: name)
    }

    private func checkComponents(_ components: [[UInt8]], of path: [UInt8]) throws(DupelinkError) {
        for component in components {
            if component.isEmpty || component == [UInt8(ascii: ".")] || component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                throw DupelinkError(
                    .invalidInput, path: path, detail: "the path has an empty, '.' or '..' component below its root")
            }
            if component.count > 255 {
                throw DupelinkError(.invalidInput, path: path, detail: "a component is longer than 255 bytes")
            }
        }
    }

    /// Whether `path` lies below the directory `root`, matching whole components.
    static func path(_ path: [UInt8], isUnder root: [UInt8]) -> Bool {
        guard !root.isEmpty, path.count > root.count, path.starts(with: root) else { return false }
        return root.last == slash || path[root.count] == slash
    }
}
