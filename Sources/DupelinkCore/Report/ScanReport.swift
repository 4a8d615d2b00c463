/// What a report says about a scan (and, for `link`, what was done), independent of its format.
public struct ScanReport: Sendable {
    /// The command that produced the report: `scan`, `link` or `dedupe`.
    public var command: String
    /// Whether `link` ran with `--dry-run`.
    public var dryRun: Bool
    /// The roots as given (the scan's).
    public var roots: [[UInt8]] { scan.roots }
    /// The scan.
    public var scan: ScanResult
    /// Bytes that linking each class frees, by class index (exact by inode and link count, and
    /// counted by allocated blocks: what `df` will show).
    public var reclaimableByClass: [Int64]
    /// The same by apparent size (`st_size`): larger where members are sparse.
    public var apparentReclaimableByClass: [Int64]
    /// Bytes the duplicates of each class already share with it (the same physical extents, on
    /// btrfs, XFS and bcachefs), by class index: left out of `reclaimableByClass`.
    public var alreadySharedByClass: [Int64]
    /// Inodes that cannot be linked to their class.
    public var refusals: [LinkRefusal]
    /// For `link`: what was replaced (for a dry run, what would be).
    public var replacements: [LinkOutcome.Replacement]
    /// For `dedupe`: the duplicates found already sharing every extent with their kept copy, left
    /// as they were (see `LinkOutcome.alreadySharing`).
    public var alreadySharing: [LinkOutcome.Replacement] = []
    /// Problems met by every stage, the linker's included.
    public var diagnostics: [Diagnostic]
    /// The number the scan was saved under in the catalog, if it was saved.
    public var scanID: Int64?
    /// For `link`: the bytes compared right before the swaps (see `LinkOutcome.bytesCompared`).
    public var bytesCompared: Int64?
    /// For `link`: the seconds those comparisons took.
    public var secondsComparing: Double?
    /// For `link`: names replaced without a read lease on both files.
    public var replacementsWithoutLease: Int?
    /// For `dedupe`: the free space of each filesystem it changed, before and after.
    public var freeSpace: [LinkOutcome.FreeSpace]?

    /// The names the plan keeps (one per linkable part of a class), for the text report to mark.
    public var keepers: Set<Int32> = []
    /// The names the plan replaces (for `link`, the linker replaced), with the bytes each
    /// replacement frees, for the HTML page.
    public var replacedNames: [Int32: Int64] = [:]
    /// The directories ranked by the bytes linking would free in them (see `DirectorySpace`).
    public var directories: [DirectorySpace] = []
    /// Folders whose whole subtree is identical to another's (see `DuplicateFolders`): found for a
    /// scan walked in this run, empty for a saved scan or a reviewed report.
    public var duplicateFolders: [DuplicateFolders] = []
    /// Pairs of folders that match but for a few files (see `NearlyIdenticalFolders`), found
    /// like `duplicateFolders`.
    public var nearlyIdenticalFolders: [NearlyIdenticalFolders] = []
    /// For `link`: the roots on a filesystem that can share extents, with its name, for the text
    /// report's hint that `dedupe` would keep the files separate.
    public var copyOnWriteRoots: [(path: [UInt8], filesystem: String)] = []
    /// How many of `directories` the text report lists (nil: all).
    public var topDirectories: Int? = 20
    /// How many classes the text report lists, largest first (nil: all); JSON and CSV list all.
    public var topClasses: Int? = nil

    /// Whether a linker ran (`link` or `dedupe`), so replacements and their totals are reported.
    public var isApplied: Bool { command != "scan" }

    /// The report of a scan and its link plan; with `outcome`, of a link run (`command` is then
    /// `link`), whose skipped names join the scan's diagnostics.
    public init(scan: ScanResult, plan: LinkPlan, outcome: LinkOutcome? = nil) {
        command = outcome.map { $0.sharesExtents ? "dedupe" : "link" } ?? "scan"
        freeSpace = outcome?.sharesExtents == true ? outcome?.freeSpace : nil
        dryRun = outcome?.isDryRun ?? false
        self.scan = scan
        reclaimableByClass = plan.reclaimableByClass(classCount: scan.classes.count)
        apparentReclaimableByClass = plan.apparentReclaimableByClass(classCount: scan.classes.count)
        alreadySharedByClass = plan.alreadySharedByClass(classCount: scan.classes.count)
        refusals = plan.refusals
        keepers = Set(plan.actions.map(\.keeper))
        // What a linker did, when one ran (a name it skipped was not replaced); else the plan.
        replacedNames = outcome.map { Dictionary($0.replacements.map { ($0.duplicate, $0.bytesFreed) }, uniquingKeysWith: +) }
            ?? Dictionary(plan.actions.map { ($0.duplicate, $0.bytesFreed) }, uniquingKeysWith: +)
        directories = DirectorySpace.ranked(plan, in: scan)
        replacements = outcome?.replacements ?? []
        alreadySharing = outcome?.alreadySharing ?? []
        diagnostics = scan.diagnostics + (outcome?.skipped ?? [])
        bytesCompared = outcome?.bytesCompared
        secondsComparing = outcome?.secondsComparing
        replacementsWithoutLease = outcome?.replacementsWithoutLease
    }

    /// The directories where an overlayfs mount begins within the roots (a root itself, or a mount
    /// below one): their files are reported, never linked.
    public var overlayDirectories: [[UInt8]] {
        scan.table.overlayMountPoints.map { scan.table.path(ofDirectory: $0) }
    }

    /// Why files on overlayfs are not linked, for the note naming such a directory.
    public static let overlayNote =
        "on overlayfs: its files are reported but never linked (a hard link there copies a file up into the upper layer and frees nothing)"

    /// The totals a summary line shows.
    public struct Totals: Sendable, Hashable, Codable {
        public var filesScanned: Int
        public var bytesScanned: Int64
        public var classes: Int
        public var duplicateFiles: Int
        /// Bytes that linking every class frees, by allocated blocks.
        public var reclaimableBytes: Int64
        /// The same by apparent size (optional only so that reports written before it decode).
        public var apparentReclaimableBytes: Int64?
        /// Bytes the duplicates already share with their classes (the same physical extents),
        /// not counted in `reclaimableBytes` (optional only so that reports written before it
        /// decode).
        public var alreadySharedBytes: Int64?
        public var refusedFiles: Int
        /// Bytes that stay in use because of refusals, by allocated blocks.
        public var refusedBytes: Int64
        public var filesLinked: Int?
        /// For `dedupe`: duplicates that already shared every extent with their kept copy, left
        /// as they were without asking the kernel.
        public var filesAlreadyShared: Int?
        /// For `link`: bytes freed (for a dry run, that would be), by allocated blocks.
        public var bytesFreed: Int64?
        /// For `link`: the same by apparent size.
        public var apparentBytesFreed: Int64?
        /// For `dedupe`: the growth of free space measured on the filesystems it changed (nil in
        /// a dry run, and for `scan` and `link`, whose freed bytes are counted by link count).
        public var bytesFreedMeasured: Int64?
        public var warnings: Int
        /// For `link`: the bytes compared right before the swaps (0 in a dry run).
        public var bytesCompared: Int64?
        /// For `link`: the seconds those comparisons took.
        public var secondsComparing: Double?
        /// For `link`: names replaced without a read lease on both files.
        public var replacementsWithoutLease: Int?
    }

    /// The totals.
    public var totals: Totals {
        Totals(
            filesScanned: scan.statistics.filesWalked,
            bytesScanned: scan.statistics.bytesWalked,
            classes: scan.classes.count,
            duplicateFiles: scan.classes.reduce(0) { $0 + $1.nameCount - 1 },
            reclaimableBytes: reclaimableByClass.reduce(0, +),
            apparentReclaimableBytes: apparentReclaimableByClass.reduce(0, +),
            alreadySharedBytes: alreadySharedByClass.reduce(0, +),
            refusedFiles: refusals.count,
            refusedBytes: refusals.reduce(0) { $0 + $1.bytes },
            filesLinked: isApplied ? replacements.count : nil,
            filesAlreadyShared: command == "dedupe" ? alreadySharing.count : nil,
            bytesFreed: isApplied ? replacements.reduce(0) { $0 + $1.bytesFreed } : nil,
            apparentBytesFreed: isApplied ? replacements.reduce(0) { $0 + $1.apparentBytesFreed } : nil,
            bytesFreedMeasured: dryRun ? nil : freeSpace.map { $0.reduce(0) { $0 + $1.bytesFreed } },
            warnings: diagnostics.count,
            bytesCompared: isApplied ? bytesCompared ?? 0 : nil,
            secondsComparing: isApplied ? secondsComparing ?? 0 : nil,
            replacementsWithoutLease: isApplied ? replacementsWithoutLease ?? 0 : nil)
    }
}
