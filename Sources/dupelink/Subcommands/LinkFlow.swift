import DupelinkCore

/// What `link` and `dedupe` share: scan (or load a saved scan or reviewed report), plan, journal,
/// execute, report.
struct LinkFlow {
    var walk: WalkOptionGroup
    var output: OutputOptionGroup
    var catalog: CatalogOptionGroup
    var applied: AppliedScanOptionGroup
    var options: LinkOptions
    /// Whether files `undo` and `split` separated may be linked again (`--relink-separated`).
    var relinkSeparated: Bool
    var dryRun: Bool
    /// `dedupe`: share extents instead of linking (see `Linker.sharesExtents`).
    var sharesExtents: Bool

    /// Runs the command to its exit status.
    func run() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        var scan: ScanResult
        if applied.isApplying {
            let saved: SavedScan
            if let reportFile = applied.reportFile {
                saved = try ReviewedReportLoader.load(RawArguments.bytes(for: reportFile))
            } else {
                saved = try SavedScanLoader.load(applied.savedScan, from: session.catalog)
            }
            scan = try SavedScanLoader.rebuild(saved)
            if applied.reportFile != nil { scan = try ReviewedReportLoader.confirmContent(scan) }
            // Journaled and recovered like a scanning link: undo works, and a kill leaves nothing.
            if !dryRun { session.recoverInterruptedRuns() }
        } else {
            if !dryRun { session.recoverInterruptedRuns() }
            scan = try session.scan(roots: walk.roots, options: walk.scanOptions)
        }
        let plan = LinkPlanner.plan(scan, options: session.keepingSeparate(options, unless: relinkSeparated, for: scan))
        let journal = try session.beginJournal(roots: scan.roots, dryRun: dryRun, command: sharesExtents ? .dedupe : .link)
        let outcome = session.link(plan, scan: scan, dryRun: dryRun, journal: journal, sharesExtents: sharesExtents)
        session.endJournal(journal, outcome: outcome)
        try session.finish(ScanReport(scan: scan, plan: plan, outcome: outcome),
            interrupted: outcome.wasCancelled)
    }
}
