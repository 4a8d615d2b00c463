import ArgumentParser
import DupelinkCore

/// `dupelink report`: print a saved scan again, in any format; change nothing.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a saved scan again (default: the latest); change nothing.",
        discussion: """
            Every scan is saved in the catalog (one that finds exactly what the newest saved scan \
            found updates that scan, which keeps its number). This prints one again, in any \
            --format, with the same reclaimable figures, without reading a file: review it, then \
            apply it with \
            `dupelink link --scan ID`, which re-checks every file first. The warnings of the \
            original scan are not saved, and are not printed again.

            EXAMPLES:
              dupelink report --list                the saved scans: number, time, classes, reclaimable
              dupelink report --by-directory        where the space is: directories by bytes freed in them
              dupelink report                       the latest scan, as text
              dupelink report 12 --format json > review.json
            """)

    @Argument(help: ArgumentHelp("The scan's number in the catalog (default: the latest).", valueName: "scan"))
    var scan: Int64?

    @Flag(name: .customLong("by-directory"), help: "Print the directories ranked by the bytes linking would free in them (each replaced name counted once, in its own directory), with file counts, instead of the classes; text, json or csv; --top N limits the list.")
    var byDirectory = false

    @Flag(name: .long, help: "List the saved scans (number, time, classes, names, reclaimable bytes, roots) instead of printing one; text, or JSON with --format json.")
    var list = false

    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    mutating func validate() throws {
        if catalog.noCatalog { throw ValidationError("report reads the catalog; --no-catalog leaves nothing to report.") }
        if list && scan != nil { throw ValidationError("--list lists every saved scan: give no scan number.") }
        if list && byDirectory { throw ValidationError("--list and --by-directory contradict each other.") }
        if byDirectory && (output.format == .fdupes || output.format == .html) {
            throw ValidationError("--by-directory prints text, json or csv.")
        }
        if list && ![.text, .json].contains(output.format) {
            throw ValidationError("--list prints text or json.")
        }
    }

    func run() throws {
        let session = try CommandSession(output: output, catalog: catalog)
        if list { return try printList(session) }
        let saved = try SavedScanLoader.load(scan, from: session.catalog)
        let result = try SavedScanLoader.rebuild(saved)
        let plan = LinkPlanner.plan(result, options: session.linkOptions(planning, for: result))
        var report = ScanReport(scan: result, plan: plan)
        report.scanID = saved.id
        if byDirectory { return try printDirectories(report) }
        try session.finish(report)
    }

    private func printDirectories(_ report: ScanReport) throws {
        var failed = false
        var writer = ByteWriter { bytes in
            if !StandardStreams.write(bytes, to: 1) { failed = true }
        }
        DirectorySpace.render(report, format: output.format, top: output.top.flatMap { $0 == 0 ? nil : $0 }, into: &writer)
        if failed {
            StandardStreams.error("cannot write the list to standard output")
            throw ExitStatus.failure
        }
    }

    private func printList(_ session: CommandSession) throws {
        guard let catalog = session.catalog else {
            StandardStreams.error("there is no catalog, so no saved scans; see --catalog")
            throw ExitStatus.failure
        }
        let listing: ScanListing
        do {
            listing = ScanListing(try catalog.listScans())
        } catch {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
        let bytes = output.format == .json ? listing.encoded() : Array(listing.text.utf8)
        guard StandardStreams.write(bytes, to: 1) else {
            StandardStreams.error("cannot write the list to standard output")
            throw ExitStatus.failure
        }
    }
}
