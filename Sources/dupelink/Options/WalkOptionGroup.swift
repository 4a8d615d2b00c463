import ArgumentParser
import DupelinkCore

/// Options that decide which files are scanned, shared by every command that walks.
struct WalkOptionGroup: ParsableArguments {
    @Argument(help: ArgumentHelp("Directories (or files) to scan.", valueName: "path"), completion: .file())
    var paths: [String] = []

    @Flag(name: [.customShort("x"), .long], help: "Do not descend into directories on other filesystems.")
    var oneFileSystem = false

    @Option(name: .long, help: ArgumentHelp(
        "Ignore files smaller than this (bytes, or with a K, M, G, T suffix; powers of 1024). Empty files are never duplicates.",
        valueName: "size"))
    var minSize: String = "1"

    @Option(name: .long, help: ArgumentHelp("Ignore files larger than this (same units as --min-size).", valueName: "size"))
    var maxSize: String?

    @Option(name: .long, help: ArgumentHelp(
        "Leave out names matching this shell glob; with a '/', the glob is matched against the whole path. Repeatable. An excluded directory is not entered.",
        valueName: "glob"))
    var exclude: [String] = []

    @Flag(name: .long, help: "Leave out files and directories whose names start with '.'.")
    var noHidden = false

    @Option(name: [.short, .long], help: ArgumentHelp("Worker threads for walking, reading and comparing, on every kind of storage (default: twice the number of processors, at least 8; on spinning disks, network and FUSE filesystems one reader per disk, reading in the disk's order in long runs).", valueName: "n"))
    var jobs: Int?

    @Flag(name: .customLong("drop-cache"), help: "Drop from the page cache what the scan's reads brought into it, right after each read (pages cached before are left alone), so that a scan of a backup disk does not evict what the machine keeps cached. The systemd unit sets it. Needs Linux 6.5 (cachestat); elsewhere nothing is dropped.")
    var dropCache = false

    mutating func validate() throws {
        // Whether paths are required is the command's rule (`link --scan` takes none).
        guard let minimum = ByteSize.parse(minSize) else {
            throw ValidationError("--min-size '\(minSize)' is not a size (examples: 4096, 10K, 1.5M, 2G).")
        }
        if let maxSize {
            guard let maximum = ByteSize.parse(maxSize) else {
                throw ValidationError("--max-size '\(maxSize)' is not a size (examples: 4096, 10K, 1.5M, 2G).")
            }
            if maximum < minimum { throw ValidationError("--max-size is smaller than --min-size.") }
        }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256.") }
    }

    /// The roots given on the command line, made absolute (see `RootPath.absolute`): stored and
    /// printed so, a report of them can be applied from any directory.
    var roots: [[UInt8]] { paths.map { RootPath.absolute(RawArguments.bytes(for: $0)) } }

    /// The scan options these flags describe.
    var scanOptions: ScanOptions {
        var options = ScanOptions()
        options.walk.oneFileSystem = oneFileSystem
        options.walk.minimumSize = max(1, ByteSize.parse(minSize) ?? 1)
        options.walk.maximumSize = maxSize.flatMap(ByteSize.parse)
        options.walk.excludes = exclude
        options.walk.includeHidden = !noHidden
        if let jobs {
            options.jobs = jobs
            options.jobsGiven = true
        }
        options.comparer.dropBehind = dropCache
        return options
    }
}
