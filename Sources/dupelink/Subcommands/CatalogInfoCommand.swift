import ArgumentParser
import DupelinkCore
import Foundation

/// `dupelink catalog info`: where the catalog is and what it holds.
struct CatalogInfoCommand: ParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the catalog's path, size on disk, digests, saved scans and when the last scan ran.",
        discussion: """
            With --format json, prints one object: schemaVersion (1), path (and pathBase64 when \
            the path is not UTF-8), sizeOnDisk (bytes, the database and its write-ahead log), \
            digests, filesystems, scans, and lastScanStartedAt (ISO 8601 in UTC, or null).
            """)

    /// How `catalog info` prints.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// One `name: value` line per figure, or one JSON object.
        case text, json
    }

    /// Which catalog, and how long to wait for it.
    @OptionGroup var location: CatalogLocationOptionGroup

    /// The output format.
    @Option(name: .long, help: ArgumentHelp("Output format: text or json.", valueName: "format"))
    var format: Format = .text

    /// Prints what the catalog holds. Exits 2 when it cannot be read, 4 when another run holds it.
    func run() throws {
        let catalog = try CatalogCommand.open(location)
        let info = try CatalogCommand.attempt { () throws(DupelinkError) in try catalog.info() }
        switch format {
        case .text: try CatalogCommand.print(Self.text(info))
        case .json: try CatalogCommand.print(Self.json(info))
        }
    }

    /// The text form: one `name: value` line per figure.
    static func text(_ info: CatalogInfo) -> String {
        let filesystems = info.filesystemCount == 1 ? "1 filesystem" : "\(info.filesystemCount) filesystems"
        return """
            catalog:      \(PathText.display(info.path))
            size on disk: \(ByteSize.format(info.fileSize)) (\(info.fileSize) bytes)
            digests:      \(info.digestCount) (on \(filesystems))
            saved scans:  \(info.scanCount)
            last scan:    \(info.lastScanStartedAt.map(Self.timestamp) ?? "none")
            kept separate: \(info.keptSeparateCount) (files undo or split separated)

            """
    }

    /// The JSON form: one object on one line.
    static func json(_ info: CatalogInfo) -> String {
        let document = Document(info)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func timestamp(_ nanoseconds: Int64) -> String {
        RunSummary.timestamp(Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }

    /// The JSON object; every key is always present (`lastScanStartedAt` may be null).
    private struct Document: Encodable {
        var info: CatalogInfo

        init(_ info: CatalogInfo) { self.info = info }

        enum CodingKeys: String, CodingKey {
            case schemaVersion, path, pathBase64, sizeOnDisk, digests, filesystems, scans, lastScanStartedAt, keptSeparate
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            let path = JSONReport.PathValue(info.path)
            try container.encode(1, forKey: .schemaVersion)
            try container.encode(path.path, forKey: .path)
            try container.encodeIfPresent(path.pathBase64, forKey: .pathBase64)
            try container.encode(info.fileSize, forKey: .sizeOnDisk)
            try container.encode(info.digestCount, forKey: .digests)
            try container.encode(info.filesystemCount, forKey: .filesystems)
            try container.encode(info.scanCount, forKey: .scans)
            try container.encode(info.lastScanStartedAt.map(CatalogInfoCommand.timestamp), forKey: .lastScanStartedAt)
            try container.encode(info.keptSeparateCount, forKey: .keptSeparate)
        }
    }
}
