import ArgumentParser
import DupelinkCore
import Foundation

/// Where the catalog (digest cache and saved scans) lives, and how long to wait for it.
struct CatalogOptionGroup: ParsableArguments {
    /// The catalog named with `--catalog`, if any.
    @Option(name: .long, help: ArgumentHelp(
        "The catalog database (default: $XDG_CACHE_HOME/dupelink/catalog.sqlite, else ~/.cache/dupelink/catalog.sqlite).",
        valueName: "path"), completion: .file())
    var catalog: String?

    /// `--no-catalog`: no catalog, no lock.
    @Flag(name: .long, help: "Use no catalog: read every candidate file, save nothing, take no lock.")
    var noCatalog = false

    /// `--wait`: how long to wait for another run to release the catalog, in seconds.
    @Option(name: .long, help: ArgumentHelp(
        "When another dupelink run holds the catalog, wait up to this many seconds for it; 0 does not wait, and the run exits with status 4.",
        valueName: "seconds"))
    var wait: Double = 0

    /// Rejects `--catalog` with `--no-catalog`, and a `--wait` that is not a number of seconds.
    mutating func validate() throws {
        if noCatalog && catalog != nil { throw ValidationError("--catalog and --no-catalog contradict each other.") }
        try Self.validateWait(wait)
    }

    /// Checks a `--wait` value: a number of seconds, 0 or more.
    static func validateWait(_ wait: Double) throws {
        guard wait.isFinite, wait >= 0, wait <= 31_536_000 else {
            throw ValidationError("--wait takes a number of seconds from 0 to 31536000 (a year).")
        }
    }

    /// How to open the catalog these options name.
    func access(quiet: Bool) -> CatalogAccess {
        CatalogAccess(named: catalog, wait: wait, quiet: quiet)
    }

    /// Takes the catalog's lock for the rest of the run and opens the catalog, or returns nil with
    /// `--no-catalog` (or when the default catalog cannot be used; see `CatalogAccess`).
    ///
    /// A damaged dupelink catalog is moved aside and a new one started, with a warning. A file that
    /// is not a dupelink catalog is never changed: named with `--catalog` it stops the run, at the
    /// default path it is a warning and the run goes on without a catalog.
    /// Touches the disk: see `CatalogAccess.open()`.
    /// - Throws: the documented `ExitCode` (4 when another run holds the catalog, 2 when a named
    ///   catalog cannot be used, 130 when interrupted while waiting), after printing why.
    func open(quiet: Bool) throws -> Catalog? {
        if noCatalog { return nil }
        do {
            return try access(quiet: quiet).open()
        } catch {
            StandardStreams.error(error.message)
            throw error.status
        }
    }
}
