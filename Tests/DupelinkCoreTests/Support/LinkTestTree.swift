import Foundation
import Glibc

/// A fresh temporary directory for one linker test, with the small file operations the tests
/// need. Removed (recursively, through descriptors, so paths deeper than PATH_MAX go too) by
/// `remove()`.
final class LinkTestTree {
    /// An error from a test file operation, naming the call and the path.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The directory's absolute path.
    let root: String

    /// Creates `<base>/dupelink-link-XXXXXX`.
    init(base: String = NSTemporaryDirectory()) throws {
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("dupelink-link-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw Failure(description: "mkdtemp in \(base): \(String(cString: strerror(errno)))") }
        root = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The absolute path of `relative` inside the tree.
    func path(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    /// Writes `content` to a new file (creating parent directories) with the given permissions.
    func write(_ relative: String, _ content: [UInt8], mode: mode_t = 0o644) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure("open", full) }
        defer { close(descriptor) }
        try writeAll(descriptor, content, path: full)
        guard fchmod(descriptor, mode) == 0 else { throw failure("fchmod", full) }
    }

    /// Creates a directory (and its parents).
    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    /// Makes `new` another hard link to `existing`.
    func link(_ existing: String, _ new: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path(new) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard Glibc.link(path(existing), path(new)) == 0 else { throw failure("link", path(new)) }
    }

    /// The `lstat` metadata of a path inside the tree.
    func status(_ relative: String) throws -> stat { try Self.status(path(relative)) }

    /// The `lstat` metadata of an absolute path.
    static func status(_ absolute: String) throws -> stat {
        var result = stat()
        guard lstat(absolute, &result) == 0 else { throw failure("lstat", absolute) }
        return result
    }

    /// The bytes of a file inside the tree.
    func read(_ relative: String) throws -> [UInt8] { try Self.read(path(relative)) }

    /// The bytes of a file at an absolute path, without following a final symbolic link.
    static func read(_ absolute: String) throws -> [UInt8] {
        let descriptor = open(absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", absolute) }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read", absolute)
            }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }

    /// Every path (relative) of a non-directory entry under `relative`, sorted.
    func entries(under relative: String = "") throws -> [String] {
        let base = path(relative)
        var result: [String] = []
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { throw Failure(description: "enumerate \(base)") }
        while let next = enumerator.nextObject() as? String {
            let full = base + "/" + next
            if (try Self.status(full).st_mode & S_IFMT) != S_IFDIR {
                result.append(relative.isEmpty ? next : relative + "/" + next)
            }
        }
        return result.sorted()
    }

    /// The names anywhere under the tree that look like the linker's temporary names.
    func temporaryNames() throws -> [String] {
        try entries().filter { ($0 as NSString).lastPathComponent.hasPrefix(".dupelink.") }
    }

    /// The bytes the file occupies on disk (`st_blocks` × 512), what freeing it gives back: its
    /// size rounded up to the filesystem's block for an ordinary file, less for a sparse one.
    func allocatedBytes(_ relative: String) throws -> Int64 { Int64(try status(relative).st_blocks) * 512 }

    /// The sum of `st_blocks` × 512 over the distinct inodes of regular files under `relatives`:
    /// what `df` counts.
    func distinctInodeAllocatedBytes(under relatives: [String]) throws -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        for relative in relatives {
            for entry in try entries(under: relative) {
                let status = try status(entry)
                guard (status.st_mode & S_IFMT) == S_IFREG, seen.insert(UInt64(status.st_ino)).inserted else { continue }
                total += Int64(status.st_blocks) * 512
            }
        }
        return total
    }

    /// The sum of `st_size` over the distinct inodes of regular files under `relatives`.
    func distinctInodeBytes(under relatives: [String]) throws -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        for relative in relatives {
            for entry in try entries(under: relative) {
                let status = try status(entry)
                guard (status.st_mode & S_IFMT) == S_IFREG, seen.insert(UInt64(status.st_ino)).inserted else { continue }
                total += Int64(status.st_size)
            }
        }
        return total
    }

    /// Removes the tree.
    func remove() {
        Self.removeRecursively(root)
    }

    /// Removes `absolute` and everything below it through directory descriptors; best effort.
    static func removeRecursively(_ absolute: String) {
        let slash = absolute.lastIndex(of: "/") ?? absolute.startIndex
        let parentPath = slash == absolute.startIndex ? "/" : String(absolute[..<slash])
        let name = String(absolute[absolute.index(after: slash)...])
        let parent = open(parentPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        defer { close(parent) }
        removeEntry(name, in: parent)
    }

    private static func removeEntry(_ name: String, in parent: Int32) {
        if unlinkat(parent, name, 0) == 0 { return }
        guard errno == EISDIR else { return }
        let descriptor = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0, let stream = fdopendir(descriptor) else { return }
        var names: [String] = []
        while let entry = readdir(stream) {
            let child = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if child != "." && child != ".." { names.append(child) }
        }
        for child in names { removeEntry(child, in: dirfd(stream)) }
        closedir(stream)
        unlinkat(parent, name, AT_REMOVEDIR)
    }

    /// Writes every byte, retrying short writes.
    static func writeAll(_ descriptor: Int32, _ content: [UInt8], path: String) throws {
        var written = 0
        while written < content.count {
            let count = content.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            written += count
        }
    }

    private func writeAll(_ descriptor: Int32, _ content: [UInt8], path: String) throws {
        try Self.writeAll(descriptor, content, path: path)
    }

    private func failure(_ call: String, _ path: String) -> Failure { Self.failure(call, path) }

    static func failure(_ call: String, _ path: String) -> Failure {
        Failure(description: "\(call) \(path): \(String(cString: strerror(errno)))")
    }

    /// Deterministic content: `count` bytes from a seed, different for every seed.
    static func content(seed: Int, count: Int) -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Waits until the kernel's coarse clock, which stamps file times, has passed `nanoseconds`,
    /// so a change made next gets a time different from a snapshot taken at `nanoseconds`.
    /// (A bounded spin on the clock, at most one tick, not a sleep.)
    static func waitForFileClock(toPass nanoseconds: Int64) {
        var now = timespec()
        repeat {
            clock_gettime(CLOCK_REALTIME_COARSE, &now)
        } while Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) <= nanoseconds
    }

    /// The filesystem type magic of an absolute path (`statfs.f_type`).
    static func filesystemMagic(_ absolute: String) -> Int? {
        // Glibc's module does not import <sys/vfs.h>; `f_type` is the first field, a `long`.
        var buffer = [Int](repeating: 0, count: 64)
        let result = buffer.withUnsafeMutableBytes { linkTestStatfs(absolute, $0.baseAddress!) }
        return result == 0 ? buffer[0] : nil
    }

    /// The ext4 (also ext2/ext3) superblock magic.
    static let ext4Magic = 0xEF53
}

@_silgen_name("statfs")
private func linkTestStatfs(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutableRawPointer) -> Int32
