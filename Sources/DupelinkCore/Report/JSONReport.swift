import Foundation

/// The JSON report: a stable, documented schema (`schemaVersion` 1) in which every path survives
/// a round trip, UTF-8 or not.
///
/// A path is a `path` string; when its bytes are not valid UTF-8, `path` shows it with U+FFFD in
/// place of the bad bytes and `pathBase64` holds the exact bytes. Readers use `pathBase64` when it
/// is present.
public struct JSONReport: Codable, Sendable {
    /// A path, lossless.
    public struct PathValue: Codable, Sendable, Hashable {
        /// The path as text (lossy only when `pathBase64` is present).
        public var path: String
        /// The exact bytes, base64, present only when they are not valid UTF-8.
        public var pathBase64: String?

        /// Encodes raw path bytes.
        public init(_ bytes: some Collection<UInt8>) {
            if let text = PathText.utf8(bytes) {
                path = text
                pathBase64 = nil
            } else {
                path = String(decoding: Array(bytes), as: UTF8.self)
                pathBase64 = Data(bytes).base64EncodedString()
            }
        }

        /// The exact bytes of the path.
        public var bytes: [UInt8] {
            if let pathBase64, let data = Data(base64Encoded: pathBase64) { return Array(data) }
            return Array(path.utf8)
        }
    }

    /// One name in a class.
    ///
    /// Besides its path and inode, each name carries the fingerprint its inode had when its bytes
    /// were compared, so that `dupelink link --from` can apply a reviewed report on its own and
    /// refuse anything that changed since. These fields were added within `schemaVersion` 1: they
    /// are optional when decoding (older reports lack them), and a name without them is never
    /// linked.
    public struct File: Codable, Sendable {
        /// The path as text (lossy only when `pathBase64` is present).
        public var path: String
        /// The exact bytes of the path, base64, present only when they are not valid UTF-8.
        public var pathBase64: String?
        /// The device number (`st_dev`) of the inode.
        public var device: UInt64
        /// The inode number.
        public var inode: UInt64
        /// The inode's link count when it was compared.
        public var links: UInt64
        /// The inode's size in bytes when it was compared; equals the class's `size`.
        public var size: Int64?
        /// The inode's modification time when it was compared, in nanoseconds since the epoch.
        public var modificationTimeNs: Int64?
        /// The inode's change time when it was compared, in nanoseconds since the epoch.
        public var changeTimeNs: Int64?
        /// The inode's `st_mode` (type and permission bits) when it was compared.
        public var mode: UInt32?
        /// The inode's owner when it was compared.
        public var uid: UInt32?
        /// The inode's group when it was compared.
        public var gid: UInt32?
        /// The device number of the directory that held the name when it was walked.
        public var directoryDevice: UInt64?
        /// The inode number of the directory that held the name when it was walked.
        public var directoryInode: UInt64?
        /// The XXH3-128 digest of the inode's extended attributes and flags
        /// (`FileAttributes.encoded`), 32 hexadecimal digits, or `unreadable`. `link --from`
        /// refuses a report without it: files are linked only when their attributes match.
        public var attributesDigest: String?
        /// `modificationTimeNs` as a decimal string of seconds with nine decimals
        /// (`"1700000000.123456789"`): exact in any JSON tool, where a nanosecond count above
        /// 2^53 loses its last digits in one that reads numbers as doubles (`jq` 1.6).
        /// `link --from` prefers it.
        public var modificationTime: String?
        /// `changeTimeNs` in the same form.
        public var changeTime: String?
        /// The bytes the inode occupied on disk when it was compared (`st_blocks` × 512): less
        /// than `size` for a sparse file. Added within `schemaVersion` 1; informational (`link
        /// --from` counts what it frees from the files as they are when it reads them).
        public var allocatedBytes: Int64?
        /// The path's exact bytes.
        public var pathBytes: [UInt8] { PathValue(path: path, pathBase64: pathBase64).bytes }
    }

    /// Nanoseconds since the epoch as seconds with nine decimals: `-0.000000001`, `1.500000000`.
    public static func decimalTime(_ nanoseconds: Int64) -> String {
        let magnitude = nanoseconds.magnitude
        let fraction = String(magnitude % 1_000_000_000)
        return "\(nanoseconds < 0 ? "-" : "")\(magnitude / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }

    /// One class of identical files.
    public struct Class: Codable, Sendable {
        /// The apparent size of each file (`st_size`).
        public var size: Int64
        public var digest: String?
        /// The bytes linking the class frees, by allocated blocks (what `df` will show).
        public var reclaimableBytes: Int64
        /// The same inodes' apparent sizes (`size` each): larger than `reclaimableBytes` where
        /// they are sparse. Added within `schemaVersion` 1.
        public var apparentReclaimableBytes: Int64?
        /// The bytes its duplicates already share with it (the same physical extents, on btrfs,
        /// XFS and bcachefs), left out of `reclaimableBytes`. Added within `schemaVersion` 1.
        public var alreadySharedBytes: Int64?
        /// Every name, grouped by inode (names of one inode are adjacent), in path order.
        public var files: [File]
    }

    public struct Replacement: Codable, Sendable {
        public var keeper: PathValue
        public var duplicate: PathValue
        /// By allocated blocks: the replaced inode's when it lost its last name, else 0.
        public var bytesFreed: Int64
        /// By apparent size: the class size when it lost its last name, else 0. Added within
        /// `schemaVersion` 1.
        public var apparentBytesFreed: Int64?
    }

    public struct Refusal: Codable, Sendable {
        public var path: PathValue
        public var reason: String
        /// The reason as a sentence, with what differs (attribute names, owners and modes).
        public var message: String
        /// The bytes that stay in use, by allocated blocks.
        public var bytes: Int64
        /// The copy it was compared with (the keeper of its class), absent when the refusal
        /// concerns the file alone (immutable, append-only, unreadable attributes).
        public var reference: PathValue?
    }

    /// What `attributesDigest` says of a member.
    enum AttributesField {
        case digest(Digest)
        case unreadable
    }

    /// The `attributesDigest` value written for `state`: nil when the attributes were not read.
    static func attributesField(_ state: AttributeState) -> AttributesField? {
        switch state {
        case .unknown: nil
        case .digest(let digest): .digest(digest)
        case .unreadable: .unreadable
        case .read(let attributes): .digest(attributes.digest)
        }
    }

    /// The `attributesDigest` of a file whose attributes could not be read.
    public static let unreadableAttributes = "unreadable"


    public struct Warning: Codable, Sendable {
        public var stage: String
        public var code: String
        public var path: PathValue
        public var message: String
    }

    public var schemaVersion: Int
    public var command: String
    /// The number the scan was saved under in the catalog (absent with `--no-catalog`).
    public var scanID: Int64?
    public var dryRun: Bool
    public var roots: [PathValue]
    public var classes: [Class]
    public var replacements: [Replacement]?
    /// Folders whose whole subtree is identical (a scan walked in that run; absent otherwise).
    public var duplicateFolders: [FolderSet]?
    /// Pairs of folders that match but for a few files (found as `duplicateFolders` are).
    public var nearlyIdenticalFolders: [FolderPair]?
    public var refusals: [Refusal]
    public var warnings: [Warning]
    public var summary: ScanReport.Totals
    public var statistics: ScanStatistics

    /// One set of identical folders.
    public struct FolderSet: Codable, Sendable {
        /// The bytes in each folder's subtree.
        public var bytes: Int64
        /// The files in each folder's subtree.
        public var files: Int
        /// The folders, in path order.
        public var paths: [PathValue]
    }

    /// Two folders that match but for a few files.
    public struct FolderPair: Codable, Sendable {
        /// The files with the same relative path and content under both.
        public var matchingFiles: Int
        /// Their bytes, counted once.
        public var matchingBytes: Int64
        /// The files under the first (the second) path without a match in the other.
        public var onlyInFirst: Int
        public var onlyInSecond: Int
        /// The two folders, in path order.
        public var paths: [PathValue]
    }

    /// Builds the JSON form of a report.
    public init(_ report: ScanReport) {
        let scan = report.scan
        schemaVersion = 1
        duplicateFolders = report.duplicateFolders.isEmpty ? nil : report.duplicateFolders.map { folders in
            FolderSet(
                bytes: folders.bytes, files: folders.files,
                paths: folders.directories.map { PathValue(scan.table.path(ofDirectory: $0)) })
        }
        nearlyIdenticalFolders = report.nearlyIdenticalFolders.isEmpty ? nil : report.nearlyIdenticalFolders.map { pair in
            FolderPair(
                matchingFiles: pair.matchingFiles, matchingBytes: pair.matchingBytes, onlyInFirst: pair.onlyInFirst,
                onlyInSecond: pair.onlyInSecond,
                paths: [PathValue(scan.table.path(ofDirectory: pair.first)), PathValue(scan.table.path(ofDirectory: pair.second))])
        }
        command = report.command
        scanID = report.scanID
        dryRun = report.dryRun
        roots = report.roots.map { PathValue($0) }
        classes = scan.classes.enumerated().map { index, duplicateClass in
            Class(
                size: duplicateClass.size,
                digest: duplicateClass.digest?.description,
                reclaimableBytes: report.reclaimableByClass[index],
                apparentReclaimableBytes: report.apparentReclaimableByClass[index],
                alreadySharedBytes: report.alreadySharedByClass[index],
                files: duplicateClass.members.flatMap { member in
                    member.names.map { name in
                        let path = PathValue(scan.path(ofFile: name))
                        let status = member.status
                        let directory = scan.table.directories[Int(scan.files[Int(name)].directory)].id
                        return File(path: path.path, pathBase64: path.pathBase64, device: member.id.device,
                            inode: member.id.inode, links: status.linkCount, size: status.size,
                            modificationTimeNs: status.modificationTime, changeTimeNs: status.changeTime,
                            mode: status.mode, uid: status.userID, gid: status.groupID,
                            directoryDevice: directory.device, directoryInode: directory.inode,
                            attributesDigest: Self.attributesField(member.attributes).map {
                                switch $0 {
                                case .digest(let digest): digest.description
                                case .unreadable: Self.unreadableAttributes
                                }
                            },
                            modificationTime: Self.decimalTime(status.modificationTime),
                            changeTime: Self.decimalTime(status.changeTime),
                            allocatedBytes: status.allocatedBytes)
                    }
                })
        }
        replacements = report.isApplied ? report.replacements.map {
            Replacement(keeper: PathValue(scan.path(ofFile: $0.keeper)), duplicate: PathValue(scan.path(ofFile: $0.duplicate)),
                bytesFreed: $0.bytesFreed, apparentBytesFreed: $0.apparentBytesFreed)
        } : nil
        refusals = report.refusals.map {
            Refusal(path: PathValue(scan.path(ofFile: $0.file)), reason: $0.reason.code, message: $0.message,
                bytes: $0.bytes, reference: $0.reference == $0.file ? nil : PathValue(scan.path(ofFile: $0.reference)))
        }
        warnings = report.diagnostics.map {
            Warning(stage: $0.stage.rawValue, code: $0.error.code.rawValue, path: PathValue($0.error.path),
                message: $0.error.description)
        }
        summary = report.totals
        statistics = scan.statistics
    }

    /// The report as pretty-printed JSON with sorted keys, ending in a newline.
    ///
    /// `ReportFormat.json` writes the same bytes with `JSONReportWriter`, without this tree or
    /// Foundation's encoder (100,000 files: about 8 ms of CPU instead of 187 ms, and 427,000
    /// allocations fewer); this stays the reference the writer's tests compare it with.
    public func encoded() -> [UInt8] { Self.pretty(self) }

    /// `value` as every JSON output of dupelink is laid out: pretty-printed, keys sorted, slashes
    /// unescaped, ending in a newline. Encoding these plain value types cannot fail.
    public static func pretty(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }
}

extension JSONReport.PathValue {
    init(path: String, pathBase64: String?) {
        self.path = path
        self.pathBase64 = pathBase64
    }
}
