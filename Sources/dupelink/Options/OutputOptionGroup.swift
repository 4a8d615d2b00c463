import ArgumentParser
import DupelinkCore

extension ReportFormat: ExpressibleByArgument {}

/// Options that decide what is printed.
struct OutputOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Output format: text, json, csv or fdupes.", valueName: "format"))
    var format: ReportFormat = .text

    @Flag(name: [.short, .long], help: "Print no progress and no warnings on standard error (the exit status still tells).")
    var quiet = false

    @Flag(name: .long, help: "Print the scan's counters (files, bytes read per stage, the floor, timings) on standard error.")
    var stats = false
}
