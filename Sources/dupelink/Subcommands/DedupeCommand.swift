import ArgumentParser
import DupelinkCore

/// `dupelink dedupe`: scan, then make duplicates share data extents (`FIDEDUPERANGE`).
struct DedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedupe",
        abstract: "Scan, then make duplicates share data extents with their kept copy (btrfs, XFS).",
        discussion: """
            Instead of hard links, asks the kernel (the FIDEDUPERANGE ioctl) to make each \
            duplicate use the same blocks on disk as its kept copy. The kernel compares the bytes \
            itself, under its own locks, and shares only ranges that are equal: a range that \
            differs is reported ("not deduplicated: contents differ"), never forced. Every file \
            keeps its own inode, name, owner, group, mode, times, extended attributes and flags, \
            and stays a separate file: a later write to one is copied, never seen by the others.

            So owner, mode and attribute differences do not matter and are not refused; only \
            the filesystem does (extents are shared within one). The kept copy is chosen as for \
            link. Before each file, it is checked against the fingerprint it had when it was \
            compared (as link does): one changed since is skipped. A duplicate whose every \
            extent is already one of the kept copy's (FIEMAP: a reflinked copy, an earlier run) \
            is left as it is without a call, and the scan counts such bytes as already shared, \
            not reclaimable. Free space is measured \
            (statvfs) on each filesystem changed, before and after, and printed: blocks a \
            snapshot or another file still uses stay in use.

            Needs a filesystem that shares extents: btrfs, or XFS made with reflink=1. On ext4, \
            tmpfs and others (ZFS clones blocks but has no FIDEDUPERANGE) each file is reported \
            "not deduplicated: this filesystem cannot share extents" and nothing changes. Runs \
            appear in history; there is nothing to undo. The file to share is opened read-only, \
            which the kernel accepts from root, the file's owner or a user who may write it.

            EXAMPLES:
              dupelink dedupe --dry-run /srv/vm-images
              dupelink dedupe --prefer /backup/2024 /backup
              dupelink dedupe --quiet --summary-json runs.jsonl --format json /backup > deduped.json
              dupelink dedupe --scan 12

            EXIT STATUS (as for link):
              0    deduplicated at least one file (--dry-run: would)
              1    some files skipped: changed since compared, contents differ, or the
                   filesystem cannot share extents (see the warnings)
              2    failure (nothing scanned, catalog unusable, output not writable)
              3    nothing to deduplicate (no duplicates, all refused, or all already
                   sharing their kept copy's extents)
              4    locked: another run holds the catalog
              64   usage error (also --ignore-owner, --ignore-mode, --ignore-xattrs)
              130  interrupted (the file in progress was finished)
            """)

    @OptionGroup var walk: WalkOptionGroup
    @OptionGroup var output: OutputOptionGroup
    @OptionGroup var planning: PlanningOptionGroup
    @OptionGroup var catalog: CatalogOptionGroup

    @Flag(name: [.customShort("n"), .long], help: "Print what would be deduplicated, and change nothing.")
    var dryRun = false

    @OptionGroup var applied: AppliedScanOptionGroup

    mutating func validate() throws {
        if planning.ignoreOwner || planning.ignoreMode || planning.ignoreXattrs {
            throw ValidationError(
                "--ignore-owner, --ignore-mode and --ignore-xattrs do not apply to dedupe: each file keeps its own owner, mode and attributes, so they never matter.")
        }
        try applied.validate(walk: walk, catalog: catalog)
    }

    func run() throws {
        var options = planning.linkOptions
        options.sharesExtents = true
        try LinkFlow(
            walk: walk, output: output, catalog: catalog, applied: applied, options: options,
            // Sharing extents joins no inodes: what undo separated stays separate anyway.
            relinkSeparated: true, dryRun: dryRun,
            sharesExtents: true
        ).run()
    }
}
