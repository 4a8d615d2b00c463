
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
        // The run's one pool, `--jobs` threads; each stage takes as many as the process's
        // descriptor limit (`ulimit -n`) and the storage allow, rather than failing to open files.
        let pool = WorkerPool(threadCount: options.jobs)
        let budget = DescriptorBudget(spare: Syscalls.spareDescriptors())
        progress?.begin(.walk)
        var run = ScanRun(
            walking: roots, pool: pool.limited(to: budget.walkThreads(pool.threadCount)), options: options,
            catalog: catalog, progress: progress)
        if Cancellation.isRequested { throw DupelinkError(.cancelled) }
        // An unchanged tree: the newest saved scan's classes are this walk's, and nothing is read.
        if let unchanged = try run.unchangedScan(pool: pool) { return unchanged }

        let bySize = run.sizeGroups()
        try run.chooseReaders(for: bySize, from: pool, budget: budget, policy: readPolicy(for: bySize, run.statistics))
        let byHeadTail = try run.headTail(bySize)
        let classes = try run.content(byHeadTail)
        let withAttributes = try run.attributes(classes)
        run.storeDigests()
        let ordered = try run.sharedExtents(Self.ordered(withAttributes, table: run.table, files: run.files))
        progress?.begin(.done)
        return run.result(ordered)
    }
}

extension Pipeline {
    /// Chooses how to read the candidates from the storage of the filesystems that hold them
    /// (`statistics.storage`).
    func readPolicy(for candidates: [[Member]], _ statistics: ScanStatistics) -> ReadPolicy {
        var devices = Set<UInt64>()
        for group in candidates {
            for member in group { devices.insert(member.id.device) }
        }
        let holding = (statistics.storage ?? []).filter { devices.contains($0.device) }
        return options.readPolicy ?? ReadPolicy.choose(
            for: holding, jobs: options.jobs, jobsGiven: options.jobsGiven, chunkSize: options.comparer.chunkSize,
            fanOut: options.comparer.fanOut)
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

    static func now() -> Double { Syscalls.monotonicSeconds() }
}
