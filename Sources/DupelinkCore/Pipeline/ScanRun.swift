/// One scan in progress, for `Pipeline.scan`: what every stage reads with (the walk's table and
/// files, the opener, the readers taken from the run's pool, the read policy, progress) and what
/// every stage adds to (statistics, diagnostics, the digests to store).
///
/// Each stage is a method of one shape: it takes the candidates the stage before it left and
/// returns fewer, timing itself into `statistics` and adding its problems to `diagnostics`.
struct ScanRun {
    let roots: [[UInt8]]
    let options: ScanOptions
    let catalog: Catalog?
    let progress: ScanProgress?
    let table: PathTable
    let files: [FileRecord]
    let opener: FileOpener
    var cache: DigestCacheSession
    var statistics = ScanStatistics()
    var diagnostics: [Diagnostic]
    var clock = Stopwatch()
    /// The fingerprint of the walk, with a catalog (see `UnchangedWalk`).
    var walkFingerprint: Digest?
    /// The readers, how they read, and where candidates lie on a spinning disk: set by
    /// `chooseReaders`.
    var readers: WorkerPool
    var policy: ReadPolicy
    var comparer: ContentComparer
    var positions: DiskPositions?
    /// Head/tail digests computed here, kept only for a catalog.
    var computed: [HeadTailStage.Computed]?
    /// Partitions the content stage read, with their full and head/tail digests, for the catalog.
    var readPartitions: [(full: Digest, headTail: Digest, members: [Member])] = []

    /// Walks the roots with `pool` and starts the run on what the walk found.
    init(walking roots: [[UInt8]], pool: WorkerPool, options: ScanOptions, catalog: Catalog?, progress: ScanProgress?) {
        let walk = Walker(options: options.walk).walk(roots: roots, pool: pool, progress: progress)
        self.roots = roots
        self.options = options
        self.catalog = catalog
        self.progress = progress
        table = walk.table
        files = walk.files
        diagnostics = walk.diagnostics
        opener = FileOpener(table: walk.table, files: walk.files)
        cache = DigestCacheSession(catalog: catalog, table: walk.table)
        readers = pool
        policy = .parallel(jobs: options.jobs, chunkSize: options.comparer.chunkSize)
        comparer = options.comparer
        computed = catalog == nil ? nil : []
        statistics.rootsScanned = walk.rootsScanned
        statistics.filesWalked = walk.files.count
        statistics.bytesWalked = walk.files.reduce(0) { $0 + $1.status.size }
        statistics.specialFilesSkipped = walk.skippedSpecial
        statistics.storage = StorageProbe.filesystems(in: walk.table, readers: options.jobs)
        statistics.walkSeconds = clock.lap()
    }

    /// The result of the newest saved scan when the walk found exactly the tree it was made of:
    /// its classes and counters, with this walk's, and the attributes and extents read afresh on
    /// `pool` (extents change without moving a file's times, through dedupe). Nil without a
    /// catalog, when the walk had problems, or when the tree changed.
    mutating func unchangedScan(pool: WorkerPool) throws(DupelinkError) -> ScanResult? {
        guard let catalog else { return nil }
        let fingerprint = UnchangedWalk.fingerprint(roots: roots, table: table, files: files)
        walkFingerprint = fingerprint
        guard diagnostics.isEmpty, let saved = try? catalog.unchangedScan(walkFingerprint: fingerprint),
            let classes = UnchangedWalk.classes(from: saved.classIndex, files: files)
        else { return nil }
        let walked = statistics
        statistics = saved.statistics
        statistics.rootsScanned = walked.rootsScanned
        statistics.filesWalked = walked.filesWalked
        statistics.bytesWalked = walked.bytesWalked
        statistics.specialFilesSkipped = walked.specialFilesSkipped
        statistics.walkSeconds = walked.walkSeconds
        statistics.storage = walked.storage
        statistics.bytesReadHeadTail = 0
        statistics.bytesReadContent = 0
        statistics.catalogHits = statistics.filesAfterSizeGrouping
        statistics.filesConfirmedByCatalog = statistics.filesAfterHeadTail
        statistics.headTailSeconds = clock.lap()
        statistics.contentSeconds = 0
        readers = pool
        let withAttributes = try attributes(classes)
        let withExtents = try sharedExtents(withAttributes)
        progress?.begin(.done)
        return result(withExtents)
    }

    /// Groups the walk's files by size, hard links folded (`SizeGrouping`).
    mutating func sizeGroups() -> [[Member]] {
        let bySize = SizeGrouping.candidateGroups(files)
        statistics.filesAfterSizeGrouping = bySize.reduce(0) { $0 + $1.count }
        return bySize
    }

    /// Takes the readers `policy` asks for from `pool`, within the descriptor `budget`, notes the
    /// choice per filesystem in the statistics, and on a spinning disk finds where each
    /// candidate's data begins, to read them in that order.
    mutating func chooseReaders(
        for candidates: [[Member]], from pool: WorkerPool, budget: DescriptorBudget, policy chosen: ReadPolicy
    ) throws(DupelinkError) {
        policy = chosen
        (policy.readers, comparer.fanOut) = budget.readers(policy.readers, fanOut: comparer.fanOut)
        for index in (statistics.storage ?? []).indices {
            statistics.storage?[index].readers = policy.readers
            statistics.storage?[index].order = policy.order.rawValue
            statistics.storage?[index].runBytes = policy.chunkSize
        }
        readers = pool.limited(to: policy.readers)
        positions = policy.order == .physical ? try DiskPositions.locate(candidates, opener: opener, pool: readers) : nil
        comparer.positions = positions
        comparer.chunkSize = policy.chunkSize
        comparer.diskOrder = policy.diskOrder
    }

    /// Narrows size groups by head and tail digests (`HeadTailStage`), taking the digests the
    /// catalog still trusts instead of reading them.
    mutating func headTail(_ bySize: [[Member]]) throws(DupelinkError) -> [(members: [Member], digest: Digest)] {
        let known = cache.headTailDigests(for: bySize, diagnostics: &diagnostics)
        statistics.catalogHits = known?.reduce(0) { $0 + ($1 == nil ? 0 : 1) } ?? 0
        let byHeadTail = try HeadTailStage.split(
            bySize, opener: opener, pool: readers, order: policy.order, positions: positions,
            dropBehind: comparer.dropBehind, wholeReadLimit: policy.wholeReadLimit, known: known,
            progress: progress, statistics: &statistics, diagnostics: &diagnostics, computed: &computed)
        statistics.filesAfterHeadTail = byHeadTail.reduce(0) { $0 + $1.members.count }
        statistics.floorBytes = byHeadTail.reduce(0) { $0 + $1.members[0].status.size * Int64($1.members.count) }
        statistics.headTailSeconds = clock.lap()
        return byHeadTail
    }
}
