import ArgumentParser
import DupelinkCore
import Foundation

/// Where the catalog (digest cache and saved scans) lives.
struct CatalogOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The catalog database (default: $XDG_CACHE_HOME/dupelink/catalog.sqlite, else ~/.cache/dupelink/catalog.sqlite).",
        valueName: "path"))
    var catalog: String?

    @Flag(name: .long, help: "Use no catalog: read every candidate file, save nothing.")
    var noCatalog = false

    mutating func validate() throws {
        if noCatalog && catalog != nil { throw ValidationError("--catalog and --no-catalog contradict each other.") }
    }

    /// Opens the catalog, or returns nil with `--no-catalog` (or when no cache folder is known).
    ///
    /// A damaged catalog is moved aside and a new one started, with a warning. A file that is not a
    /// dupelink catalog is an error when named with `--catalog`; the default catalog that cannot be
    /// opened is a warning, and the run goes on without one.
    func open(quiet: Bool) throws -> Catalog? {
        if noCatalog { return nil }
        let path = catalog.map(RawArguments.bytes(for:)) ?? Catalog.defaultPath(environment: ProcessInfo.processInfo.environment)
        guard let path else {
            if !quiet { StandardStreams.error("warning: neither XDG_CACHE_HOME nor HOME is set; running without a catalog") }
            return nil
        }
        do {
            let opened = try Catalog.open(at: path, recovery: .moveAside)
            if let aside = opened.movedAside, !quiet {
                StandardStreams.error("warning: the catalog was damaged; moved it to \(PathText.display(aside)) and started a new one")
            }
            return opened
        } catch {
            // A catalog named with --catalog must work; the default one is a cache, so a user
            // without a writable home still gets a scan.
            if catalog == nil {
                if !quiet { StandardStreams.error("warning: \(error.description); running without a catalog") }
                return nil
            }
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
    }
}
