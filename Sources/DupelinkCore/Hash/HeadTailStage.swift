import SystemPackage

/// The second narrowing: a digest of each candidate's first and last block splits most groups of
/// same-size files that differ, at the cost of one or two small reads per file.
///
/// Files of up to `wholeFileLimit` bytes are read and digested whole: for them the digest is the
/// full XXH3-128, so only true duplicates survive.
package enum HeadTailStage {
    /// The size of the head and of the tail block.
    package static let blockSize = 4096
    /// Files read by one batch of the pool.
    static let batchSize = 1 << 16
    /// Files up to this size are digested whole in this stage.
    package static let wholeFileLimit: Int64 = 16 * 1024

    /// What reading one file gave: kept small, one per file read.
    enum Outcome: Sendable {
        /// The digest, the change time `fstat` saw on the descriptor that was read (the catalog
        /// stores it with the digest), and the bytes read.
        case digest(Digest, changeTime: Int64, bytesRead: Int32)
        indirect case failed(DupelinkError)
    }

    /// A head/tail digest computed in this run, for the catalog: the file (an index into the
    /// walk's records, whose inode, size and mtime the open checked) and its change time when read.
    package struct Computed: Sendable {
        package var file: Int32
        package var changeTime: Int64
        package var digest: Digest
    }

    /// Whether the head/tail digest of a file of `size` bytes is its full digest.
    package static func coversWholeFile(size: Int64) -> Bool { size <= wholeFileLimit }

    /// Reads the head and tail of every member of every group on the pool, and returns the
    /// groups split by digest, singletons dropped.
    ///
    /// `known` supplies digests already known (from the catalog), one per member, group after
    /// group (nil for a file to read); those files are not read.
    /// The digests of the files that were read are appended to `computed`, for the catalog.
    /// Touches the disk: reads files, changes nothing.
    /// - Throws: `DupelinkError(.cancelled)` when a stop was requested.
    static func split(
        _ groups: [[Member]], opener: FileOpener, pool: WorkerPool, order: ReadPolicy.Order = .directoryThenInode,
        positions: DiskPositions? = nil, dropBehind: Bool = false, wholeReadLimit: Int64 = 0, known: [Digest?]? = nil,
        progress: ScanProgress?, statistics: inout ScanStatistics, diagnostics: inout [Diagnostic],
        computed: inout [Computed]?
    ) throws(DupelinkError) -> [(members: [Member], digest: Digest)] {
        // Every member's digest in one flat array, group after group; known ones filled in now.
        var firstOfGroup: [Int] = []
        firstOfGroup.reserveCapacity(groups.count)
        var total = 0
        for group in groups {
            firstOfGroup.append(total)
            total += group.count
        }
        var digests = known ?? [Digest?](repeating: nil, count: total)
        precondition(digests.count == total, "one known digest per member")
        let jobs = readingOrder(
            groups, firstOfGroup: firstOfGroup, digests: digests, order: order, positions: positions, opener: opener)
        let memberOf = { @Sendable (job: (group: Int32, member: Int32)) in groups[Int(job.group)][Int(job.member)] }
        progress?.begin(.headTail, jobs: jobs.count)
        computed?.reserveCapacity(jobs.count)
        // In batches, so that the outcomes of a million files are never all held at once.
        for batch in stride(from: 0, to: jobs.count, by: batchSize) {
            let end = min(batch + batchSize, jobs.count)
            let outcomes = try pool.map(
                count: end - batch,
                makeState: { ReadBuffers(count: 1, capacity: Int(max(wholeFileLimit, wholeReadLimit))) },
                { index, buffers in
                    let outcome = digest(
                        memberOf(jobs[batch + index]), opener: opener, buffers: buffers, dropBehind: dropBehind,
                        wholeReadLimit: wholeReadLimit)
                    if case .digest(_, _, let bytes) = outcome { progress?.addBytesRead(Int(bytes)) }
                    progress?.jobFinished()
                    return outcome
                })
            for (job, outcome) in zip(jobs[batch..<end], outcomes) {
                switch outcome {
                case .digest(let digest, let changeTime, let bytes):
                    digests[firstOfGroup[Int(job.group)] + Int(job.member)] = digest
                    computed?.append(Computed(file: memberOf(job).names[0], changeTime: changeTime, digest: digest))
                    statistics.bytesReadHeadTail += Int64(bytes)
                case .failed(let error):
                    diagnostics.append(Diagnostic(.hash, error))
                }
            }
        }
        return splitByDigest(groups, firstOfGroup: firstOfGroup, digests: digests)
    }

    /// One job per inode that needs reading (no digest yet), in the order to read them:
    /// directory by directory (a worker keeps its last directory open), in inode order within
    /// one so a disk reads roughly in layout order; on a spinning disk (`order` .physical), by
    /// device and position across the whole filesystem: where `positions` says the data begins,
    /// else the inode number. The sort keys are gathered first: fetching them in the comparator
    /// cost more than the sort.
    private static func readingOrder(
        _ groups: [[Member]], firstOfGroup: [Int], digests: [Digest?], order: ReadPolicy.Order,
        positions: DiskPositions?, opener: FileOpener
    ) -> [(group: Int32, member: Int32)] {
        var keyed: [(directory: Int64, inode: UInt64, group: Int32, member: Int32)] = []
        for (g, group) in groups.enumerated() {
            for (m, member) in group.enumerated() where digests[firstOfGroup[g] + m] == nil {
                switch order {
                case .directoryThenInode:
                    keyed.append((Int64(opener.files[Int(member.names[0])].directory), member.id.inode, Int32(g), Int32(m)))
                case .physical:
                    let (device, position) = (positions ?? DiskPositions()).key(member.id)
                    keyed.append((Int64(bitPattern: device), position, Int32(g), Int32(m)))
                }
            }
        }
        keyed.sort { ($0.directory, $0.inode) < ($1.directory, $1.inode) }
        return keyed.map { (group: $0.group, member: $0.member) }
    }

    /// Each group split by digest, singletons dropped: its members' positions sorted by digest,
    /// runs of two or more kept.
    private static func splitByDigest(
        _ groups: [[Member]], firstOfGroup: [Int], digests: [Digest?]
    ) -> [(members: [Member], digest: Digest)] {
        var result: [(members: [Member], digest: Digest)] = []
        var byDigest: [(digest: Digest, member: Int)] = []
        for (g, group) in groups.enumerated() {
            byDigest.removeAll(keepingCapacity: true)
            for m in group.indices {
                if let digest = digests[firstOfGroup[g] + m] { byDigest.append((digest, m)) }
            }
            if byDigest.count < 2 { continue }
            byDigest.sort { $0.digest != $1.digest ? $0.digest < $1.digest : $0.member < $1.member }
            var start = 0
            while start < byDigest.count {
                var end = start + 1
                while end < byDigest.count && byDigest[end].digest == byDigest[start].digest { end += 1 }
                if end - start > 1 { result.append((byDigest[start..<end].map { group[$0.member] }, byDigest[start].digest)) }
                start = end
            }
        }
        return result
    }

    /// Reads and digests one file's head and tail (or all of it when small).
    /// With `dropBehind`, a file none of whose pages were cached before is dropped from the
    /// page cache after its blocks are read (`--drop-cache`). A file of up to `wholeReadLimit`
    /// bytes is read whole in one request (on a spinning disk, one seek instead of two, and the
    /// content stage finds it cached), its digest still taken of its head and tail alone.
    static func digest(
        _ member: Member, opener: FileOpener, buffers: ReadBuffers, dropBehind: Bool = false, wholeReadLimit: Int64 = 0
    ) -> Outcome {
        let (descriptor, status): (FileDescriptor, FileStatus)
        do {
            (descriptor, status) = try opener.open(member.names[0], directories: buffers.directories)
        } catch {
            return .failed(error)
        }
        let wasUncached = dropBehind && Syscalls.cachedPages(descriptor, offset: 0, length: 0) == 0
        defer {
            if wasUncached { Syscalls.advise(descriptor, offset: 0, length: 0, advice: .dontNeed) }
            Syscalls.closeQuietly(descriptor)
        }
        let path = { opener.table.path(ofFile: opener.files[Int(member.names[0])]) }
        let size = status.size
        do {
            let hasher = buffers.hasher(0)
            if coversWholeFile(size: size) {
                let buffer = buffers.buffer(0, length: Int(size))
                let count = try Syscalls.read(descriptor, at: 0, into: buffer)
                guard count == Int(size) else {
                    return .failed(DupelinkError(.fileChanged, path: path(), detail: "shrank while being read"))
                }
                return .digest(XXH3Hasher.digest(UnsafeRawBufferPointer(buffer)), changeTime: status.changeTime, bytesRead: Int32(count))
            }
            hasher.hasher.reset()
            if size <= wholeReadLimit {
                let whole = buffers.buffer(0, length: Int(size))
                let count = try Syscalls.read(descriptor, at: 0, into: whole)
                guard count == Int(size) else {
                    return .failed(DupelinkError(.fileChanged, path: path(), detail: "shrank while being read"))
                }
                let bytes = UnsafeRawBufferPointer(whole)
                hasher.hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0..<blockSize]))
                hasher.hasher.update(UnsafeRawBufferPointer(rebasing: bytes[(count - blockSize)..<count]))
                return .digest(hasher.hasher.finalize(), changeTime: status.changeTime, bytesRead: Int32(count))
            }
            let head = buffers.buffer(0, length: blockSize)
            var count = try Syscalls.read(descriptor, at: 0, into: head)
            hasher.hasher.update(UnsafeRawBufferPointer(head))
            count += try Syscalls.read(descriptor, at: size - Int64(blockSize), into: head)
            hasher.hasher.update(UnsafeRawBufferPointer(head))
            guard count == 2 * blockSize else {
                return .failed(DupelinkError(.fileChanged, path: path(), detail: "shrank while being read"))
            }
            return .digest(hasher.hasher.finalize(), changeTime: status.changeTime, bytesRead: Int32(count))
        } catch {
            return .failed(DupelinkError(.ioError, path: path(), errno: error, operation: "read"))
        }
    }
}
