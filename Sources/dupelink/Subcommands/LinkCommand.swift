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
            that neither file changed since it was compared. At no moment is a name missing or \
            holding other content. Files on different filesystems, or with a different owner or \
            mode, are not linked (see --ignore-owner, --ignore-mode) and are listed as such.

            Kept copy: the inode under a --prefer directory first, then the one with the most \
            links held outside the scanned names, then the most links, then the oldest \
            modification time, then the first path.

            After linking, the names share one content, owner, mode and modification time: \
            editing one in place changes all of them.

            EXAMPLES:
              dupelink link --dry-run ~/Music
              dupelink link --prefer /backup/2024 /backup
              dupelink link --format json --quiet /srv/backups > linked.json
            """)

    @OptionGroup var walk: WalkOptionGroup
    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    @Flag(name: [.customShort("n"), .long], help: "Print what would be linked, and change nothing.")
    var dryRun = false

    func run() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        if !dryRun { session.recoverInterruptedRuns() }
        let scan = try session.scan(roots: walk.roots, options: walk.scanOptions)
        let plan = LinkPlanner.plan(scan, options: planning.linkOptions)
        let journal = try session.beginJournal(roots: walk.roots, dryRun: dryRun)
        let outcome = session.link(plan, scan: scan, dryRun: dryRun, journal: journal)
        session.endJournal(journal, outcome: outcome)
        try session.finish(ScanReport(roots: walk.roots, scan: scan, plan: plan, outcome: outcome),
            interrupted: outcome.wasCancelled)
    }
}
