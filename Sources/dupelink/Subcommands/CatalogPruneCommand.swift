import ArgumentParser
@_spi(Stages) import DupelinkCore
import Foundation

/// `dupelink catalog prune`: forget digests nothing can use any more, and old saved scans.
struct CatalogPruneCommand: ParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Forget the digests of files that no longer exist or changed, old digests, and old saved scans.",
        discussion: """
            With paths, walks them and forgets every stored digest, on the filesystems the walk \
            entered, of a file that is gone or whose size, modification time or change time \
            differs. Digests are kept by inode, not by path, so files on those filesystems outside \
            the paths are forgotten too: name the mount points of whole filesystems (a forgotten \
            digest only costs a read at the next scan). Forgetting never changes a scanned file.

            EXAMPLES:
              dupelink catalog prune /backup
              dupelink catalog prune --older-than 90
              dupelink catalog prune --keep-scans 30
              dupelink catalog prune --forget-separated
            """)

    /// The directories to walk, whose filesystems' stale digests are forgotten.
    @Argument(help: ArgumentHelp(
        "Walk these directories and forget the digests of files on their filesystems that no longer exist or changed.",
        valueName: "path"), completion: .directory)
    var paths: [String] = []

    /// `--older-than`: forget digests stored more than this many days ago.
    @Option(name: .customLong("older-than"), help: ArgumentHelp(
        "Forget the digests stored more than this many days ago.", valueName: "days"))
    var olderThan: Int?

    /// `--keep-scans`: how many of the newest saved scans to keep.
    @Option(name: .customLong("keep-scans"), help: ArgumentHelp(
        "Delete every saved scan but the newest N.", valueName: "n"))
    var keepScans: Int?

    /// `--forget-separated`: let later links link what undo and split separated.
    @Flag(name: .customLong("forget-separated"), help: ArgumentHelp(
        "Forget which files undo and split made separate, so that later link runs may link them again."))
    var forgetSeparated = false

    /// `--quiet`: no warnings about directories that could not be walked.
    @Flag(name: [.short, .long], help: "Print no warnings about directories that could not be walked.")
    var quiet = false

    /// Which catalog, and how long to wait for it.
    @OptionGroup var location: CatalogLocationOptionGroup

    /// Asks for something to prune, and for counts that are not negative.
    mutating func validate() throws {
        if paths.isEmpty && olderThan == nil && keepScans == nil && !forgetSeparated {
            throw ValidationError("Say what to prune: paths to walk, --older-than DAYS, --keep-scans N, or --forget-separated.")
        }
        if let olderThan, olderThan < 0 || olderThan > 365_000 { throw ValidationError("--older-than takes a number of days from 0.") }
        if let keepScans, keepScans < 0 { throw ValidationError("--keep-scans takes a number from 0.") }
    }

    /// Prunes, and prints one line per kind of thing forgotten. Exits 1 when some directories could not be walked, 2 when none could or the catalog cannot be written, 4 when another run holds it.
    func run() throws {
        let catalog = try CatalogCommand.open(location)
        var lines: [String] = []
        var status = ExitStatus.success
        if !paths.isEmpty {
            let roots = paths.map(RawArguments.bytes(for:))
            let walk = Walker(options: WalkOptions()).walk(roots: roots)
            if !quiet {
                for diagnostic in walk.diagnostics { StandardStreams.warning(diagnostic) }
            }
            guard walk.rootsScanned > 0 else {
                StandardStreams.error("no directory could be walked; nothing was forgotten")
                throw ExitStatus.failure
            }
            if !walk.diagnostics.isEmpty { status = ExitStatus.partial }
            var filesystems = FilesystemIdentities()
            filesystems.resolve(walk.table)
            let existing = walk.files.map(\.status)
            let removed = try CatalogCommand.attempt { () throws(DupelinkError) in
                try catalog.pruneDigests(existing: existing, filesystems: filesystems)
            }
            lines.append("Forgot \(Self.count(removed, "digest")) of files that no longer exist or changed (walked \(Self.count(walk.files.count, "file"))).")
        }
        if let olderThan {
            let cutoff = Int64(Date().timeIntervalSince1970) - Int64(olderThan) * 86_400
            let removed = try CatalogCommand.attempt { () throws(DupelinkError) in try catalog.pruneDigests(storedBefore: cutoff) }
            lines.append("Forgot \(Self.count(removed, "digest")) stored more than \(Self.count(olderThan, "day")) ago.")
        }
        if let keepScans {
            let removed = try CatalogCommand.attempt { () throws(DupelinkError) in try catalog.deleteScans(keepingLatest: keepScans) }
            lines.append("Deleted \(Self.count(removed, "saved scan")); kept the newest \(keepScans).")
        }
        if forgetSeparated {
            let removed = try CatalogCommand.attempt { () throws(DupelinkError) in try catalog.forgetSeparated() }
            lines.append("Forgot \(Self.count(removed, "file")) that undo or split separated; later links may link them again.")
        }
        try CatalogCommand.print(lines.map { $0 + "\n" }.joined())
        if status != ExitStatus.success { throw status }
    }

    private static func count(_ value: Int, _ noun: String) -> String {
        value == 1 ? "1 \(noun)" : "\(value) \(noun)s"
    }
}
