import Foundation
import Glibc

/// Counts the regular files opened under a tree, with inotify (`IN_OPEN`) on every directory.
///
/// Opening a directory (as a walk does) is reported with `IN_ISDIR` and is not counted; `stat`
/// calls are not reported at all. So a run that reads no file content opens no regular file.
public final class OpenWatcher {
    private let descriptor: Int32
    private var names: [Int32: String] = [:]
    private let countsDirectories: Bool

    /// Watches every directory under `root` (as bytes); with `countingDirectories`, directories
    /// opened below `root` are counted too (the root's own opens are not: it is watched, not
    /// watched from its parent).
    public init(root: [UInt8], countingDirectories: Bool = false) throws {
        countsDirectories = countingDirectories
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw POSIXFailure(operation: "inotify_init1", code: errno) }
        let rootString = String(decoding: root, as: UTF8.self)
        var directories = [rootString]
        let enumerator = FileManager.default.enumerator(atPath: rootString)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = rootString + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), isDirectory.boolValue {
                directories.append(full)
            }
        }
        for directory in directories {
            let watch = inotify_add_watch(descriptor, directory, UInt32(IN_OPEN))
            guard watch >= 0 else { throw POSIXFailure(operation: "inotify_add_watch \(directory)", code: errno) }
            names[watch] = directory
        }
    }

    deinit { close(descriptor) }

    /// The regular files (and with `countingDirectories`, the directories) opened since the watch began (or since the last call), as paths.
    public func openedFiles() -> [String] {
        var opened: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[nameStart..<(nameStart + Int(event.len))].prefix { $0 != 0 }
                if event.mask & UInt32(IN_ISDIR) == 0 || (countsDirectories && !nameBytes.isEmpty) {
                    opened.append((names[event.wd] ?? "?") + "/" + String(decoding: nameBytes, as: UTF8.self))
                }
                offset = nameStart + Int(event.len)
            }
        }
        return opened
    }
}
