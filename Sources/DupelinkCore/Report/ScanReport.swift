/// What a report says about a scan (and, for `link`, what was done), independent of its format.
public struct ScanReport: Sendable {
    /// A name that could not be linked to the rest of its class, and why.
    public struct Refusal: Sendable, Hashable {
        /// The file, as an index into the scan's `files`.
        public var file: Int32
        /// A stable reason code (`different-filesystem`, `owner-differs`, `mode-differs`).
        public var reason: String
        /// A sentence for people.
        public var message: String
        /// The bytes that stay duplicated because of it.
        public var bytes: Int64

        /// Creates a refusal.
        public init(file: Int32, reason: String, message: String, bytes: Int64) {
            self.file = file
            self.reason = reason
            self.message = message
            self.bytes = bytes
        }
    }

    /// One duplicate replaced by a hard link (or, in a dry run, to be replaced).
    public struct Replacement: Sendable, Hashable {
        /// The name whose inode is kept.
        public var keeper: Int32
        /// The name that now points at the keeper's inode.
        public var duplicate: Int32
        /// Bytes freed by this replacement (the duplicate's size when it removed the last name of
        /// its inode, else 0).
        public var bytesFreed: Int64

        /// Creates a replacement.
        public init(keeper: Int32, duplicate: Int32, bytesFreed: Int64) {
            self.keeper = keeper
            self.duplicate = duplicate
            self.bytesFreed = bytesFreed
        }
    }

    /// The command that produced the report: `scan` or `link`.
    public var command: String
    /// Whether `link` ran with `--dry-run`.
    public var dryRun: Bool
    /// The roots as given.
    public var roots: [[UInt8]]
    /// The scan.
    public var scan: ScanResult
    /// Bytes that linking each class frees, by class index (exact by inode and link count).
    public var reclaimableByClass: [Int64]
    /// Names that cannot be linked to their class.
    public var refusals: [Refusal]
    /// For `link`: what was replaced.
    public var replacements: [Replacement]
    /// Problems met by every stage, the linker's included.
    public var diagnostics: [Diagnostic]
    /// The number the scan was saved under in the catalog, if it was saved.
    public var scanID: Int64?

    /// Creates a report.
    public init(
        command: String, dryRun: Bool = false, roots: [[UInt8]], scan: ScanResult, reclaimableByClass: [Int64],
        refusals: [Refusal] = [], replacements: [Replacement] = [], diagnostics: [Diagnostic]? = nil
    ) {
        self.command = command
        self.dryRun = dryRun
        self.roots = roots
        self.scan = scan
        self.reclaimableByClass = reclaimableByClass
        self.refusals = refusals
        self.replacements = replacements
        self.diagnostics = diagnostics ?? scan.diagnostics
    }

    /// The totals a summary line shows.
    public struct Totals: Sendable, Hashable, Codable {
        public var filesScanned: Int
        public var bytesScanned: Int64
        public var classes: Int
        public var duplicateFiles: Int
        public var reclaimableBytes: Int64
        public var refusedFiles: Int
        public var refusedBytes: Int64
        public var filesLinked: Int?
        public var bytesFreed: Int64?
        public var warnings: Int
    }

    /// The totals.
    public var totals: Totals {
        Totals(
            filesScanned: scan.statistics.filesWalked,
            bytesScanned: scan.statistics.bytesWalked,
            classes: scan.classes.count,
            duplicateFiles: scan.classes.reduce(0) { $0 + $1.nameCount - 1 },
            reclaimableBytes: reclaimableByClass.reduce(0, +),
            refusedFiles: refusals.count,
            refusedBytes: refusals.reduce(0) { $0 + $1.bytes },
            filesLinked: command == "link" ? replacements.count : nil,
            bytesFreed: command == "link" ? replacements.reduce(0) { $0 + $1.bytesFreed } : nil,
            warnings: diagnostics.count)
    }
}
