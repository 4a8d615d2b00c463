import ArgumentParser
import DupelinkCore

/// `dupelink link`: scan, then replace duplicates with hard links.
struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Scan, then replace duplicates with hard links to one kept copy.",
        discussion: """
            Each duplicate is replaced atomically: the kept file is linked to a temporary name in \
            the duplicate's directory, which is then renamed over the duplicate, after checking \
            that neither file changed since it was compared and comparing their bytes once more, \
            under read leases: the scan, the catalog or a saved scan only decide which pairs to \
            try. At no moment is a name missing or \
            holding other content. Files on different filesystems or reached through another \
            mount of one (a bind mount), or with a different owner or mode, are not linked (see \
            --ignore-owner, --ignore-mode) and are listed as such; files on overlayfs, where a \
            link copies the file up and frees nothing, are reported and never linked.

            Kept copy: the inode under a --prefer directory first, then the one with the most \
            links held outside the scanned names, then the most links, then the oldest \
            modification time, then the first path.

            After linking, the names share one content, owner, mode and modification time: \
            editing one in place changes all of them.

            With --scan ID, applies a scan saved in the catalog instead of scanning (see dupelink \
            report); with --from FILE, applies a JSON report, perhaps edited by hand (remove a name \
            from a class to keep it separate, or a whole class). No paths are given then. Every \
            file is re-checked against the fingerprint it had when it was compared: one that \
            changed since is skipped and reported, never trusted. A report given with --from is \
            also read again in full first: unchanged files of a class that are not byte-identical, \
            or whose owner or mode is not the report's, make it refused before anything changes.

            EXAMPLES:
              dupelink link --dry-run ~/Music
              dupelink link --prefer /backup/2024 /backup
              dupelink link --format json --quiet /srv/backups > linked.json
              dupelink link --scan 12
              dupelink link --from review.json
            """)

    @OptionGroup var walk: WalkOptionGroup
    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    @Flag(name: [.customShort("n"), .long], help: "Print what would be linked, and change nothing.")
    var dryRun = false

    @Option(name: .customLong("scan"), help: ArgumentHelp(
        "Apply the scan saved in the catalog under this number instead of scanning (no paths then).", valueName: "id"))
    var savedScan: Int64?

    @Option(name: .customLong("from"), help: ArgumentHelp(
        "Apply this JSON report (made by --format json, perhaps edited) instead of scanning (no paths then). A regular file of at most 2 GiB.",
        valueName: "file"), completion: .file())
    var reportFile: String?

    mutating func validate() throws {
        if savedScan != nil && reportFile != nil { throw ValidationError("--scan and --from contradict each other.") }
        if savedScan != nil && catalog.noCatalog { throw ValidationError("--scan reads the catalog; --no-catalog contradicts it.") }
        if savedScan != nil || reportFile != nil {
            if !walk.paths.isEmpty { throw ValidationError("--scan and --from apply a scan already made: give no paths.") }
            // What to walk was decided when the scan was made; silently ignoring these would mislead.
            if walk.oneFileSystem || walk.minSize != "1" || walk.maxSize != nil || !walk.exclude.isEmpty || walk.noHidden
                || walk.jobs != nil
            {
                throw ValidationError("--scan and --from apply a scan already made: walk options (--min-size, --exclude, ...) do not apply.")
            }
        } else if walk.paths.isEmpty {
            throw ValidationError("Name at least one directory to scan (or apply one with --scan or --from).")
        }
    }

    func run() throws {
        if savedScan != nil || reportFile != nil { return try apply() }
        let session = try CommandSession(output: output, catalog: catalog)
        if !dryRun { session.recoverInterruptedRuns() }
        let scan = try session.scan(roots: walk.roots, options: walk.scanOptions)
        let plan = LinkPlanner.plan(scan, options: session.linkOptions(planning, for: scan))
        let journal = try session.beginJournal(roots: walk.roots, dryRun: dryRun)
        let outcome = session.link(plan, scan: scan, dryRun: dryRun, journal: journal)
        session.endJournal(journal, outcome: outcome)
        try session.finish(ScanReport(roots: walk.roots, scan: scan, plan: plan, outcome: outcome),
            interrupted: outcome.wasCancelled)
    }

    /// Applies a saved scan or a reviewed report: everything is checked before anything changes.
    private func apply() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        let saved: SavedScan
        if let reportFile {
            saved = try ReviewedReportLoader.load(RawArguments.bytes(for: reportFile))
        } else {
            saved = try SavedScanLoader.load(savedScan, from: session.catalog)
        }
        var scan = try SavedScanLoader.rebuild(saved)
        if reportFile != nil { scan = try ReviewedReportLoader.confirmContent(scan) }
        // Journaled and recovered like a scanning link: undo works, and a kill leaves nothing.
        if !dryRun { session.recoverInterruptedRuns() }
        let plan = LinkPlanner.plan(scan, options: session.linkOptions(planning, for: scan))
        let journal = try session.beginJournal(roots: saved.roots, dryRun: dryRun)
        let outcome = session.link(plan, scan: scan, dryRun: dryRun, journal: journal)
        session.endJournal(journal, outcome: outcome)
        try session.finish(ScanReport(roots: saved.roots, scan: scan, plan: plan, outcome: outcome),
            interrupted: outcome.wasCancelled)
    }
}
