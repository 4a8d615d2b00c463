import ArgumentParser
import DupelinkCore

/// Options that decide which duplicates may be linked and which copy is kept.
struct PlanningOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Keep the copy under this directory when a class has one there. Repeatable; earlier ones win.",
        valueName: "dir"), completion: .directory)
    var prefer: [String] = []

    @Flag(name: .long, help: ArgumentHelp(
        "Link files even when their owner or group differ (the kept copy's owner wins).",
        discussion: "Never when that would let any user or group read or write what they could not through the name's own file, or take read or write access from its owner."))
    var ignoreOwner = false

    @Flag(name: .long, help: ArgumentHelp(
        "Link files even when their permission bits differ (the kept copy's mode wins).",
        discussion: "Set-user-ID, set-group-ID and sticky bits must still match, and access never widens (as for --ignore-owner)."))
    var ignoreMode = false

    @Flag(name: .customLong("ignore-xattrs"), help: ArgumentHelp(
        "Link files even when their user.* extended attributes differ (the kept copy's win; undo puts them back).",
        discussion: "Only user.*, which grants nothing: ACLs, capabilities, security labels, trusted.* attributes and inode flags must always match, and immutable or append-only files are never linked."))
    var ignoreXattrs = false

    @Flag(name: .customLong("relink-separated"), help: ArgumentHelp(
        "Link files that undo or split made separate, too.",
        discussion: "By default a name that undo or split turned into a file of its own stays so (\"kept separate since undo or split\"), as long as it is unchanged; 'dupelink catalog prune --forget-separated' forgets them all."))
    var relinkSeparated = false

    mutating func validate() throws {
        for directory in prefer where PreferredDirectory.identity(of: RawArguments.bytes(for: directory)) == nil {
            throw ValidationError("--prefer '\(directory)' is not a directory.")
        }
    }

    var linkOptions: LinkOptions {
        var options = LinkOptions()
        options.ignoreOwner = ignoreOwner
        options.ignoreMode = ignoreMode
        options.ignoreUserAttributes = ignoreXattrs
        options.preferredDirectories = prefer.map(RawArguments.bytes(for:))
        options.preferredDirectoryIDs = options.preferredDirectories.map {
            PreferredDirectory.identity(of: $0) ?? FileID(device: .max, inode: .max)
        }
        return options
    }
}

/// Resolves a `--prefer` directory to its identity, following symbolic links as a user typing it expects.
enum PreferredDirectory {
    static func identity(of path: [UInt8]) -> FileID? {
        let cPath = path.cString
        guard let status = try? Syscalls.status(of: cPath, in: Syscalls.currentDirectory, followSymlinks: true),
            status.kind == .directory
        else { return nil }
        return status.id
    }
}
