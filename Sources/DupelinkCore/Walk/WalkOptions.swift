/// What the walk includes.
public struct WalkOptions: Sendable, Hashable {
    /// Stay on the filesystem of each root: do not enter directories on other devices.
    public var oneFileSystem = false
    /// The smallest file size considered, in bytes. The default, 1, leaves out empty files, which are
    /// never worth linking.
    public var minimumSize: Int64 = 1
    /// The largest file size considered, in bytes, or nil for no limit.
    public var maximumSize: Int64? = nil
    /// Shell glob patterns (`fnmatch`) for names to leave out. A pattern without `/` is matched
    /// against each file and directory name; a pattern with `/` against the whole path. An excluded
    /// directory is not entered.
    public var excludes: [String] = []
    /// Whether names starting with `.` are included (roots are always included).
    public var includeHidden = true
    /// How many threads read directories at once (at least one). The result is the same for any
    /// number; only the time changes.
    public var threads = WalkOptions.defaultThreads

    /// The default walk width: as many threads as the pool reads files with
    /// (`WorkerPool.readerCount`: twice the processors, at least 8). Warm, the walk is all system
    /// calls, and two threads on two cores nearly halve it (100,000 files: 0.17 s on one thread,
    /// 0.10 s on 8; 1,000,000 files: 2.0 s and 1.15 s); more threads than cores cost nothing
    /// measurable. Cold, the threads mostly wait for inode blocks and more of them keep the disk
    /// busier (100,000 files, medians of 5 on a shared machine: 1.61 s on one thread, 0.77 s on 2,
    /// 0.46 s on 4, 0.56 s on 8, 0.54 s on 16; `Walk cold threads N` in Benchmarks/).
    public static var defaultThreads: Int { WorkerPool.readerCount }

    /// Creates the default options.
    public init() {}
}
