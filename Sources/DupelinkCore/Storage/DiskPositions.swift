import SystemPackage

/// Where each candidate's data begins on its disk, so that a spinning disk is read in the order
/// its head meets the files: the physical offset of a file's first extent (`FS_IOC_FIEMAP`), or,
/// on a filesystem that does not map extents (tmpfs, some network and FUSE filesystems), its
/// inode number, which ext4, XFS and btrfs allocate near enough in layout order.
///
/// Reads metadata only: each candidate is opened (its inode is cached since the walk stat'ed it)
/// and asked for one extent.
package struct DiskPositions: Sendable {
    /// Sort keys by inode: device first, then the position.
    private var keys: [FileID: UInt64] = [:]
    /// The devices whose files answered FIEMAP; the others are ordered by inode.
    package private(set) var mappedDevices = Set<UInt64>()

    /// Positions by inode number alone.
    package init() {}

    /// Asks where every member of `groups` begins, on the pool.
    ///
    /// Touches the disk: opens files (reads no content) and maps their first extent.
    /// - Throws: `DupelinkError(.cancelled)` when a stop was requested.
    static func locate(_ groups: [[Member]], opener: FileOpener, pool: WorkerPool) throws(DupelinkError) -> DiskPositions {
        let members = groups.flatMap { $0 }
        let offsets = try pool.map(count: members.count, makeState: { ReadBuffers(count: 1, capacity: 4096) }) { index, buffers in
            guard let (descriptor, _) = try? opener.open(members[index].names[0], directories: buffers.directories) else {
                return UInt64?.none
            }
            defer { Syscalls.closeQuietly(descriptor) }
            do {
                // A file without a placed extent (all holes, not yet allocated) sorts first.
                return try Syscalls.firstExtentOffset(of: descriptor) ?? 0
            } catch {
                return nil
            }
        }
        var positions = DiskPositions()
        var unmapped = Set<UInt64>()
        for (member, offset) in zip(members, offsets) {
            if let offset {
                positions.keys[member.id] = offset
                positions.mappedDevices.insert(member.id.device)
            } else {
                // The filesystem does not map extents (or the file is gone).
                unmapped.insert(member.id.device)
            }
        }
        // A device where some file could not be mapped is ordered by inode throughout: offsets
        // and inode numbers do not sort together.
        positions.mappedDevices.subtract(unmapped)
        return positions
    }

    /// The key a member sorts by: its device, then its first extent's offset where its device
    /// answered FIEMAP for every candidate, else its inode number.
    package func key(_ id: FileID) -> (UInt64, UInt64) {
        guard mappedDevices.contains(id.device), let offset = keys[id] else { return (id.device, id.inode) }
        return (id.device, offset)
    }
}
