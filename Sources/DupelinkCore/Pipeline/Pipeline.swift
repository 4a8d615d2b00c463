import Glibc

/// The scan, top to bottom: walk, group by size and fold hard links, digest heads and tails, then
/// read the survivors in full, comparing them byte for byte while computing their full digests;
/// then read the members' attributes and, on filesystems that share extents, map which blocks
/// they already share.
///
/// Each step narrows the candidate groups and none goes back up. Reads only: nothing here changes
/// the filesystem.
public struct Pipeline: Sendable {
    /// How to scan.
    public var options: ScanOptions

    /// Creates a pipeline.
    public init(options: ScanOptions) {
        self.options = options
    }

    /// Scans the roots and returns the duplicate classes found.
    ///
    /// With a `catalog`, head/tail digests of files whose size, mtime and ctime are unchanged since
    /// they were stored are taken from it instead of read, and the digests computed are stored
    /// back in one transaction. The catalog is used from this thread only, before and after each
    /// parallel pass; a catalog that fails is a diagnostic, and the scan goes on without it.
    ///
    /// Problems with single files are diagnostics in the result, not errors.
    /// Touches the disk: reads directories and files, changes nothing (but the catalog).
    /// - Throws: `DupelinkError(.cancelled)` when SIGINT or SIGTERM asked the run to stop.
    public func scan(
        roots: [[UInt8]], catalog: Catalog? = nil, progress: ScanProgress? = nil
    ) throws(DupelinkError) -> ScanResult {
        var statistics = ScanStatistics()
        // Within the process's descriptor limit (`ulimit -n`): threads and files read side by
        // side are cut to what it allows, rather than failing to open files once it is reached.
        let budget = DescriptorBudget(spare: Syscalls.spareDescriptors())
        var options = options
        options.walk.threads = budget.walkThreads(options.walk.threads)

        var clock = Stopwatch()
        progress?.begin(.walk)
        let walk = Walker(options: options.walk).walk(roots: roots, progress: progress)
        var diagnostics = walk.diagnostics
        statistics.rootsScanned = walk.rootsScanned
        statistics.filesWalked = walk.files.count
        statistics.bytesWalked = walk.files.reduce(0) { $0 + $1.status.size }
        statistics.specialFilesSkipped = walk.skippedSpecial
        statistics.storage = StorageProbe.filesystems(in: walk.table, readers: options.jobs)
        statistics.walkSeconds = clock.lap()
        if Cancellation.isRequested { throw DupelinkError(.cancelled) }

        // An unchanged tree: the newest saved scan's classes are this walk's, and nothing is read.
        var walkFingerprint: Digest? = nil
        if let catalog {
            let fingerprint = UnchangedWalk.fingerprint(roots: roots, table: walk.table, files: walk.files)
            walkFingerprint = fingerprint
            if diagnostics.isEmpty, let saved = try? catalog.unchangedScan(walkFingerprint: fingerprint),
                let classes = UnchangedWalk.classes(from: saved.classIndex, files: walk.files)
            {
                var reused = saved.statistics
                reused.rootsScanned = statistics.rootsScanned
                reused.filesWalked = statistics.filesWalked
                reused.bytesWalked = statistics.bytesWalked
                reused.specialFilesSkipped = statistics.specialFilesSkipped
                reused.walkSeconds = statistics.walkSeconds
                reused.storage = statistics.storage
                reused.bytesReadHeadTail = 0
                reused.bytesReadContent = 0
                reused.catalogHits = reused.filesAfterSizeGrouping
                reused.filesConfirmedByCatalog = reused.filesAfterHeadTail
                reused.headTailSeconds = clock.lap()
                reused.contentSeconds = 0
                let opener = FileOpener(table: walk.table, files: walk.files)
                let cache = DigestCacheSession(catalog: catalog, table: walk.table)
                var warnings: [Diagnostic] = []
                let pool = WorkerPool(threadCount: options.jobs)
                let withAttributes = try Self.readAttributes(
                    classes, opener: opener, pool: pool, cache: cache, statistics: &reused, diagnostics: &warnings)
                // Extents change without moving a file's times (dedupe): they are mapped afresh.
                let withExtents = try SharedExtentStage.read(withAttributes, opener: opener, pool: pool, statistics: &reused)
                progress?.begin(.done)
                var result = ScanResult(
                    table: walk.table, files: walk.files, classes: withExtents, diagnostics: warnings,
                    statistics: reused)
                result.walkFingerprint = fingerprint
                return result
            }
        }

        let bySize = SizeGrouping.candidateGroups(walk.files)
        statistics.filesAfterSizeGrouping = bySize.reduce(0) { $0 + $1.count }
        var policy = readPolicy(for: bySize, statistics: statistics)
        var comparer = options.comparer
        (policy.readers, comparer.fanOut) = budget.readers(policy.readers, fanOut: comparer.fanOut)
        for index in (statistics.storage ?? []).indices {
            statistics.storage?[index].readers = policy.readers
            statistics.storage?[index].order = policy.order.rawValue
            statistics.storage?[index].runBytes = policy.chunkSize
        }
        let pool = WorkerPool(threadCount: policy.readers)
        let opener = FileOpener(table: walk.table, files: walk.files)
        // On a spinning disk, where each candidate's data begins, to read them in that order.
        let positions = policy.order == .physical ? try DiskPositions.locate(bySize, opener: opener, pool: pool) : nil
        comparer.positions = positions
        comparer.chunkSize = policy.chunkSize
        comparer.diskOrder = policy.diskOrder

        var cache = DigestCacheSession(catalog: catalog, table: walk.table)
        let known = cache.headTailDigests(for: bySize, diagnostics: &diagnostics)
        statistics.catalogHits = known?.reduce(0) { $0 + ($1 == nil ? 0 : 1) } ?? 0

        // Only a catalog wants the digests computed here.
        var computed: [HeadTailStage.Computed]? = catalog == nil ? nil : []
        let byHeadTail = try HeadTailStage.split(
            bySize, opener: opener, pool: pool, order: policy.order, positions: positions, dropBehind: comparer.dropBehind,
            wholeReadLimit: policy.wholeReadLimit, known: known,
            progress: progress, statistics: &statistics,
            diagnostics: &diagnostics, computed: &computed)
        statistics.filesAfterHeadTail = byHeadTail.reduce(0) { $0 + $1.members.count }
        statistics.floorBytes = byHeadTail.reduce(0) { $0 + $1.members[0].status.size * Int64($1.members.count) }
        statistics.headTailSeconds = clock.lap()

        let content = cache.plan(byHeadTail)
        let sizeOfJob = { (job: Int) in content.jobs[job].members[0].status.size }
        var compared = try comparer.partitions(
            content.jobs.map(\.members), size: sizeOfJob, opener: opener, pool: pool, progress: progress)
        // A file read on behalf of its content group that could not be read (vanished, changed)
        // vouches for nobody: its whole head/tail group is read and compared again.
        let retried = content.jobs.indices.filter { job in
            let read = Set(compared[job].partitions.flatMap { $0.members.map(\.id) })
            return content.jobs[job].stands.keys.contains { !read.contains($0) }
        }
        if !retried.isEmpty {
            let again = try comparer.partitions(
                retried.map { content.jobs[$0].headTailGroup }, size: { sizeOfJob(retried[$0]) }, opener: opener,
                pool: pool, progress: progress)
            for (position, job) in retried.enumerated() { compared[job] = again[position] }
        }
        var readPartitions: [(full: Digest, headTail: Digest, members: [Member])] = []
        var expanded: [(digest: Digest, members: [Member])] = []
        for (job, result) in compared.enumerated() {
            readPartitions += result.partitions.map { ($0.digest, content.jobs[job].headTail, $0.members) }
            statistics.bytesReadContent += result.bytesRead
            diagnostics.append(contentsOf: result.failures.map { Diagnostic(.compare, $0) })
            // A file read for its content group brings the group's other members along.
            let stands = retried.contains(job) ? [:] : content.jobs[job].stands
            for partition in result.partitions {
                expanded.append((partition.digest, partition.members + partition.members.flatMap { stands[$0.id] ?? [] }))
            }
        }
        statistics.filesConfirmedByCatalog = content.settled.reduce(0) { $0 + $1.members.count }
            + content.jobs.indices.filter { !retried.contains($0) }.reduce(0) {
                $0 + content.jobs[$1].stands.values.reduce(0) { $0 + $1.count }
            }
        let classes = (content.settled + expanded).filter { $0.members.count > 1 }.map {
            DuplicateClass(size: $0.members[0].status.size, digest: $0.digest, members: $0.members)
        }
        statistics.contentSeconds = clock.lap()
        let withAttributes = try Self.readAttributes(
            classes, opener: opener, pool: pool, cache: cache, statistics: &statistics, diagnostics: &diagnostics)
        cache.store(headTail: computed ?? [], files: walk.files, readPartitions: readPartitions, diagnostics: &diagnostics)
        let ordered = try SharedExtentStage.read(
            Self.ordered(withAttributes, table: walk.table, files: walk.files), opener: opener, pool: pool,
            statistics: &statistics)
        progress?.begin(.done)
        var result = ScanResult(table: walk.table, files: walk.files, classes: ordered, diagnostics: diagnostics,
            statistics: statistics)
        result.walkFingerprint = walkFingerprint
        return result
    }
}

extension Pipeline {
    /// Chooses how to read the candidates from the storage of the filesystems that hold them
    /// (`statistics.storage`).
    func readPolicy(for candidates: [[Member]], statistics: ScanStatistics) -> ReadPolicy {
        var devices = Set<UInt64>()
        for group in candidates {
            for member in group { devices.insert(member.id.device) }
        }
        let holding = (statistics.storage ?? []).filter { devices.contains($0.device) }
        return options.readPolicy ?? ReadPolicy.choose(
            for: holding, jobs: options.jobs, jobsGiven: options.jobsGiven, chunkSize: options.comparer.chunkSize,
            fanOut: options.comparer.fanOut)
    }

    /// Fills in the attributes of every class member: from the catalog where it still trusts
    /// them, read (see `AttributeStage`) for the rest, which are stored back. Counts the cost.
    static func readAttributes(
        _ classes: [DuplicateClass], opener: FileOpener, pool: WorkerPool, cache: DigestCacheSession,
        statistics: inout ScanStatistics, diagnostics: inout [Diagnostic]
    ) throws(DupelinkError) -> [DuplicateClass] {
        var clock = Stopwatch()
        let known = cache.knownAttributes(classes, diagnostics: &diagnostics)
        let result = try AttributeStage.read(known, opener: opener, pool: pool)
        cache.storeAttributes(before: known, read: result, diagnostics: &diagnostics)
        statistics.filesAttributesRead = known.reduce(0) { $0 + $1.members.filter { $0.attributes == .unknown }.count }
        statistics.attributeSeconds = clock.lap()
        return result
    }
}

/// Measures wall time between laps.
struct Stopwatch {
    private var last = Stopwatch.now()

    /// Seconds since the previous lap (or creation).
    mutating func lap() -> Double {
        let now = Stopwatch.now()
        defer { last = now }
        return now - last
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
