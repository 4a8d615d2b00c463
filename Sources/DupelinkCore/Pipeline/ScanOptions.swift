/// Everything that shapes a scan.
public struct ScanOptions: Sendable {
    /// What the walk includes.
    public var walk = WalkOptions()
    /// Worker threads for reading and comparing; defaults to `WorkerPool.readerCount`.
    public var jobs = WorkerPool.readerCount
    /// How the content stage reads.
    public var comparer = ContentComparer()

    /// Creates the default options.
    public init() {}
}
