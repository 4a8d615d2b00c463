import ArgumentParser
import DupelinkCore

@main
struct DupelinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dupelink",
        abstract: "Find duplicate files and replace them with hard links, safely.",
        discussion: """
            dupelink walks the given directories (never following symbolic links), groups regular \
            files by size, then by a digest of their first and last blocks, then reads the survivors \
            in full, comparing them byte for byte while computing their XXH3-128 digests. Only \
            byte-identical files are reported, and only they are ever linked. The holes of sparse \
            files are compared as zeros without being read. Reclaimable and freed bytes are \
            counted by allocated blocks, as df shows them; where files are sparse, the apparent \
            size is shown beside.

            A hard link is another name for the same file: after linking, the names share one \
            content, owner, mode and modification time. Editing one name in place changes every \
            name; a program that saves by writing a new file and renaming it breaks the link. \
            On btrfs and XFS (reflink), dedupe instead makes duplicates share data extents: each \
            file keeps its own inode, owner, mode and times, and a write to one is copied.

            EXAMPLES:
              dupelink scan ~/Pictures                     report duplicates, change nothing
              dupelink scan --format json /srv/media > dupes.json
              dupelink link --dry-run ~/Music              show what linking would do
              dupelink link --prefer /backup/2024 /backup  link, keeping files under /backup/2024
              dupelink report --format json > review.json  print the latest saved scan again
              dupelink link --from review.json             apply the reviewed report, re-checking each file
              dupelink scan --format html ~/Pictures > review.html
                                                           review in a browser; its plan goes to link --from
              dupelink dedupe /srv/vm-images               share extents (btrfs, XFS), keep separate files
              dupelink link --quiet --summary-json runs.jsonl /backup
              dupelink link --progress plain --drop-cache /backup
                                                           for a log: a progress line every 10 s
              kill -USR1 PID                               a running dupelink prints its progress
              dupelink report --by-directory               where the space is, by directory
              dupelink report --list                       the saved scans
              dupelink undo 7                              make run 7's names separate files again
              dupelink catalog info                        what the catalog holds

            One run at a time uses a catalog: a second one waits up to --wait seconds, \
            then exits with status 4. --summary-json appends one line of JSON per run.

            EXIT STATUS:
              0    success: scan completed; link linked (--dry-run: would link) something
              1    partial: some files could not be read or linked (see the warnings)
              2    failure: nothing scanned, catalog unusable or not trusted (another
                   user could change it), output not writable, or an input file unusable
              3    nothing to do: link or dedupe found nothing to do (none, or all refused)
              4    locked: another run holds the catalog, and --wait ran out
              64   usage error
              130  interrupted by SIGINT or SIGTERM
            When several apply, the first of 130, 2, 4, 1, 3, 0 wins.
            """,
        version: DupelinkVersion.current,
        subcommands: [
            ScanCommand.self, LinkCommand.self, DedupeCommand.self, ReportCommand.self, HistoryCommand.self, UndoCommand.self,
            SplitCommand.self, CatalogCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// The version `--version` prints.
enum DupelinkVersion {
    static let current = "1.0.0-dev"
}
