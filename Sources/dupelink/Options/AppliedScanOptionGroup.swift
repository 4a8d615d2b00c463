import ArgumentParser

/// `--scan ID` and `--from FILE`: apply a scan already made instead of scanning (`link`, `dedupe`).
struct AppliedScanOptionGroup: ParsableArguments {
    @Option(name: .customLong("scan"), help: ArgumentHelp(
        "Apply the scan saved in the catalog under this number instead of scanning (no paths then).", valueName: "id"))
    var savedScan: Int64?

    @Option(name: .customLong("from"), help: ArgumentHelp(
        "Apply this JSON report (made by --format json, perhaps edited) instead of scanning (no paths then). A regular file of at most 2 GiB.",
        valueName: "file"), completion: .file())
    var reportFile: String?

    /// Whether a scan already made is applied.
    var isApplying: Bool { savedScan != nil || reportFile != nil }

    /// The argument rules shared by the commands that apply scans, with their walk and catalog options.
    func validate(walk: WalkOptionGroup, catalog: CatalogOptionGroup) throws {
        if savedScan != nil && reportFile != nil { throw ValidationError("--scan and --from contradict each other.") }
        if savedScan != nil && catalog.noCatalog { throw ValidationError("--scan reads the catalog; --no-catalog contradicts it.") }
        if isApplying {
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
}
