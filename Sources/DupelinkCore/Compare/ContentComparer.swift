import SystemPackage

/// The last narrowing: reads candidate files in full, side by side, and splits them wherever their
/// bytes differ, computing each file's full XXH3-128 digest on the same pass.
///
/// The full digest and the byte comparison share one read of each file: reading every member in
/// chunks at the same offset and comparing the chunks is the byte-for-byte confirmation, and
/// feeding the same chunks to a hasher gives the digest the catalog keeps. A group larger than
/// `fanOut` is first split by full digest, then each class is confirmed against its first member
/// in batches, so no more than `fanOut` files are open per worker.
///
/// Only byte-identical files come out in one class. A file that changes while being read (its size,
/// mtime or ctime differ after the read from before it) is left out with a diagnostic.
///
/// A sparse file (fewer blocks allocated than its size) is read by its data map (`DataMap`): its
/// holes are not read but compared and hashed as the zeros they hold, so two 8 GiB files with
/// 64 MiB of data cost 64 MiB of reads each, and the outcome is that of reading every byte.
package struct ContentComparer: Sendable {
    /// The bytes read from each file per step.
    package var chunkSize: Int
    /// The most files read side by side by one worker.
    package var fanOut: Int
    /// Whether groups are read in disk order (by device and least inode) instead of largest
    /// first: on a spinning disk, where the head's travel costs more than an idle reader.
    package var diskOrder = false
    /// Where the members' data begins, for `diskOrder` (by inode when absent).
    package var positions: DiskPositions?
    /// Whether pages a read brought into the page cache are dropped right after it
    /// (`--drop-cache`), so that a scan of a backup disk does not evict what the machine keeps
    /// cached; pages that were cached before are left alone.
    package var dropBehind = false

    /// Creates a comparer.
    package init(chunkSize: Int = 1 << 18, fanOut: Int = 16) {
        self.chunkSize = max(4096, chunkSize)
        self.fanOut = max(2, fanOut)
    }

    /// The result of comparing one group.
    struct GroupResult: Sendable {
        /// Every member that was read in full, partitioned into byte-identical sets with their full
        /// digest; a set of one is a file unlike every other in the group.
        var partitions: [(digest: Digest, members: [Member])] = []
        var failures: [DupelinkError] = []
        var bytesRead: Int64 = 0
    }

    /// Compares every group on the pool and returns, for each (in the order given), its members
    /// partitioned by content.
    ///
    /// Touches the disk: reads files, changes nothing.
    /// - Throws: `DupelinkError(.cancelled)` when a stop was requested.
    func partitions(
        _ groups: [[Member]], size: (Int) -> Int64, opener: FileOpener, pool: WorkerPool, progress: ScanProgress?
    ) throws(DupelinkError) -> [GroupResult] {
        // Largest groups first, so the longest jobs do not start last; on a spinning disk, in
        // the disk's order.
        let order: [Int]
        if diskOrder {
            let positions = positions ?? DiskPositions()
            let first = groups.map { group in group.map { positions.key($0.id) }.min { $0 < $1 } ?? (0, 0) }
            order = groups.indices.sorted { first[$0] < first[$1] }
        } else {
            order = groups.indices.sorted {
                size($0) * Int64(groups[$0].count) > size($1) * Int64(groups[$1].count)
            }
        }
        let sizes = order.map { size($0) }
        let ordered = order.map { groups[$0] }
        progress?.begin(.content, jobs: ordered.count)
        let comparer = self
        let results = try pool.map(
            count: ordered.count,
            makeState: { ReadBuffers(count: comparer.fanOut, capacity: comparer.chunkSize) },
            { index, buffers in
                var result = GroupResult()
                comparer.compare(ordered[index], size: sizes[index], opener: opener, buffers: buffers, progress: progress,
                    into: &result)
                progress?.jobFinished()
                return result
            })
        // Back in the order the groups were given.
        var inOrder = [GroupResult](repeating: GroupResult(), count: groups.count)
        for (position, group) in order.enumerated() { inOrder[group] = results[position] }
        return inOrder
    }

    /// Partitions one group of same-size files into sets of identical files.
    func compare(
        _ members: [Member], size: Int64, opener: FileOpener, buffers: ReadBuffers, progress: ScanProgress?,
        into result: inout GroupResult
    ) {
        if members.count <= fanOut {
            result.partitions += sideBySide(members, size: size, opener: opener, buffers: buffers, progress: progress,
                into: &result)
            return
        }
        // Too many to read side by side: digest each alone, then confirm each digest class.
        var byDigest: [Digest: [Member]] = [:]
        for member in members {
            for (digest, single) in sideBySide([member], size: size, opener: opener, buffers: buffers,
                progress: progress, into: &result) {
                byDigest[digest, default: []].append(contentsOf: single)
            }
        }
        for (digest, candidates) in byDigest {
            confirm(candidates, digest: digest, size: size, opener: opener, buffers: buffers, progress: progress,
                into: &result)
        }
    }

    /// Confirms byte for byte that `candidates` (all with `digest`) are identical, comparing
    /// batches of them against the first; any that differ (a digest collision) are confirmed among
    /// themselves.
    private func confirm(
        _ candidates: [Member], digest: Digest, size: Int64, opener: FileOpener, buffers: ReadBuffers,
        progress: ScanProgress?, into result: inout GroupResult
    ) {
        guard candidates.count > 1 else {
            result.partitions += candidates.map { (digest, [$0]) }
            return
        }
        var pending = Array(candidates.dropFirst())
        var representative: Member? = candidates[0]
        var matched: [Member] = []
        var leftovers: [Member] = []
        while let current = representative, !pending.isEmpty {
            let batch = [current] + pending.prefix(fanOut - 1)
            pending.removeFirst(min(fanOut - 1, pending.count))
            representative = nil
            for (_, partition) in sideBySide(batch, size: size, opener: opener, buffers: buffers, progress: progress,
                into: &result) {
                if let updated = partition.first(where: { $0.id == current.id }) {
                    representative = updated
                    matched.append(contentsOf: partition.filter { $0.id != current.id })
                } else {
                    leftovers.append(contentsOf: partition)
                }
            }
        }
        if let representative {
            result.partitions.append((digest, [representative] + matched))
        } else {
            // The representative itself failed (vanished, changed): start over from the rest.
            leftovers.append(contentsOf: pending + matched)
        }
        if !leftovers.isEmpty {
            confirm(leftovers, digest: digest, size: size, opener: opener, buffers: buffers, progress: progress,
                into: &result)
        }
    }

    /// Reads `members` (at most `fanOut`) side by side, in full, and returns them partitioned by
    /// content, each partition with its full digest; a file unlike all the others is a partition
    /// of one (read to the end all the same, so the catalog can remember its digest and a rescan
    /// need not read it). Members that could not be read, or changed while being read, are
    /// recorded as failures and left out.
    /// A file the content stage has open: whose it is, its status when opened, and whether its
    /// pages are dropped behind the reads.
    private typealias OpenFile = (member: Member, descriptor: FileDescriptor, status: FileStatus, drops: Bool)

    private func sideBySide(
        _ members: [Member], size: Int64, opener: FileOpener, buffers: ReadBuffers, progress: ScanProgress?,
        into result: inout GroupResult
    ) -> [(Digest, [Member])] {
        // With `dropBehind`, a file none of whose pages were cached when it was opened has each
        // chunk dropped once read, and the rest (read-ahead) when it is closed; a file with pages
        // cached is left alone: they are somebody's.
        var open: [OpenFile] = []
        defer {
            for file in open {
                if file.drops { Syscalls.advise(file.descriptor, offset: 0, length: 0, advice: .dontNeed) }
                Syscalls.closeQuietly(file.descriptor)
            }
        }
        for member in members {
            do {
                let (descriptor, status) = try opener.open(member.names[0], directories: buffers.directories)
                Syscalls.advise(descriptor, offset: 0, length: 0, advice: .sequential)
                let drops = dropBehind && Syscalls.cachedPages(descriptor, offset: 0, length: 0) == 0
                open.append((member, descriptor, status, drops))
            } catch {
                result.failures.append(error)
            }
        }
        if open.isEmpty { return [] }
        for index in open.indices { buffers.hasher(index).hasher.reset() }
        // A sparse file's holes read as zeros: a chunk wholly in a hole is not read, but compared
        // and hashed as the zeros it holds, so the partitions and digests are those of reading
        // every byte. Dense files get no map and are read as always.
        let maps = open.map { DataMap.map(of: $0.descriptor, status: $0.status) }
        // What each file's current chunk holds: its buffer, or zeros for a hole.
        var chunks = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: open.count)
        var partitions: [[Int]] = [Array(open.indices)]
        var offset: Int64 = 0
        while offset < size && !partitions.isEmpty {
            let length = Int(min(Int64(chunkSize), size - offset))
            var failed = Set<Int>()
            for index in partitions.joined() {
                if let map = maps[index], map.isHole(offset..<offset + Int64(length)) {
                    chunks[index] = buffers.zeros(length: length)
                    buffers.hasher(index).hasher.update(chunks[index])
                    continue
                }
                let buffer = buffers.buffer(index, length: length)
                chunks[index] = UnsafeRawBufferPointer(buffer)
                do {
                    let descriptor = open[index].descriptor
                    let count = try Syscalls.read(descriptor, at: offset, into: buffer)
                    if open[index].drops {
                        Syscalls.advise(descriptor, offset: offset, length: Int64(length), advice: .dontNeed)
                    }
                    result.bytesRead += Int64(count)
                    progress?.addBytesRead(count)
                    if count != length {
                        result.failures.append(DupelinkError(.fileChanged,
                            path: opener.table.path(ofFile: opener.files[Int(open[index].member.names[0])]),
                            detail: "shrank while being read"))
                        failed.insert(index)
                        continue
                    }
                } catch {
                    result.failures.append(DupelinkError(.ioError,
                        path: opener.table.path(ofFile: opener.files[Int(open[index].member.names[0])]),
                        errno: error, operation: "read"))
                    failed.insert(index)
                    continue
                }
                buffers.hasher(index).hasher.update(UnsafeRawBufferPointer(buffer))
            }
            partitions = Self.refined(partitions, chunks: chunks, failed: failed, length: length)
            offset += Int64(length)
        }
        return unchangedPartitions(partitions, of: open, opener: opener, buffers: buffers, into: &result)
    }

    /// Each partition split by the chunk its members just read, members whose read `failed` left
    /// out; a partition of one only loses its member on failure.
    private static func refined(
        _ partitions: [[Int]], chunks: [UnsafeRawBufferPointer], failed: Set<Int>, length: Int
    ) -> [[Int]] {
        var next: [[Int]] = []
        for partition in partitions {
            if partition.count == 1 {
                if !failed.contains(partition[0]) { next.append(partition) }
                continue
            }
            var buckets: [[Int]] = []
            for index in partition where !failed.contains(index) {
                let bytes = chunks[index]
                if let bucket = buckets.firstIndex(where: {
                    // Two holes are the same zeros; a hole and a read chunk compare as bytes.
                    let other = chunks[$0[0]]
                    return other.baseAddress == bytes.baseAddress
                        || compareBytes(other.baseAddress!, bytes.baseAddress!, count: length) == 0
                }) {
                    buckets[bucket].append(index)
                } else {
                    buckets.append([index])
                }
            }
            next.append(contentsOf: buckets)
        }
        return next
    }

    /// The partitions read to the end, with their full digests, keeping only the members whose
    /// status after reading equals their status when opened (the snapshot the linker will
    /// trust); the others changed under us and are failures.
    private func unchangedPartitions(
        _ partitions: [[Int]], of open: [OpenFile], opener: FileOpener, buffers: ReadBuffers,
        into result: inout GroupResult
    ) -> [(Digest, [Member])] {
        var classes: [(Digest, [Member])] = []
        for partition in partitions {
            var confirmed: [Member] = []
            for index in partition {
                let file = open[index]
                let path = { opener.table.path(ofFile: opener.files[Int(file.member.names[0])]) }
                guard let after = try? Syscalls.status(of: file.descriptor), after.isUnchanged(comparedTo: file.status)
                else {
                    result.failures.append(DupelinkError(.fileChanged, path: path(), detail: "changed while being read"))
                    continue
                }
                var member = file.member
                member.status = after
                confirmed.append(member)
            }
            if !confirmed.isEmpty {
                classes.append((buffers.hasher(partition[0]).hasher.finalize(), confirmed))
            }
        }
        return classes
    }
}
