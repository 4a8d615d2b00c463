import ArgumentParser
import DupelinkCore

/// `dupelink catalog`: look after the catalog (`info`, `prune`).
struct CatalogCommand: ParsableCommand {
    /// The command's name, help and subcommands.
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Show what the catalog holds, or make it forget old digests and scans.",
        discussion: """
            The catalog remembers the digests of files (by filesystem and inode) and every saved \
            scan. Both commands take the catalog's lock, as scan and link do: with another run \
            holding it, they wait up to --wait seconds, then exit with status 4. Neither creates a \
            catalog: with none at the path, they exit with status 2.

            EXAMPLES:
              dupelink catalog info
              dupelink catalog info --format json --catalog backup.sqlite
              dupelink catalog prune --keep-scans 30 --older-than 90 /backup
            """,
        subcommands: [CatalogInfoCommand.self, CatalogPruneCommand.self])

    /// Takes the lock and opens the catalog that `location` names, which must exist.
    ///
    /// - Throws: the documented `ExitCode` after printing why: 2 when there is no usable catalog,
    ///   4 when another run holds it, 130 when interrupted while waiting.
    static func open(_ location: CatalogLocationOptionGroup) throws -> Catalog {
        StopSignals.install()
        let opened: Catalog?
        do {
            opened = try location.access(quiet: false).open()
        } catch {
            StandardStreams.error(error.message)
            throw error.status
        }
        // A catalog that must exist is never replaced by none; this is only for the compiler.
        guard let opened else { throw ExitStatus.failure }
        return opened
    }

    /// Runs a catalog operation; a failure is printed and ends the run with status 2.
    static func attempt<T>(_ body: () throws(DupelinkError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
    }

    /// Writes `text` to standard output.
    ///
    /// - Throws: `ExitStatus.failure` after saying so when standard output cannot be written.
    static func print(_ text: String) throws {
        if !StandardStreams.write(Array(text.utf8), to: 1) {
            StandardStreams.error("cannot write to standard output")
            throw ExitStatus.failure
        }
    }
}
