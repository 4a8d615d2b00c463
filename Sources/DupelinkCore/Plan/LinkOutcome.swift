/// What `Linker.execute` did (or, in a dry run, would do).
public struct LinkOutcome: Sendable {
    /// One name replaced by a hard link to the keeper.
    public struct Replacement: Hashable, Sendable, Codable {
        /// The index of the class in the scan's `classes`.
        public var classIndex: Int
        /// The index in the scan's `files` of the keeper name that was linked.
        public var keeper: Int32
        /// The index in the scan's `files` of the name that now refers to the keeper.
        public var duplicate: Int32
        /// The bytes freed, by allocated blocks (what `df` shows): the replaced inode's
        /// `st_blocks` × 512 when it lost its last name, less the bytes it shared with its class
        /// (`LinkAction.alreadySharedBytes`), otherwise 0. In a dry run, the planned amount.
        public var bytesFreed: Int64
        /// The same by apparent size: the class size when the replaced inode lost its last name,
        /// otherwise 0.
        public var apparentBytesFreed: Int64

        /// Creates a replacement record; `apparentBytesFreed` defaults to `bytesFreed`.
        public init(classIndex: Int, keeper: Int32, duplicate: Int32, bytesFreed: Int64, apparentBytesFreed: Int64? = nil) {
            self.classIndex = classIndex
            self.keeper = keeper
            self.duplicate = duplicate
            self.bytesFreed = bytesFreed
            self.apparentBytesFreed = apparentBytesFreed ?? bytesFreed
        }
    }

    /// The keeper of a partition reached the filesystem's limit of links (`EMLINK`), so the next
    /// inode not yet replaced became the keeper for the rest of it.
    public struct Rotation: Hashable, Sendable, Codable {
        /// The index of the class in the scan's `classes`.
        public var classIndex: Int
        /// The index in the scan's `files` of the keeper that had too many links.
        public var previousKeeper: Int32
        /// The index in the scan's `files` of the name of the new keeper.
        public var newKeeper: Int32

        /// Creates a rotation record.
        public init(classIndex: Int, previousKeeper: Int32, newKeeper: Int32) {
            self.classIndex = classIndex
            self.previousKeeper = previousKeeper
            self.newKeeper = newKeeper
        }
    }

    /// For `dedupe`: the free space of one filesystem the run changed, measured (`statvfs`, after
    /// `syncfs`) before its first and after its last change. What sharing extents frees is
    /// measured, not assumed: blocks another file or a snapshot still uses stay in use.
    public struct FreeSpace: Hashable, Sendable, Codable {
        /// The filesystem's device number.
        public var device: UInt64
        /// The index in the scan's `files` of the first file deduplicated there.
        public var file: Int32
        /// Bytes available to unprivileged users before the first change.
        public var availableBefore: Int64
        /// Bytes available to unprivileged users after the last change.
        public var availableAfter: Int64

        /// Creates a measurement.
        public init(device: UInt64, file: Int32, availableBefore: Int64, availableAfter: Int64) {
            self.device = device
            self.file = file
            self.availableBefore = availableBefore
            self.availableAfter = availableAfter
        }

        /// The bytes that became free (negative when other programs used space meanwhile).
        public var bytesFreed: Int64 { availableAfter - availableBefore }
    }

    /// Whether duplicates were made to share extents (`dedupe`) rather than linked: each
    /// replacement's `bytesFreed` is then the bytes the kernel reported deduplicated.
    public var sharesExtents = false
    /// Whether this was a dry run: nothing was changed, and `replacements` are what would be done.
    public var isDryRun: Bool
    /// The names replaced, in order.
    public var replacements: [Replacement] = []
    /// For `dedupe`: duplicates whose every extent was already one of their kept copy's (a
    /// reflinked copy, an earlier run), left as they were without a `FIDEDUPERANGE` call; each
    /// `bytesFreed` is 0. In a dry run, those the scan found so.
    public var alreadySharing: [Replacement] = []
    /// The names left as they were, with the reason (changed since compared, directory changed,
    /// different filesystem, a failed system call); each names its path.
    public var skipped: [Diagnostic] = []
    /// Keepers replaced because they reached the link limit.
    public var rotations: [Rotation] = []
    /// Whether the run stopped early because cancellation was requested. Every replacement is
    /// either complete or undone; the actions after it were not attempted.
    public var wasCancelled = false
    /// The bytes compared right before the swaps, each byte of a duplicate with the kept copy's
    /// (the length of each pair compared; up to the difference for a pair that differed). Zero in
    /// a dry run, which reads nothing.
    public var bytesCompared: Int64 = 0
    /// The wall time those comparisons took.
    public var secondsComparing: Double = 0
    /// Names replaced while a read lease could not be held on the duplicate or the kept copy
    /// (leases are granted to root and to a file's owner): the bytes were compared all the same,
    /// but a program could have opened either file for writing meanwhile without waiting.
    public var replacementsWithoutLease = 0
    /// For `dedupe` (not a dry run): the free space of each filesystem it changed, before and after.
    public var freeSpace: [FreeSpace] = []

    /// Creates an empty outcome.
    public init(isDryRun: Bool) {
        self.isDryRun = isDryRun
    }

    /// The bytes freed (or, in a dry run, that would be freed), by allocated blocks.
    public var bytesFreed: Int64 { replacements.reduce(0) { $0 + $1.bytesFreed } }

    /// The same by apparent size.
    public var apparentBytesFreed: Int64 { replacements.reduce(0) { $0 + $1.apparentBytesFreed } }
}
