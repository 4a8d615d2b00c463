import Foundation
import Glibc

@_spi(Stages) @testable import DupelinkCore

/// A fresh folder made with `mkdtemp`, removed with everything in it when the object goes away.
final class TemporaryFolder {
    /// The folder's path.
    let path: String

    /// Creates a folder under `parent` (default: `$TMPDIR` or `/tmp`).
    init(under parent: String? = nil) throws {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/dupelink-catalog-test.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DupelinkError(.ioError, path: Array(base.utf8), errno: .init(rawValue: errno), operation: "mkdtemp")
        }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the folder, as bytes.
    func child(_ name: String) -> [UInt8] { Array("\(path)/\(name)".utf8) }

    /// The folder's own path, as bytes.
    var bytes: [UInt8] { Array(path.utf8) }
}

/// Writes `contents` to a new file at `path`.
func writeFile(_ path: [UInt8], _ contents: [UInt8]) throws {
    try Data(contents).write(to: URL(fileURLWithPath: String(decoding: path, as: UTF8.self)))
}

/// The contents of the file at `path`.
func readFile(_ path: [UInt8]) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: String(decoding: path, as: UTF8.self))))
}

/// Whether anything is at `path`.
func fileExists(_ path: [UInt8]) -> Bool {
    FileManager.default.fileExists(atPath: String(decoding: path, as: UTF8.self))
}

/// The `stat` of `path`.
func statOf(_ path: [UInt8]) -> stat? {
    var result = stat()
    let found = String(decoding: path, as: UTF8.self).withCString { stat($0, &result) } == 0
    return found ? result : nil
}

/// A made-up status for an inode on `device`.
func makeStatus(
    device: UInt64 = 2049, inode: UInt64, size: Int64 = 4096, modificationTime: Int64 = 1_700_000_000_123_456_789,
    changeTime: Int64 = 1_700_000_001_987_654_321
) -> FileStatus {
    FileStatus(
        id: FileID(device: device, inode: inode), mode: 0o100644, linkCount: 1, userID: 1000, groupID: 1000,
        size: size, blocks: (size + 511) / 512, modificationTime: modificationTime, changeTime: changeTime)
}

/// A digest made from a number, so every entry's digests differ.
func makeDigest(_ seed: UInt64) -> Digest {
    Digest(high: seed &* 0x9E37_79B9_7F4A_7C15, low: ~seed &* 0xC2B2_AE3D_27D4_EB4F)
}

/// A resolver that already knows `identity` for `device`, without touching the disk for it.
func identities(_ pairs: [(UInt64, FilesystemID)]) -> FilesystemIdentities {
    var result = FilesystemIdentities()
    result.assume(pairs)
    return result
}

/// Builds a scan result from a literal: each class is a list of members, each member a list of
/// (directory path, file name) pairs; every directory is a root here.
func makeScan(
    classes: [(size: Int64, digest: Digest?, members: [(status: FileStatus, names: [(directory: [UInt8], name: [UInt8])])])]
) -> ScanResult {
    var table = PathTable()
    var directories: [[UInt8]: Int32] = [:]
    var files: [FileRecord] = []
    var built: [DuplicateClass] = []
    var nextDirectoryInode: UInt64 = 100
    for duplicateClass in classes {
        var members: [Member] = []
        for member in duplicateClass.members {
            var names: [Int32] = []
            for (directoryPath, name) in member.names {
                let directory: Int32
                if let known = directories[directoryPath] {
                    directory = known
                } else {
                    nextDirectoryInode += 1
                    directory = table.addDirectory(
                        parent: -1, name: directoryPath,
                        id: FileID(device: member.status.id.device, inode: nextDirectoryInode),
                        root: Int32(directories.count))
                    directories[directoryPath] = directory
                }
                let (start, length) = table.appendName(name)
                files.append(
                    FileRecord(directory: directory, nameStart: start, nameLength: UInt16(length), status: member.status))
                names.append(Int32(files.count - 1))
            }
            members.append(Member(names: names, status: member.status))
        }
        built.append(DuplicateClass(size: duplicateClass.size, digest: duplicateClass.digest, members: members))
    }
    var statistics = ScanStatistics()
    statistics.filesWalked = files.count
    statistics.bytesWalked = 123_456_789_012
    statistics.catalogHits = 7
    statistics.walkSeconds = 0.1 + 0.2
    statistics.contentSeconds = 1.0 / 3.0
    return ScanResult(roots: [], table: table, files: files, classes: built, diagnostics: [], statistics: statistics)
}

extension ScanResult {
    /// This scan as if made of `roots`: what tests that save hand-built scans give the catalog.
    func rooted(_ roots: [[UInt8]]) -> ScanResult {
        var scan = self
        scan.roots = roots
        return scan
    }
}
