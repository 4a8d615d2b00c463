/// Where the space is: the directories ranked by the bytes linking would free in them.
///
/// Each replaced name counts once, in the directory that holds it (not in its ancestors, so a
/// parent does not outrank the folder that really holds the copies), with the bytes its action
/// frees; names of one inode after the first free nothing and count as files only.
public struct DirectorySpace: Hashable, Sendable {
    /// The directory's index in the scan's path table.
    public var directory: Int32
    /// The bytes linking would free in it, by allocated blocks.
    public var bytes: Int64
    /// The names in it that would be replaced.
    public var files: Int

    /// The directories of `plan`'s replaced names, most bytes first (then most files, then
    /// path order, so the order is stable). Touches no disk.
    public static func ranked(_ plan: LinkPlan, in scan: ScanResult) -> [DirectorySpace] {
        var byDirectory: [Int32: DirectorySpace] = [:]
        for action in plan.actions {
            let directory = scan.files[Int(action.duplicate)].directory
            byDirectory[directory, default: DirectorySpace(directory: directory, bytes: 0, files: 0)].bytes += action.bytesFreed
            byDirectory[directory]?.files += 1
        }
        return byDirectory.values.sorted {
            ($0.bytes, $0.files, -$0.directory) > ($1.bytes, $1.files, -$1.directory)
        }
    }

    /// `report --by-directory`: the ranked directories with bytes freed in them (the first
    /// `top`, or all), as text, JSON (`schemaVersion`, `scanID`, `directories` of `path`, `bytes`,
    /// `files`) or CSV (`bytes,files,path`). Touches no disk.
    public static func render(_ report: ScanReport, format: ReportFormat, top: Int?, into writer: inout ByteWriter) {
        let ranked = report.directories.filter { $0.bytes > 0 }.prefix(top ?? Int.max)
        func path(_ entry: DirectorySpace) -> [UInt8] { report.scan.table.path(ofDirectory: entry.directory) }
        switch format {
        case .json:
            struct Entry: Encodable {
                var path: JSONReport.PathValue
                var bytes: Int64
                var files: Int
            }
            struct Listing: Encodable {
                var schemaVersion = 1
                var scanID: Int64?
                var directories: [Entry]
            }
            let listing = Listing(
                scanID: report.scanID,
                directories: ranked.map { Entry(path: JSONReport.PathValue(path($0)), bytes: $0.bytes, files: $0.files) })
            writer.write(bytes: JSONReport.pretty(listing))
        case .csv:
            writer.write("bytes,files,path\n")
            for entry in ranked {
                writer.write("\(entry.bytes),\(entry.files),")
                writer.write(bytes: CSVRenderer.quoted(path(entry)))
                writer.write("\n")
            }
        default:
            var copy = report
            copy.topDirectories = top
            if ranked.isEmpty { writer.write("Linking would free nothing in this scan.\n") }
            TextRenderer.renderDirectories(copy, into: &writer)
        }
        writer.flush()
    }
}
