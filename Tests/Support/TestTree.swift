import Foundation
import Glibc

/// A real directory tree in a fresh temporary folder, removed when the test is done.
///
/// Paths are raw bytes so tests can make names that are not UTF-8.
public final class TestTree {
    /// The root folder, as bytes.
    public let root: [UInt8]

    /// Creates an empty folder under `base` (default: the system temporary folder).
    public init(base: String = NSTemporaryDirectory()) throws {
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8) + Array("dupelink-test-XXXXXX".utf8) + [0]
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { mkdtemp($0) }
        }
        guard made != nil else { throw POSIXFailure(operation: "mkdtemp", code: errno) }
        root = Array(template.dropLast())
    }

    deinit {
        // Make everything writable again (tests chmod and chattr things), then remove.
        _ = run("/usr/bin/chattr", ["-R", "-f", "-i", "-a", rootString])
        _ = run("/bin/chmod", ["-R", "u+rwx", rootString])
        _ = run("/bin/rm", ["-rf", rootString])
    }

    /// The root as a string (for Foundation and subprocess arguments; only for UTF-8 roots).
    public var rootString: String { String(decoding: root, as: UTF8.self) }

    /// The absolute path of `relative` (bytes) under the root.
    public func path(_ relative: [UInt8]) -> [UInt8] { root + [UInt8(ascii: "/")] + relative }
    /// The absolute path of `relative` under the root.
    public func path(_ relative: String) -> [UInt8] { path(Array(relative.utf8)) }

    /// Writes a file, creating its parent folders.
    @discardableResult
    public func write(_ relative: String, _ contents: [UInt8], mode: mode_t = 0o644) throws -> [UInt8] {
        try write(bytes: Array(relative.utf8), contents, mode: mode)
    }

    /// Writes a file whose relative name is raw bytes, creating its parent folders.
    @discardableResult
    public func write(bytes relative: [UInt8], _ contents: [UInt8], mode: mode_t = 0o644) throws -> [UInt8] {
        let full = path(relative)
        if let slash = relative.lastIndex(of: UInt8(ascii: "/")) { try makeDirectory(Array(relative[..<slash])) }
        let fd = withCPath(full) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw POSIXFailure(operation: "open \(String(decoding: full, as: UTF8.self))", code: errno) }
        defer { close(fd) }
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw POSIXFailure(operation: "write", code: errno) }
            offset += written
        }
        _ = withCPath(full) { chmod($0, mode) }
        return full
    }

    /// Writes a sparse file of `size` bytes: `ftruncate` to the size, then each extent's bytes
    /// written (`pwrite`) at its offset; everything else is a hole. Returns whether the
    /// filesystem really made holes (`st_blocks` × 512 below `size`), for a test to skip when not.
    @discardableResult
    public func writeSparse(_ relative: String, size: Int, extents: [(offset: Int, bytes: [UInt8])]) throws -> Bool {
        let full = path(relative)
        let fd = withCPath(full) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw POSIXFailure(operation: "open \(String(decoding: full, as: UTF8.self))", code: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw POSIXFailure(operation: "ftruncate", code: errno) }
        for extent in extents {
            var done = 0
            while done < extent.bytes.count {
                let written = extent.bytes[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(extent.offset + done)) }
                guard written > 0 else { throw POSIXFailure(operation: "pwrite", code: errno) }
                done += written
            }
        }
        guard fsync(fd) == 0 else { throw POSIXFailure(operation: "fsync", code: errno) }
        let status = try Self.status(full)
        return Int64(status.st_blocks) * 512 < Int64(status.st_size)
    }

    /// Creates a folder and its parents.
    public func makeDirectory(_ relative: [UInt8]) throws {
        var current: [UInt8] = []
        for component in relative.split(separator: UInt8(ascii: "/")) {
            current += (current.isEmpty ? [] : [UInt8(ascii: "/")]) + component
            let result = withCPath(path(current)) { mkdir($0, 0o755) }
            if result != 0 && errno != EEXIST { throw POSIXFailure(operation: "mkdir", code: errno) }
        }
    }

    /// Creates a folder and its parents.
    public func makeDirectory(_ relative: String) throws { try makeDirectory(Array(relative.utf8)) }

    /// Makes `relative` a hard link to `existing`.
    public func link(_ existing: String, _ relative: String) throws {
        let result = withCPath(path(existing)) { from in withCPath(path(relative)) { to in Glibc.link(from, to) } }
        guard result == 0 else { throw POSIXFailure(operation: "link", code: errno) }
    }

    /// Makes `relative` a symbolic link whose target is `target` (as written).
    public func symlink(_ target: String, _ relative: String) throws {
        let result = withCPath(Array(target.utf8)) { from in withCPath(path(relative)) { to in Glibc.symlink(from, to) } }
        guard result == 0 else { throw POSIXFailure(operation: "symlink", code: errno) }
    }

    /// Reads a file.
    public func read(_ relative: String) throws -> [UInt8] { try Self.read(path(relative)) }

    /// Reads a file at an absolute path.
    public static func read(_ full: [UInt8]) throws -> [UInt8] {
        let fd = withCPath(full) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw POSIXFailure(operation: "open", code: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { throw POSIXFailure(operation: "read", code: errno) }
            if count == 0 { return result }
            result += buffer[0..<count]
        }
    }

    /// `lstat` of a path under the root.
    public func status(_ relative: String) throws -> stat { try Self.status(path(relative)) }

    /// The bytes a file under the root occupies on disk (`st_blocks` × 512): what reclaimable and
    /// freed figures count. An ordinary file's size rounded up to the filesystem's block.
    public func allocatedBytes(_ relative: String) throws -> Int64 { Int64(try status(relative).st_blocks) * 512 }

    /// `lstat` of an absolute path.
    public static func status(_ full: [UInt8]) throws -> stat {
        var result = stat()
        guard withCPath(full, { lstat($0, &result) }) == 0 else { throw POSIXFailure(operation: "lstat", code: errno) }
        return result
    }
}

/// A failed system call in test setup.
public struct POSIXFailure: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
}

/// Calls `body` with a NUL-terminated copy of `path`.
public func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    let c = path.map { CChar(bitPattern: $0) } + [0]
    return try c.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// Runs a program and returns its exit status.
@discardableResult
public func run(_ program: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

/// Deterministic pseudo-random bytes (xorshift), so test contents are the same on every run.
public func patternBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}
