/// Everything that shapes a scan.
public struct ScanOptions: Sendable {
    /// What the walk includes.
    public var walk = WalkOptions()
    /// Worker threads for walking, reading and comparing (`--jobs`): the run's one pool, which
    /// the descriptor budget and the storage may narrow per stage; defaults to
    /// `WorkerPool.readerCount`.
    public var jobs = WorkerPool.readerCount
    /// Whether `jobs` was asked for (`--jobs`): then it holds on every kind of storage; else a
    /// spinning disk gets fewer readers (`ReadPolicy`).
    public var jobsGiven = false
    /// How to read, when not chosen from the storage (tests compare the policies on one tree).
    package var readPolicy: ReadPolicy?
    /// How the content stage reads.
    package var comparer = ContentComparer()

    /// Creates the default options.
    public init() {}
}
