/// How the scan reads the files it must read: how many readers at once, in what order, and in
/// what runs, chosen from the storage below them.
///
/// A spinning disk pays 8 to 12 ms to move its head, the time it takes to transfer 1 to 2 MB:
/// many readers, or files read side by side in small chunks, turn nearly every request into a
/// seek. On storage that spins (or that cannot be told apart from one that does) the scan reads
/// with a few readers per disk, the head/tail blocks in inode order across the filesystem (the
/// order in which ext4, XFS and btrfs lay files out, near enough), the groups in that order too,
/// and the content in long runs per file, bounded by a memory budget. Flash and memory keep many
/// readers and short chunks, which is faster there.
package struct ReadPolicy: Sendable, Hashable {
    /// In what order the head/tail stage reads candidates.
    package enum Order: String, Sendable, Hashable {
        /// Directory by directory, in inode order within each (a worker keeps its directory open).
        case directoryThenInode = "directory, then inode"
        /// By device and the physical offset of each file's first extent (`FS_IOC_FIEMAP`), or
        /// by inode number (the disk's order, near enough) where the filesystem does not map
        /// extents or no positions were taken (`DiskPositions`).
        case physical = "disk (first extent, else inode)"
    }

    /// The readers at once.
    package var readers: Int
    /// The head/tail stage's order (the content stage's too, when `diskOrder`).
    package var order: Order
    /// The bytes the content stage reads from each file per turn.
    package var chunkSize: Int
    /// Whether the content stage reads its groups in disk order instead of largest first.
    package var diskOrder: Bool
    /// Files up to this size are read whole by the head/tail stage, in one request (0: never).
    package var wholeReadLimit: Int64 = 0

    /// Readers per spinning disk. Measured on the simulated disk (`Benchmarks/hdd.sh`, NCQ):
    /// 1 reader 7.8 s, 2 readers 8.8 s, 4 readers 9.4 s for the same reads; the kernel's
    /// read-ahead keeps the disk's queue from running dry (mean depth 1.8) with one.
    package static let readersPerSpindle = 1
    /// What the content stage's read buffers may hold at once on a spinning disk.
    package static let memoryBudget = 256 << 20
    /// The longest run read from one file per turn.
    package static let longestRun = 16 << 20
    /// On a spinning disk, files up to this size are read whole by the head/tail stage: 1 MiB
    /// takes about as long to transfer as one seek, which reading the tail apart would cost.
    package static let spinningWholeRead: Int64 = 1 << 20

    /// Today's policy for flash: `jobs` readers, 256 KiB chunks, largest groups first.
    package static func parallel(jobs: Int, chunkSize: Int) -> ReadPolicy {
        ReadPolicy(readers: jobs, order: .directoryThenInode, chunkSize: chunkSize, diskOrder: false)
    }

    /// The policy for the filesystems that hold candidates: the spinning one when every such
    /// filesystem reads as rotational (`StorageKind.readsAsRotational`), with `readersPerSpindle`
    /// per disk below them (at most `jobs`), else `parallel`. With `jobsGiven`, `--jobs` readers
    /// whatever the storage.
    package static func choose(
        for filesystems: [FilesystemStorage], jobs: Int, jobsGiven: Bool, chunkSize: Int, fanOut: Int
    ) -> ReadPolicy {
        guard !filesystems.isEmpty, filesystems.allSatisfy({ $0.kind.readsAsRotational }) else {
            return parallel(jobs: jobs, chunkSize: chunkSize)
        }
        // Files on different disks may be read at the same time; a filesystem that names no disk
        // (network, FUSE) counts as one.
        var spindles = Set<String>()
        for filesystem in filesystems {
            if filesystem.disks.isEmpty { spindles.insert("device \(filesystem.device)") }
            spindles.formUnion(filesystem.disks)
        }
        let readers = jobsGiven ? jobs : max(1, min(jobs, readersPerSpindle * spindles.count))
        let run = max(chunkSize, min(longestRun, memoryBudget / max(1, readers * fanOut)))
        return ReadPolicy(readers: readers, order: .physical, chunkSize: run, diskOrder: true, wholeReadLimit: spinningWholeRead)
    }
}
