/// The folder parts of the JSON report: `duplicateFolders` (sets of folders whose whole subtree is
/// identical) and `nearlyIdenticalFolders` (pairs that match but for a few files).
extension JSONOutput {
    /// `duplicateFolders`: one object per set, keys sorted.
    mutating func duplicateFolders(_ report: ScanReport) {
        byte(UInt8(ascii: "["))
        var firstSet = true
        for folders in report.duplicateFolders {
            element(indent: 2, first: &firstSet)
            byte(UInt8(ascii: "{"))
            var member = true
            key("bytes", indent: 3, first: &member)
            integer(folders.bytes)
            key("files", indent: 3, first: &member)
            integer(folders.files)
            folderPaths(folders.directories, of: report.scan, first: &member)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: false)
    }

    /// `nearlyIdenticalFolders`: one object per pair, keys sorted.
    mutating func nearlyIdenticalFolders(_ report: ScanReport) {
        byte(UInt8(ascii: "["))
        var firstPair = true
        for pair in report.nearlyIdenticalFolders {
            element(indent: 2, first: &firstPair)
            byte(UInt8(ascii: "{"))
            var member = true
            key("matchingBytes", indent: 3, first: &member)
            integer(pair.matchingBytes)
            key("matchingFiles", indent: 3, first: &member)
            integer(pair.matchingFiles)
            key("onlyInFirst", indent: 3, first: &member)
            integer(pair.onlyInFirst)
            key("onlyInSecond", indent: 3, first: &member)
            integer(pair.onlyInSecond)
            folderPaths([pair.first, pair.second], of: report.scan, first: &member)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: false)
    }

    /// The last member of a folder object, `paths`, and the object's closing brace.
    private mutating func folderPaths(_ directories: [Int32], of scan: ScanResult, first: inout Bool) {
        key("paths", indent: 3, first: &first)
        byte(UInt8(ascii: "["))
        var firstPath = true
        for directory in directories {
            element(indent: 4, first: &firstPath)
            pathObject(scan.table.path(ofDirectory: directory), indent: 4)
        }
        close(UInt8(ascii: "]"), indent: 3, wasEmpty: firstPath)
        close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
        flushIfFull()
    }
}
