/// The output formats of `scan`, `link` and `report`.
public enum ReportFormat: String, CaseIterable, Sendable {
    /// For people: a summary, then each class (largest first) with its size and paths, the copy kept marked.
    case text
    /// For programs: the documented JSON schema, lossless for any path.
    case json
    /// One row per name: class, size, digest, device, inode, path (raw bytes, RFC 4180 quoting).
    case csv
    /// As `fdupes` prints: the paths of each class one per line, a blank line between classes.
    case fdupes
    /// For review in a browser: one self-contained page (see `HTMLReport`) whose selection
    /// downloads as a JSON report for `link --from`.
    case html

    /// Renders `report` in this format into `writer`.
    public func render(_ report: ScanReport, into writer: inout ByteWriter) {
        switch self {
        case .text: TextRenderer.render(report, into: &writer)
        case .json: JSONReportWriter.write(report, into: &writer)
        case .csv: CSVRenderer.render(report, into: &writer)
        case .fdupes: FdupesRenderer.render(report, into: &writer)
        case .html: HTMLReport.render(report, into: &writer)
        }
        writer.flush()
    }
}

enum TextRenderer {
    /// The summary first (what a person reads), then the classes largest first (the first
    /// `topClasses`), then what was not linked, then where the scan was saved.
    static func render(_ report: ScanReport, into writer: inout ByteWriter) {
        renderTotals(report, into: &writer)
        writer.write("\n")
        renderFolders(report, into: &writer)
        renderClasses(report, into: &writer)
        renderDirectories(report, into: &writer)
        if report.command == "link", let root = report.copyOnWriteRoots.first {
            writer.write("Hint: \(PathText.display(root.path)) is on \(root.filesystem), where files can share their data instead: 'dupelink dedupe' frees the same space and keeps every file separate (its own owner, mode, times and attributes).\n")
        }
        if let scanID = report.scanID {
            writer.write("Saved in the catalog as scan \(scanID).\n")
        }
    }

    private static func renderClasses(_ report: ScanReport, into writer: inout ByteWriter) {
        let scan = report.scan
        let replacedBy = Dictionary(report.replacements.map { ($0.duplicate, $0.keeper) }, uniquingKeysWith: { a, _ in a })
        let alreadySharing = Set(report.alreadySharing.map(\.duplicate))
        let shown = min(scan.classes.count, report.topClasses ?? scan.classes.count)
        for (index, duplicateClass) in scan.classes.prefix(shown).enumerated() {
            let names = duplicateClass.nameCount
            var header = "\(names) files of \(ByteSize.format(duplicateClass.size))"
            if let allocated = allocation(of: duplicateClass) { header += " (\(allocated) allocated)" }
            header += ", \(ByteSize.format(report.reclaimableByClass[index])) reclaimable"
            let shared = report.alreadySharedByClass[index]
            if shared > 0 {
                header += report.reclaimableByClass[index] == 0
                    ? " (already shares its extents)" : " (\(ByteSize.format(shared)) already shared)"
            }
            if duplicateClass.members.count < names { header += ", \(duplicateClass.members.count) distinct inodes" }
            writer.write(header + ":\n")
            for member in duplicateClass.members {
                for (position, name) in member.names.enumerated() {
                    let marker = position == 0 ? "  " : "  = "
                    var line = marker + PathText.display(scan.path(ofFile: name))
                    if alreadySharing.contains(name) {
                        line += "  (already shares the kept copy's extents)"
                    } else if report.isApplied, replacedBy[name] != nil {
                        let done = report.command == "dedupe" ? "deduplicated" : "linked"
                        line += report.dryRun ? "  (would be \(done))" : "  (\(done))"
                    } else if report.keepers.contains(name) {
                        line += report.isApplied && !report.dryRun ? "  (kept)" : "  (would be kept)"
                    }
                    writer.write(line + "\n")
                }
            }
            writer.write("\n")
        }
        if shown < scan.classes.count {
            let rest = scan.classes.count - shown
            let bytes = report.reclaimableByClass.dropFirst(shown).reduce(0, +)
            writer.write("... and \(counted(rest, "more class", "more classes")) (\(ByteSize.format(bytes)) reclaimable); --top 0 lists every class.\n\n")
        }
        if !report.refusals.isEmpty {
            writer.write("Not linked:\n")
            for refusal in report.refusals {
                var line = "  \(PathText.display(scan.path(ofFile: refusal.file))): \(refusal.message) (\(ByteSize.format(refusal.bytes)))"
                if refusal.reference != refusal.file {
                    line += "\n    compared with \(PathText.display(scan.path(ofFile: refusal.reference)))"
                }
                writer.write(line + "\n")
            }
            writer.write("\n")
        }
    }

    /// Identical folders, before their files' classes: a person decides by folder.
    static func renderFolders(_ report: ScanReport, into writer: inout ByteWriter) {
        guard !report.duplicateFolders.isEmpty else { return renderNearlyIdentical(report, into: &writer) }
        let shown = min(report.duplicateFolders.count, report.topDirectories ?? report.duplicateFolders.count)
        writer.write("Identical folders (the same names, every file byte-identical):\n")
        for folders in report.duplicateFolders.prefix(shown) {
            writer.write("  \(folders.directories.count) folders of \(counted(folders.files, "file", "files")), \(ByteSize.format(folders.bytes)) each:\n")
            for directory in folders.directories {
                writer.write("    \(PathText.display(report.scan.table.path(ofDirectory: directory)))\n")
            }
        }
        if shown < report.duplicateFolders.count {
            writer.write("  ... and \(counted(report.duplicateFolders.count - shown, "more set", "more sets")) of identical folders.\n")
        }
        writer.write("\n")
        renderNearlyIdentical(report, into: &writer)
    }

    /// Pairs of folders that match but for a few files, after the identical ones.
    static func renderNearlyIdentical(_ report: ScanReport, into writer: inout ByteWriter) {
        guard !report.nearlyIdenticalFolders.isEmpty else { return }
        let shown = min(report.nearlyIdenticalFolders.count, report.topDirectories ?? report.nearlyIdenticalFolders.count)
        writer.write("Nearly identical folders (the same but for a few files):\n")
        for pair in report.nearlyIdenticalFolders.prefix(shown) {
            let table = report.scan.table
            writer.write("  \(PathText.display(table.path(ofDirectory: pair.first)))\n")
            writer.write("  \(PathText.display(table.path(ofDirectory: pair.second)))\n")
            writer.write("    \(counted(pair.matchingFiles, "file matches", "files match")) (\(ByteSize.format(pair.matchingBytes))); ")
            writer.write("\(pair.onlyInFirst) of the first and \(pair.onlyInSecond) of the second have no match in the other.\n")
        }
        if shown < report.nearlyIdenticalFolders.count {
            writer.write("  ... and \(counted(report.nearlyIdenticalFolders.count - shown, "more pair", "more pairs")) of nearly identical folders.\n")
        }
        writer.write("\n")
    }

    /// "Where the space is": the directories that linking frees the most in, with a line for
    /// the rest. Nothing when nothing would be freed.
    static func renderDirectories(_ report: ScanReport, into writer: inout ByteWriter) {
        let ranked = report.directories.filter { $0.bytes > 0 }
        guard !ranked.isEmpty else { return }
        let shown = min(ranked.count, report.topDirectories ?? ranked.count)
        writer.write("Where the space is (bytes linking would free in each directory):\n")
        for entry in ranked.prefix(shown) {
            let path = PathText.display(report.scan.table.path(ofDirectory: entry.directory))
            writer.write("  \(ByteSize.format(entry.bytes))  \(counted(entry.files, "file", "files"))  \(path)\n")
        }
        if shown < ranked.count {
            let rest = ranked.dropFirst(shown).reduce(0) { $0 + $1.bytes }
            writer.write("  ... and \(counted(ranked.count - shown, "more directory", "more directories")) (\(ByteSize.format(rest))).\n")
        }
        writer.write("\n")
    }

    private static func renderTotals(_ report: ScanReport, into writer: inout ByteWriter) {
        let scan = report.scan
        let totals = report.totals
        writer.write("Scanned \(counted(totals.filesScanned, "file", "files")) (\(ByteSize.format(totals.bytesScanned))).\n")
        if totals.classes == 0 {
            writer.write("No duplicates found.\n")
        } else {
            writer.write("Found \(counted(totals.classes, "class", "classes")) of identical files: ")
            writer.write("\(counted(totals.duplicateFiles, "duplicate", "duplicates")), ")
            let how = report.command == "dedupe" ? "sharing extents" : "hard-linking"
            writer.write("\(ByteSize.format(totals.reclaimableBytes))\(apparent(totals.apparentReclaimableBytes, beside: totals.reclaimableBytes)) reclaimable by \(how)")
            if let shared = totals.alreadySharedBytes, shared > 0 {
                writer.write(" (\(ByteSize.format(shared)) already shared, not counted)")
            }
            writer.write(".\n")
        }
        if totals.refusedFiles > 0 {
            writer.write("\(counted(totals.refusedFiles, "file", "files")) cannot be linked (\(ByteSize.format(totals.refusedBytes))); see \"Not linked\".\n")
        }
        for directory in report.overlayDirectories {
            writer.write("Note: \(PathText.display(directory)) is \(ScanReport.overlayNote).\n")
        }
        if report.command == "dedupe", let deduplicated = totals.filesLinked, let shared = totals.bytesFreed {
            if report.dryRun {
                writer.write("Dry run: would deduplicate \(counted(deduplicated, "file", "files")) (\(ByteSize.format(shared)) to share with their kept copies); nothing was changed.\n")
                if let already = totals.filesAlreadyShared, already > 0 {
                    writer.write("\(counted(already, "file already shares its", "files already share their")) kept copy's extents and would be left as they are.\n")
                }
            } else {
                writer.write("Deduplicated \(counted(deduplicated, "file", "files")): \(ByteSize.format(shared)) now share the kept copies' extents.\n")
                if let already = totals.filesAlreadyShared, already > 0 {
                    writer.write("\(counted(already, "file already shared its", "files already shared their")) kept copy's extents; left as they were.\n")
                }
                for space in report.freeSpace ?? [] {
                    let grew = space.bytesFreed >= 0 ? "grew by \(ByteSize.format(space.bytesFreed))" : "shrank by \(ByteSize.format(-space.bytesFreed))"
                    let place = PathText.display(scan.path(ofFile: space.file))
                    writer.write("Free space on the filesystem of \(place): \(ByteSize.format(space.availableBefore)) before, \(ByteSize.format(space.availableAfter)) after (\(grew), measured).\n")
                }
            }
        } else if let linked = totals.filesLinked, let freed = totals.bytesFreed {
            let beside = apparent(totals.apparentBytesFreed, beside: freed)
            if report.dryRun {
                writer.write("Dry run: would link \(counted(linked, "file", "files")) and free \(ByteSize.format(freed))\(beside); nothing was changed.\n")
            } else {
                writer.write("Linked \(counted(linked, "file", "files")), freed \(ByteSize.format(freed))\(beside).\n")
            }
        }
        if let unleased = totals.replacementsWithoutLease, unleased > 0 {
            writer.write("\(counted(unleased, "replacement", "replacements")) ran without a lease (granted only to root and to a file's owner): the bytes were compared, but writers were not held off.\n")
        }
        if totals.warnings > 0 {
            writer.write("\(counted(totals.warnings, "warning", "warnings")) (files left out); see standard error.\n")
        }
    }
}

extension TextRenderer {
    /// What the members of a class occupy on disk, when some are sparse (fewer bytes allocated
    /// than their size): `64.0 MiB`, or `0 B to 8.0 GiB` when they differ. Nil when none is
    /// sparse, so ordinary files (whose blocks round their size up) show their size alone.
    static func allocation(of duplicateClass: DuplicateClass) -> String? {
        guard duplicateClass.members.contains(where: { $0.status.mayHaveHoles }) else { return nil }
        let allocated = duplicateClass.members.map(\.status.allocatedBytes)
        guard let least = allocated.min(), let most = allocated.max() else { return nil }
        return least == most ? ByteSize.format(least) : "\(ByteSize.format(least)) to \(ByteSize.format(most))"
    }

    /// ` (8.0 GiB apparent)` after a figure counted by blocks, when the apparent size is larger
    /// (holes), else nothing.
    static func apparent(_ apparentBytes: Int64?, beside bytes: Int64) -> String {
        guard let apparentBytes, apparentBytes > bytes else { return "" }
        return " (\(ByteSize.format(apparentBytes)) apparent)"
    }
}

/// "1 file", "2 files".
func counted(_ count: Int, _ singular: String, _ plural: String) -> String {
    "\(count) \(count == 1 ? singular : plural)"
}

enum CSVRenderer {
    static func render(_ report: ScanReport, into writer: inout ByteWriter) {
        writer.write("class,size,digest,device,inode,links,path\n")
        for (index, duplicateClass) in report.scan.classes.enumerated() {
            for member in duplicateClass.members {
                for name in member.names {
                    writer.write("\(index),\(duplicateClass.size),\(duplicateClass.digest?.description ?? ""),")
                    writer.write("\(member.id.device),\(member.id.inode),\(member.status.linkCount),")
                    writer.write(bytes: quoted(report.scan.path(ofFile: name)))
                    writer.write("\n")
                }
            }
        }
    }

    /// RFC 4180 quoting, on bytes: quoted when it holds a comma, quote, CR or LF; quotes doubled.
    static func quoted(_ field: [UInt8]) -> [UInt8] {
        let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
        guard field.contains(where: special.contains) else { return field }
        var result: [UInt8] = [UInt8(ascii: "\"")]
        for byte in field {
            result.append(byte)
            if byte == UInt8(ascii: "\"") { result.append(byte) }
        }
        result.append(UInt8(ascii: "\""))
        return result
    }
}

enum FdupesRenderer {
    static func render(_ report: ScanReport, into writer: inout ByteWriter) {
        for (position, duplicateClass) in report.scan.classes.enumerated() {
            if position > 0 { writer.write("\n") }
            for member in duplicateClass.members {
                for name in member.names {
                    writer.write(bytes: report.scan.path(ofFile: name))
                    writer.write("\n")
                }
            }
        }
    }
}
