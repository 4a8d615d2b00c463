import ArgumentParser
import DupelinkCore

/// `dupelink report`: print a saved scan again, in any format; change nothing.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a saved scan again (default: the latest); change nothing.",
        discussion: """
            Every scan is saved in the catalog. This prints one again, in any --format, with the \
            same reclaimable figures, without reading a file: review it, then apply it with \
            `dupelink link --scan ID`, which re-checks every file first. The warnings of the \
            original scan are not saved, and are not printed again.

            EXAMPLES:
              dupelink report                       the latest scan, as text
              dupelink report 12 --format json > review.json
            """)

    @Argument(help: ArgumentHelp("The scan's number in the catalog (default: the latest).", valueName: "scan"))
    var scan: Int64?

    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    mutating func validate() throws {
        if catalog.noCatalog { throw ValidationError("report reads the catalog; --no-catalog leaves nothing to report.") }
    }

    func run() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        let saved = try SavedScanLoader.load(scan, from: session.catalog)
        let result = try SavedScanLoader.rebuild(saved)
        let plan = LinkPlanner.plan(result, options: planning.linkOptions)
        var report = ScanReport(roots: saved.roots, scan: result, plan: plan)
        report.scanID = saved.id
        try session.finish(report)
    }
}

/// Loading a saved scan for `report` and `link --scan`, with the errors a user sees.
enum SavedScanLoader {
    /// Loads scan `id` (the latest when nil); prints why not and ends with status 2 when it cannot.
    static func load(_ id: Int64?, from catalog: Catalog?) throws -> SavedScan {
        guard let catalog else {
            StandardStreams.error("no catalog could be opened, so there is no saved scan")
            throw ExitStatus.failure
        }
        do {
            guard let id = try id ?? catalog.latestScanID() else {
                StandardStreams.error("the catalog \(PathText.display(catalog.path)) has no saved scan; run dupelink scan first")
                throw ExitStatus.failure
            }
            return try catalog.loadScan(id: id)
        } catch let error as DupelinkError {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
    }

    /// Rebuilds a saved scan for the planner and the linker; prints why not and ends with status 2.
    static func rebuild(_ saved: SavedScan) throws -> ScanResult {
        do {
            return try saved.scanResult()
        } catch {
            StandardStreams.error(error.description + "; nothing was changed")
            throw ExitStatus.failure
        }
    }
}
