/// Executes a link plan: the only code in dupelink that changes the filesystem.
///
/// Each name is replaced atomically: the keeper is hard-linked to a fresh temporary name in the
/// duplicate's directory, the temporary name is swapped with the duplicate's name, and the
/// displaced duplicate is removed only after checks show that it is the inode that was compared
/// and that nobody wrote to it meanwhile. At no instant is a name missing or does it hold other
/// content than the bytes that were compared. Right before touching anything, both files are
/// re-checked against the snapshots the scan took (inode, size, mtime, ctime), through
/// directories re-opened one component at a time without following symbolic links and checked
/// against the identities the walk saw; then, under read leases on both, their bytes are
/// compared in full (`FinalComparison`): a pair that differs now is skipped, whatever the scan,
/// the catalog or a saved plan said.
public struct Linker: Sendable {
    /// Whether names are swapped with `renameat2(RENAME_EXCHANGE)`. When off (or when the
    /// filesystem cannot exchange names) the duplicate is kept under a second temporary name while
    /// the keeper is renamed over it. Tests turn it off to exercise that path.
    var usesExchange = true

    /// Whether a read lease is taken on both files of each replacement, so that a file another
    /// program has open for writing is left alone and a program opening one for writing waits
    /// until the replacement is done. Tests that write to a file from `beforeSwap`, in the
    /// linker's own thread, turn it off: their open would wait out the lease break time (45 s by
    /// default) and then exercise the checks after the swap.
    var usesLeases = true

    /// Called with the duplicate's path after all checks, right before its name is swapped (for
    /// `dedupe`, right before the kernel is asked to share its extents): tests change the
    /// duplicate there to prove the change is noticed and undone, or refused.
    var beforeSwap: (@Sendable ([UInt8]) -> Void)? = nil

    /// Whether duplicates are made to share the keeper's data extents (`FIDEDUPERANGE`, for
    /// `dedupe`) instead of being replaced by hard links: each keeps its inode and name, and
    /// nothing is renamed or journaled per file. The plan should be made with
    /// `LinkOptions.sharesExtents`.
    public var sharesExtents = false

    /// Creates a linker; `sharesExtents` makes it deduplicate extents instead of linking.
    public init(sharesExtents: Bool = false) {
        self.sharesExtents = sharesExtents
    }

    /// Carries out `plan`, which must have been made from `scan`.
    ///
    /// Touches the disk unless `dryRun` is true: replaces duplicate names with hard links to their
    /// keeper, after reading both files of each pair in full to compare them. With `dryRun`, only
    /// opens directories and reads metadata (no content), and reports what would be done. A file
    /// that changed since the scan (its fingerprint or its bytes), a directory that is no longer
    /// the one walked, or a failing system call skips that one name, with a diagnostic; the run
    /// goes on. Cancellation
    /// (`Cancellation.isRequested`) is checked between names, never in the middle of one.
    ///
    /// `progress`, when given, counts finished names for a progress display. `journal`, when
    /// given, records each replacement before it is made (see `LinkJournal`); the caller ends it.
    public func execute(
        _ plan: LinkPlan, scan: ScanResult, dryRun: Bool, progress: ScanProgress? = nil, journal: LinkJournal? = nil
    ) -> LinkOutcome {
        let run = LinkRun(
            scan: scan, dryRun: dryRun, usesExchange: usesExchange, usesLeases: usesLeases, beforeSwap: beforeSwap,
            journal: journal, ignoresUserAttributes: plan.ignoresUserAttributes, sharesExtents: sharesExtents)
        progress?.begin(.link, jobs: plan.actions.count)
        for action in plan.actions {
            if Cancellation.isRequested {
                run.outcome.wasCancelled = true
                break
            }
            run.perform(action)
            progress?.jobFinished()
        }
        if sharesExtents { run.finishFreeSpaceProbes() }
        return run.outcome
    }
}
