import ArgumentParser
import DupelinkCore
import Foundation
import Glibc

/// The catalog options of the commands that need the journal (`history`, `undo`): which catalog,
/// and how long to wait for another run to release it.
struct JournalCatalogOptionGroup: ParsableArguments {
    /// `--catalog` and `--wait`, as the `catalog` commands take them.
    @OptionGroup var location: CatalogLocationOptionGroup

    /// Takes the catalog's lock for the rest of the run, as every command that uses a catalog
    /// does, and opens the catalog; a damaged one is refused here, never moved aside. Returns nil
    /// when there is no catalog at the path: these commands never create one (nor its lock file).
    ///
    /// Touches the disk: may create the lock file beside an existing catalog.
    /// - Throws: the documented `ExitCode` after printing why: 2 when the catalog cannot be used or
    ///   is not trusted, 4 when another run holds it past `--wait`, 130 when interrupted while
    ///   waiting.
    func open(quiet: Bool = false) throws -> Catalog? {
        let access = CatalogAccess(named: location.catalog, wait: location.wait, quiet: quiet, mustExist: true, recovery: .refuse)
        guard let path = access.path else {
            StandardStreams.error("neither XDG_CACHE_HOME nor HOME is set; name the catalog with --catalog")
            throw ExitStatus.failure
        }
        let cPath = path.cString
        do {
            _ = try Syscalls.status(of: cPath, in: Syscalls.currentDirectory)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            // Opening says what is wrong.
        }
        StopSignals.install()
        do {
            return try access.open()
        } catch {
            StandardStreams.error(error.message)
            throw error.status
        }
    }
}
