/// The parts of the JSON report that say what may not be linked and what was: `refusals` (the
/// plan's, for every command) and `replacements` (for `link` and `dedupe`, what the linker
/// replaced, or in a dry run would).
extension JSONOutput {
    /// `refusals`: one object per refused inode, keys sorted.
    mutating func refusals(_ report: ScanReport) {
        let scan = report.scan
        byte(UInt8(ascii: "["))
        var firstRefusal = true
        for refusal in report.refusals {
            element(indent: 2, first: &firstRefusal)
            byte(UInt8(ascii: "{"))
            var member = true
            key("bytes", indent: 3, first: &member)
            integer(refusal.bytes)
            key("message", indent: 3, first: &member)
            string(refusal.message)
            key("path", indent: 3, first: &member)
            loadPath(ofFile: scan.files[Int(refusal.file)])
            pathObject(indent: 3)
            key("reason", indent: 3, first: &member)
            string(refusal.reason.code)
            if refusal.reference != refusal.file {
                key("reference", indent: 3, first: &member)
                loadPath(ofFile: scan.files[Int(refusal.reference)])
                pathObject(indent: 3)
            }
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
            flushIfFull()
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstRefusal)
    }

    /// `replacements`: one object per name replaced, keys sorted.
    mutating func replacements(_ report: ScanReport) {
        let scan = report.scan
        byte(UInt8(ascii: "["))
        var firstReplacement = true
        for replacement in report.replacements {
            element(indent: 2, first: &firstReplacement)
            byte(UInt8(ascii: "{"))
            var member = true
            key("apparentBytesFreed", indent: 3, first: &member)
            integer(replacement.apparentBytesFreed)
            key("bytesFreed", indent: 3, first: &member)
            integer(replacement.bytesFreed)
            key("duplicate", indent: 3, first: &member)
            loadPath(ofFile: scan.files[Int(replacement.duplicate)])
            pathObject(indent: 3)
            key("keeper", indent: 3, first: &member)
            loadPath(ofFile: scan.files[Int(replacement.keeper)])
            pathObject(indent: 3)
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
            flushIfFull()
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstReplacement)
    }
}
