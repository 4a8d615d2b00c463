import SystemPackage

/// A directory opened (and checked) by `DirectoryHandle.open`, kept open for the next actions.
final class LinkOpenDirectory {
    /// The directory's index in the scan's path table.
    let index: Int32
    private let handle: DirectoryHandle

    /// Takes ownership of an opened directory.
    /// Whether the directory is on overlayfs, learnt when it was opened: a hard link there copies
    /// a lower-layer file up and frees nothing, whatever the plan says.
    let isOverlay: Bool

    init(index: Int32, handle: consuming DirectoryHandle) {
        self.index = index
        isOverlay = (try? Syscalls.filesystemType(of: handle.descriptor)) == Syscalls.overlayfsMagic
        self.handle = handle
    }

    /// The open descriptor, valid while this object lives.
    var descriptor: FileDescriptor { handle.descriptor }
}

/// The few directories opened last: the keeper's and the duplicate's directories of one class are
/// usually the same from one action to the next.
final class LinkDirectoryCache {
    private var entries: [LinkOpenDirectory] = []
    private let capacity: Int

    /// Creates an empty cache that keeps at most `capacity` (at least 2) directories open.
    init(capacity: Int) {
        self.capacity = max(2, capacity)
    }

    /// Returns the open directory `index`, opening its chain and checking it on first use.
    func open(_ index: Int32, in table: PathTable) throws(DupelinkError) -> LinkOpenDirectory {
        if let position = entries.firstIndex(where: { $0.index == index }) {
            let entry = entries.remove(at: position)
            entries.insert(entry, at: 0)
            return entry
        }
        let entry = LinkOpenDirectory(index: index, handle: try DirectoryHandle.open(directory: index, in: table))
        entries.insert(entry, at: 0)
        if entries.count > capacity { entries.removeLast() }
        return entry
    }
}
