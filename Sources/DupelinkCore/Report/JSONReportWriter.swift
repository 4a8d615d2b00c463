/// Writes the JSON report straight to bytes: the document `JSONReport(report).encoded()` gives,
/// byte for byte (same keys in the same sorted order, same pretty-printed layout, same escapes,
/// same numbers), without building the `Codable` tree or running Foundation's encoder.
///
/// For 100,000 files the `Codable` route builds a `String` per path and a dictionary per object,
/// and the encoder walks them again; this writer builds each path once from its directory's cached
/// path and writes it, escaped as it goes, through a `JSONCursor` into a buffer handed on in
/// 64 KiB pieces; a file's object is written with three checks for room, not one per byte.
/// `JSONReport` stays the schema and the decoder; `JSONReportWriterTests` checks that the two give
/// the same document, so they cannot drift.
///
/// Strings are escaped as `JSONEncoder` does, within RFC 8259: `"` and `\` with a backslash;
/// `\b \t \n \f \r` by name; other control characters as `\u00XX`; `/` and everything from U+007F
/// on as is. A path that is not valid UTF-8 is written as `path` with U+FFFD for each bad sequence,
/// plus `pathBase64` with its exact bytes.
public enum JSONReportWriter {
    /// Writes `report` as JSON, ending in a newline, into `writer` (without flushing it).
    public static func write(_ report: ScanReport, into writer: inout ByteWriter) {
        var output = JSONOutput(writer: writer, table: report.scan.table)
        output.report(report)
        output.flush()
        writer = output.writer
    }

    /// The report as JSON bytes, ending in a newline.
    public static func bytes(_ report: ScanReport) -> [UInt8] {
        var result: [UInt8] = []
        var writer = ByteWriter { result.append(contentsOf: $0) }
        write(report, into: &writer)
        writer.flush()
        return result
    }
}

// MARK: The document

extension JSONOutput {
    /// The whole report; keys in sorted order, as `JSONEncoder`'s `.sortedKeys` puts them.
    mutating func report(_ report: ScanReport) {
        let scan = report.scan
        byte(UInt8(ascii: "{"))
        var first = true
        key("classes", indent: 1, first: &first)
        classes(report)
        key("command", indent: 1, first: &first)
        string(report.command)
        key("dryRun", indent: 1, first: &first)
        bool(report.dryRun)
        if !report.duplicateFolders.isEmpty {
            key("duplicateFolders", indent: 1, first: &first)
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
                folderPaths(folders.directories, of: scan, first: &member)
            }
            close(UInt8(ascii: "]"), indent: 1, wasEmpty: false)
        }
        if !report.nearlyIdenticalFolders.isEmpty {
            key("nearlyIdenticalFolders", indent: 1, first: &first)
            nearlyIdenticalFolders(report)
        }
        key("refusals", indent: 1, first: &first)
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
        if report.isApplied {
            key("replacements", indent: 1, first: &first)
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
        key("roots", indent: 1, first: &first)
        byte(UInt8(ascii: "["))
        var firstRoot = true
        for root in report.roots {
            element(indent: 2, first: &firstRoot)
            pathObject(root, indent: 2)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstRoot)
        if let scanID = report.scanID {
            key("scanID", indent: 1, first: &first)
            integer(scanID)
        }
        key("schemaVersion", indent: 1, first: &first)
        raw("1")
        key("statistics", indent: 1, first: &first)
        statistics(scan.statistics)
        key("summary", indent: 1, first: &first)
        totals(report.totals)
        key("warnings", indent: 1, first: &first)
        byte(UInt8(ascii: "["))
        var firstWarning = true
        for diagnostic in report.diagnostics {
            element(indent: 2, first: &firstWarning)
            byte(UInt8(ascii: "{"))
            var member = true
            key("code", indent: 3, first: &member)
            string(diagnostic.error.code.rawValue)
            key("message", indent: 3, first: &member)
            string(diagnostic.error.description)
            key("path", indent: 3, first: &member)
            pathObject(diagnostic.error.path, indent: 3)
            key("stage", indent: 3, first: &member)
            string(diagnostic.stage.rawValue)
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
            flushIfFull()
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstWarning)
        close(UInt8(ascii: "}"), indent: 0, wasEmpty: false)
        byte(UInt8(ascii: "\n"))
    }

    mutating func classes(_ report: ScanReport) {
        let scan = report.scan
        // Where every name is, in the order they are written, gathered in a loop that does
        // nothing else: the records are scattered over the walk's array, and this way the
        // processor fetches many at once instead of one per object written.
        var locations: [NameLocation] = []
        locations.reserveCapacity(scan.classes.reduce(0) { $0 + $1.nameCount })
        for duplicateClass in scan.classes {
            for member in duplicateClass.members {
                for name in member.names { locations.append(NameLocation(scan.files[Int(name)])) }
            }
        }
        var next = 0
        byte(UInt8(ascii: "["))
        var firstClass = true
        for (index, duplicateClass) in scan.classes.enumerated() {
            var member = true
            // At most 193 bytes: element 6, brace 1, four keys of at most 37, two numbers of at
            // most 20, digest 34, bracket 1.
            write(atMost: 256) { out in
                out.element(indent: 2, first: &firstClass)
                out.byte(UInt8(ascii: "{"))
                out.key("alreadySharedBytes", indent: 3, first: &member)
                out.integer(report.alreadySharedByClass[index])
                out.key("apparentReclaimableBytes", indent: 3, first: &member)
                out.integer(report.apparentReclaimableByClass[index])
                if let digest = duplicateClass.digest {
                    out.key("digest", indent: 3, first: &member)
                    out.digest(digest)
                }
                out.key("files", indent: 3, first: &member)
                out.byte(UInt8(ascii: "["))
            }
            var firstFile = true
            // By position: a `for` over the members would copy each, and retain its names.
            for position in duplicateClass.members.indices {
                let status = duplicateClass.members[position].status
                let id = duplicateClass.members[position].id
                let attributes = JSONReport.attributesField(duplicateClass.members[position].attributes)
                for _ in 0..<duplicateClass.members[position].names.count {
                    let location = locations[next]
                    next += 1
                    let directory = scan.table.directories[Int(location.directory)].id
                    loadPath(of: location)
                    var field = true
                    // At most: 10 (element) + 1 + 10 members of at most 35 (key) + 21 (value), the
                    // attributes' digest, 35 + 34, and two decimal times of 35 + 33.
                    write(atMost: 11 + 10 * 56 + 69 + 2 * 68) { out in
                        out.element(indent: 4, first: &firstFile)
                        out.byte(UInt8(ascii: "{"))
                        out.key("allocatedBytes", indent: 5, first: &field)
                        out.integer(status.allocatedBytes)
                        switch attributes {
                        case .digest(let digest):
                            out.key("attributesDigest", indent: 5, first: &field)
                            out.digest(digest)
                        case .unreadable:
                            out.key("attributesDigest", indent: 5, first: &field)
                            out.raw("\"unreadable\"")
                        case nil:
                            break
                        }
                        out.key("changeTime", indent: 5, first: &field)
                        out.decimalTime(status.changeTime)
                        out.key("changeTimeNs", indent: 5, first: &field)
                        out.integer(status.changeTime)
                        out.key("device", indent: 5, first: &field)
                        out.integer(id.device)
                        out.key("directoryDevice", indent: 5, first: &field)
                        out.integer(directory.device)
                        out.key("directoryInode", indent: 5, first: &field)
                        out.integer(directory.inode)
                        out.key("gid", indent: 5, first: &field)
                        out.integer(status.groupID)
                        out.key("inode", indent: 5, first: &field)
                        out.integer(id.inode)
                        out.key("links", indent: 5, first: &field)
                        out.integer(status.linkCount)
                        out.key("mode", indent: 5, first: &field)
                        out.integer(status.mode)
                        out.key("modificationTime", indent: 5, first: &field)
                        out.decimalTime(status.modificationTime)
                        out.key("modificationTimeNs", indent: 5, first: &field)
                        out.integer(status.modificationTime)
                    }
                    pathMembers(indent: 5, first: &field)
                    // At most: 2 members of at most 21 (key) + 21 (value), and 11 to close.
                    write(atMost: 2 * 42 + 11) { out in
                        out.key("size", indent: 5, first: &field)
                        out.integer(status.size)
                        out.key("uid", indent: 5, first: &field)
                        out.integer(status.userID)
                        out.close(UInt8(ascii: "}"), indent: 4, wasEmpty: false)
                    }
                    flushIfFull()
                }
            }
            close(UInt8(ascii: "]"), indent: 3, wasEmpty: firstFile)
            key("reclaimableBytes", indent: 3, first: &member)
            integer(report.reclaimableByClass[index])
            key("size", indent: 3, first: &member)
            integer(duplicateClass.size)
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstClass)
    }

    mutating func statistics(_ statistics: ScanStatistics) {
        byte(UInt8(ascii: "{"))
        var first = true
        if let seconds = statistics.attributeSeconds {
            key("attributeSeconds", indent: 2, first: &first)
            double(seconds)
        }
        key("bytesReadContent", indent: 2, first: &first)
        integer(statistics.bytesReadContent)
        key("bytesReadHeadTail", indent: 2, first: &first)
        integer(statistics.bytesReadHeadTail)
        key("bytesWalked", indent: 2, first: &first)
        integer(statistics.bytesWalked)
        key("catalogHits", indent: 2, first: &first)
        integer(statistics.catalogHits)
        key("contentSeconds", indent: 2, first: &first)
        double(statistics.contentSeconds)
        if let seconds = statistics.extentSeconds {
            key("extentSeconds", indent: 2, first: &first)
            double(seconds)
        }
        key("filesAfterHeadTail", indent: 2, first: &first)
        integer(statistics.filesAfterHeadTail)
        key("filesAfterSizeGrouping", indent: 2, first: &first)
        integer(statistics.filesAfterSizeGrouping)
        if let count = statistics.filesAttributesRead {
            key("filesAttributesRead", indent: 2, first: &first)
            integer(count)
        }
        key("filesConfirmedByCatalog", indent: 2, first: &first)
        integer(statistics.filesConfirmedByCatalog)
        if let count = statistics.filesExtentsMapped {
            key("filesExtentsMapped", indent: 2, first: &first)
            integer(count)
        }
        key("filesWalked", indent: 2, first: &first)
        integer(statistics.filesWalked)
        key("floorBytes", indent: 2, first: &first)
        integer(statistics.floorBytes)
        key("headTailSeconds", indent: 2, first: &first)
        double(statistics.headTailSeconds)
        key("rootsScanned", indent: 2, first: &first)
        integer(statistics.rootsScanned)
        key("specialFilesSkipped", indent: 2, first: &first)
        integer(statistics.specialFilesSkipped)
        if let storage = statistics.storage {
            key("storage", indent: 2, first: &first)
            self.storage(storage)
        }
        key("walkSeconds", indent: 2, first: &first)
        double(statistics.walkSeconds)
        close(UInt8(ascii: "}"), indent: 1, wasEmpty: false)
    }

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

extension JSONOutput {
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

extension JSONOutput {
    /// `statistics.storage`: one object per filesystem, keys sorted as the encoder sorts them.
    mutating func storage(_ filesystems: [FilesystemStorage]) {
        byte(UInt8(ascii: "["))
        var firstFilesystem = true
        for filesystem in filesystems {
            element(indent: 3, first: &firstFilesystem)
            byte(UInt8(ascii: "{"))
            var member = true
            key("device", indent: 4, first: &member)
            integer(filesystem.device)
            key("disks", indent: 4, first: &member)
            byte(UInt8(ascii: "["))
            var firstDisk = true
            for disk in filesystem.disks {
                element(indent: 5, first: &firstDisk)
                string(disk)
            }
            close(UInt8(ascii: "]"), indent: 4, wasEmpty: firstDisk)
            key("evidence", indent: 4, first: &member)
            string(filesystem.evidence)
            key("filesystem", indent: 4, first: &member)
            string(filesystem.filesystem)
            key("kind", indent: 4, first: &member)
            string(filesystem.kind.rawValue)
            key("order", indent: 4, first: &member)
            string(filesystem.order)
            key("readers", indent: 4, first: &member)
            integer(filesystem.readers)
            key("runBytes", indent: 4, first: &member)
            integer(filesystem.runBytes)
            key("source", indent: 4, first: &member)
            string(filesystem.source)
            close(UInt8(ascii: "}"), indent: 3, wasEmpty: false)
        }
        close(UInt8(ascii: "]"), indent: 2, wasEmpty: firstFilesystem)
    }
}
