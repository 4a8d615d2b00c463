import ArgumentParser
import DupelinkCore

/// `dupelink scan`: report duplicates, change nothing.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Report duplicate files; change nothing.",
        discussion: """
            Prints each class of byte-identical files (size, count, paths) and a summary: files \
            scanned, classes, and the bytes that linking would free, counted exactly by inode and \
            link count (names that are already one inode free nothing; an inode that also has a \
            name outside the scanned directories is kept, not freed).

            EXAMPLES:
              dupelink scan ~/Pictures
              dupelink scan --format json --min-size 1M /srv/media > report.json
              dupelink scan --format html /srv/media > review.html
              dupelink scan --exclude '*.tmp' --exclude '/srv/media/cache/*' /srv/media
            """)

    @OptionGroup var walk: WalkOptionGroup
    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    func validate() throws {
        if walk.paths.isEmpty { throw ValidationError("Name at least one directory to scan.") }
    }

    func run() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        let scan = try session.scan(roots: walk.roots, options: walk.scanOptions)
        let plan = LinkPlanner.plan(scan, options: session.linkOptions(planning, for: scan))
        try session.finish(ScanReport(scan: scan, plan: plan))
    }
}
