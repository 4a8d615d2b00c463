@_spi(Stages) import DupelinkCore
import Glibc
import SystemPackage

/// Builds a `ScanResult` for linker tests without the real pipeline: the real `Walker` finds the
/// files, and test code groups them on (size, full content), reading each file through the same
/// checked directory chain the linker uses. Each member's `status` comes from `fstat` on the
/// descriptor whose bytes were read, as the pipeline's compare stage records it.
enum LinkTestScan {
    /// An error from building a test scan.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Walks `roots` and groups identical files into duplicate classes.
    static func scan(_ roots: [String], options: WalkOptions = WalkOptions()) throws -> ScanResult {
        let walk = Walker(options: options).walk(roots: roots.map { Array($0.utf8) })
        guard walk.diagnostics.isEmpty else {
            throw Failure(description: "walk reported: \(walk.diagnostics.map(\.description))")
        }
        struct ContentKey: Hashable {
            var size: Int64
            var content: [UInt8]
        }
        var groups: [ContentKey: [(file: Int32, status: FileStatus, path: [UInt8])]] = [:]
        var order: [ContentKey] = []
        for (index, record) in walk.files.enumerated() {
            let directory = try DirectoryHandle.open(directory: record.directory, in: walk.table)
            let name = walk.table.name(ofFile: record).map { CChar(bitPattern: $0) } + [0]
            let descriptor = try Syscalls.openForReading(name, in: directory.descriptor)
            defer { Syscalls.closeQuietly(descriptor) }
            let status = try Syscalls.status(of: descriptor)
            let content = try readAll(descriptor, size: status.size)
            let key = ContentKey(size: status.size, content: content)
            if groups[key] == nil { order.append(key) }
            var path = walk.table.path(ofDirectory: record.directory)
            path.append(UInt8(ascii: "/"))
            path.append(contentsOf: walk.table.name(ofFile: record))
            groups[key, default: []].append((Int32(index), status, path))
        }
        var classes: [DuplicateClass] = []
        for key in order {
            guard let names = groups[key], names.count >= 2 else { continue }
            var members: [Member] = []
            var memberOfInode: [FileID: Int] = [:]
            for entry in names.sorted(by: { $0.path.lexicographicallyPrecedes($1.path) }) {
                if let existing = memberOfInode[entry.status.id] {
                    members[existing].names.append(entry.file)
                } else {
                    memberOfInode[entry.status.id] = members.count
                    members.append(Member(names: [entry.file], status: entry.status))
                }
            }
            classes.append(DuplicateClass(size: key.size, digest: nil, members: members))
        }
        var statistics = ScanStatistics()
        statistics.filesWalked = walk.files.count
        return ScanResult(
            roots: roots.map { Array($0.utf8) }, table: walk.table, files: walk.files, classes: classes, diagnostics: walk.diagnostics, statistics: statistics)
    }

    private static func readAll(_ descriptor: FileDescriptor, size: Int64) throws -> [UInt8] {
        var content = [UInt8](repeating: 0, count: Int(size) + 1)
        let count = try content.withUnsafeMutableBytes { try Syscalls.read(descriptor, at: 0, into: $0) }
        guard count == Int(size) else { throw Failure(description: "file size changed while reading") }
        content.removeLast()
        return content
    }
}

extension ScanResult {
    /// The index in `files` of the name whose full path is `path`.
    func fileIndex(_ path: String) -> Int32? {
        let bytes = Array(path.utf8)
        return files.indices.first { self.path(ofFile: Int32($0)) == bytes }.map { Int32($0) }
    }

    /// The full path of a file as a `String`, for test messages.
    func pathString(_ file: Int32) -> String { String(decoding: path(ofFile: file), as: UTF8.self) }
}
