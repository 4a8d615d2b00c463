import ArgumentParser
import DupelinkCore

/// Options that decide which duplicates may be linked and which copy is kept.
struct PlanningOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Keep the copy under this directory when a class has one there. Repeatable; earlier ones win.",
        valueName: "dir"))
    var prefer: [String] = []

    @Flag(name: .long, help: "Link files even when their owner or group differ (the kept copy's owner wins).")
    var ignoreOwner = false

    @Flag(name: .long, help: "Link files even when their permission bits differ (the kept copy's mode wins).")
    var ignoreMode = false

    mutating func validate() throws {
        for directory in prefer where PreferredDirectory.identity(of: RawArguments.bytes(for: directory)) == nil {
            throw ValidationError("--prefer '\(directory)' is not a directory.")
        }
    }

    var linkOptions: LinkOptions {
        var options = LinkOptions()
        options.ignoreOwner = ignoreOwner
        options.ignoreMode = ignoreMode
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
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        guard let status = try? Syscalls.status(of: cPath, in: Syscalls.currentDirectory, followSymlinks: true),
            status.kind == .directory
        else { return nil }
        return status.id
    }
}
