import ArgumentParser

/// The options of the `catalog` commands: which catalog, and how long to wait for it. (They work
/// on a catalog, so `--no-catalog` has no place here.)
struct CatalogLocationOptionGroup: ParsableArguments {
    /// The catalog named with `--catalog`, if any.
    @Option(name: .long, help: ArgumentHelp(
        "The catalog database (default: $XDG_CACHE_HOME/dupelink/catalog.sqlite, else ~/.cache/dupelink/catalog.sqlite).",
        valueName: "path"), completion: .file())
    var catalog: String?

    /// `--wait`: how long to wait for another run to release the catalog, in seconds.
    @Option(name: .long, help: ArgumentHelp(
        "When another dupelink run holds the catalog, wait up to this many seconds for it; 0 does not wait, and the run exits with status 4.",
        valueName: "seconds"))
    var wait: Double = 0

    /// Rejects a `--wait` that is not a number of seconds.
    mutating func validate() throws {
        try CatalogOptionGroup.validateWait(wait)
    }

    /// How to open the catalog these options name: it must exist, and it must work.
    func access(quiet: Bool) -> CatalogAccess {
        CatalogAccess(named: catalog, wait: wait, quiet: quiet, mustExist: true)
    }
}
