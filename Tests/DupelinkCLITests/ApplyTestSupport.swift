import DupelinkTestSupport
import Foundation
import Glibc

/// What a tree looks like on disk, name by name: type, inode, link count, size, times and the
/// content's bytes (or a symbolic link's target). Two snapshots are equal only when nothing changed.
struct TreeSnapshot: Equatable, CustomStringConvertible {
    var entries: [String: [Int]]
    var contents: [String: [UInt8]]

    /// Takes a snapshot of everything below `root` (not following symbolic links).
    init(_ root: [UInt8]) throws {
        entries = [:]
        contents = [:]
        try visit(root, relative: "")
    }

    private mutating func visit(_ directory: [UInt8], relative: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: String(decoding: directory, as: UTF8.self))
        for name in names.sorted() {
            let full = directory + [UInt8(ascii: "/")] + Array(name.utf8)
            let key = relative.isEmpty ? name : relative + "/" + name
            let status = try TestTree.status(full)
            entries[key] = [
                Int(status.st_mode), Int(status.st_ino), Int(status.st_nlink), Int(status.st_size),
                status.st_mtim.tv_sec, status.st_mtim.tv_nsec, status.st_ctim.tv_sec, status.st_ctim.tv_nsec,
            ]
            switch status.st_mode & S_IFMT {
            case S_IFDIR: try visit(full, relative: key)
            case S_IFREG: contents[key] = try TestTree.read(full)
            case S_IFLNK:
                contents[key] = Array(
                    (try FileManager.default.destinationOfSymbolicLink(atPath: String(decoding: full, as: UTF8.self))).utf8)
            default: break
            }
        }
    }

    var description: String { entries.keys.sorted().map { "\($0): \(entries[$0] ?? [])" }.joined(separator: "\n") }
}

/// A JSON report as a mutable Foundation object, for editing it the way a reviewer would.
struct EditableReport {
    var object: [String: Any]

    /// Parses a report printed by `dupelink ... --format json`.
    init(_ bytes: [UInt8]) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw CLIError.spawn(-1)
        }
        self.object = object
    }

    /// The classes, each a list of file objects.
    var classes: [[String: Any]] {
        get { object["classes"] as? [[String: Any]] ?? [] }
        set { object["classes"] = newValue }
    }

    /// The file objects of class `index`.
    func files(ofClass index: Int) -> [[String: Any]] { classes[index]["files"] as? [[String: Any]] ?? [] }

    /// Replaces the file objects of class `index`.
    mutating func setFiles(_ files: [[String: Any]], ofClass index: Int) { classes[index]["files"] = files }

    /// The index of the class holding a file whose path ends with `suffix`.
    func classIndex(holding suffix: String) -> Int? {
        classes.indices.first { index in files(ofClass: index).contains { ($0["path"] as? String)?.hasSuffix(suffix) == true } }
    }

    /// Writes the report to `path` and returns the path.
    func write(to path: String) throws -> String {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path))
        return path
    }
}
