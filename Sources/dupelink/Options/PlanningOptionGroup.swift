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

    var linkOptions: LinkOptions {
        var options = LinkOptions()
        options.ignoreOwner = ignoreOwner
        options.ignoreMode = ignoreMode
        options.preferredDirectories = prefer.map(RawArguments.bytes(for:))
        return options
    }
}
