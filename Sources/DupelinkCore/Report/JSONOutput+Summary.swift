/// The `summary` of the JSON report: the totals its summary line shows.
extension JSONOutput {
    /// `summary`: the report's totals, keys sorted.
    mutating func totals(_ totals: ScanReport.Totals) {
        byte(UInt8(ascii: "{"))
        var first = true
        // Keys sorted, as the encoder writes them; those of `link` only are left out for `scan`.
        present("alreadySharedBytes", totals.alreadySharedBytes, first: &first)
        present("apparentBytesFreed", totals.apparentBytesFreed, first: &first)
        present("apparentReclaimableBytes", totals.apparentReclaimableBytes, first: &first)
        present("bytesCompared", totals.bytesCompared, first: &first)
        present("bytesFreed", totals.bytesFreed, first: &first)
        present("bytesFreedMeasured", totals.bytesFreedMeasured, first: &first)
        key("bytesScanned", indent: 2, first: &first)
        integer(totals.bytesScanned)
        key("classes", indent: 2, first: &first)
        integer(totals.classes)
        key("duplicateFiles", indent: 2, first: &first)
        integer(totals.duplicateFiles)
        present("filesAlreadyShared", totals.filesAlreadyShared, first: &first)
        present("filesLinked", totals.filesLinked, first: &first)
        key("filesScanned", indent: 2, first: &first)
        integer(totals.filesScanned)
        key("reclaimableBytes", indent: 2, first: &first)
        integer(totals.reclaimableBytes)
        key("refusedBytes", indent: 2, first: &first)
        integer(totals.refusedBytes)
        key("refusedFiles", indent: 2, first: &first)
        integer(totals.refusedFiles)
        present("replacementsWithoutLease", totals.replacementsWithoutLease, first: &first)
        if let secondsComparing = totals.secondsComparing {
            key("secondsComparing", indent: 2, first: &first)
            double(secondsComparing)
        }
        key("warnings", indent: 2, first: &first)
        integer(totals.warnings)
        close(UInt8(ascii: "}"), indent: 1, wasEmpty: false)
    }

    /// A summary member written only when it has a value, as the encoder leaves out a nil.
    private mutating func present(_ name: StaticString, _ value: (some BinaryInteger)?, first: inout Bool) {
        guard let value else { return }
        key(name, indent: 2, first: &first)
        integer(value)
    }
}
