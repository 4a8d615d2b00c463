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
            holding other content. Files on different filesystems, or with a different owner or \
            mode, are not linked (see --ignore-owner, --ignore-mode) and are listed as such.

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

    @OptionGroup var applied: AppliedScanOptionGroup

    mutating func validate() throws {
        try applied.validate(walk: walk, catalog: catalog)
    }

    func run() throws {
        try LinkFlow(
            walk: walk, output: output, catalog: catalog, applied: applied, options: planning.linkOptions,
            relinkSeparated: planning.relinkSeparated, dryRun: dryRun,
            sharesExtents: false
        ).run()
    }
}
