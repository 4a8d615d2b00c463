import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `scan` while another thread appends to, truncates, rewrites in place, replaces and removes
/// files: no crash, no hang, status 0 or 1, and never a wrong class.
@Suite struct ScanWhileChangingTests {
    static let seeds: [UInt64] = Hostile.longRun ? Array(1...20) : [1, 2]
    static let hotFiles = 32
    static let hotSize = 2 << 20

    @Test(arguments: seeds)
    func scanWhileFilesChangeReportsOnlyTrueClassesAndWarnsOnlyAboutChangedFiles(seed: UInt64) throws {
        let tree = try TestTree()
        // Cold files: classes of 1 to 4 names nobody touches, sizes chosen so that some share a
        // size, a head or a tail without sharing their content.
        var cold: [[UInt8]] = []
        for group in 0..<150 {
            let size = 1 + (group % 25) * 997
            var bytes = patternBytes(count: size, seed: seed &* 100_000 &+ UInt64(group))
            if group % 5 == 1 { bytes[size / 2] ^= 1 }  // same size, head and tail as its neighbour
            for copy in 0..<(1 + group % 4) {
                cold.append(try tree.write("cold/\(group % 7)/c\(group)-\(copy)", bytes))
            }
        }
        // Hot files: all one size and one content, so every one is read to its end.
        let hotBytes = patternBytes(count: Self.hotSize, seed: seed &+ 77)
        var hot: [[UInt8]] = []
        for index in 0..<Self.hotFiles { hot.append(try tree.write("hot/h\(index)", hotBytes)) }

        let touched = TouchedSet()
        // The writer changes every other hot file; the rest stay a class of their own.
        let hotPaths = hot.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let writer = RacingThread { round in
            var generator = SeededGenerator(seed: seed &* 31 &+ UInt64(round))
            let path = hotPaths[Int.random(in: 0..<hotPaths.count, using: &generator)]
            touched.insert(path)
            Self.change(path, operation: round % 6, generator: &generator)
        }
        let result = try Hostile.run(Hostile.arguments("scan", "--no-catalog", "--format", "json", tree.rootString), seconds: 120)
        let rounds = writer.stop()
        guard let result else { return }
        #expect(result.status == 0 || result.status == 1, "status \(result.status): \(result.standardError.prefix(2000))")
        let report = try JSONReport.decode(result.standardOutput)

        // Every class, checked on disk now that nothing changes.
        let checked = Hostile.verifyClasses(report)
        // The untouched files are classified exactly as reading them says.
        let changed = touched.paths
        let steady = Set(cold + hot.filter { !changed.contains($0) })
        let expected = try Hostile.referenceClasses(Array(steady))
        let reportedSteady = Set(Hostile.classSets(report).compactMap { names -> Set<[UInt8]>? in
            let steadyNames = names.filter { steady.contains($0) }
            return steadyNames.isEmpty ? nil : steadyNames
        })
        #expect(reportedSteady == expected, "seed \(seed): the classes of untouched files differ from a reading of them")
        // Only changed files are warned about, and each warning names its file.
        for warning in report.warnings {
            #expect(!steady.contains(warning.path.bytes), "seed \(seed): a steady file was warned about: \(warning.message)")
            #expect(warning.message.contains(warning.path.path))
        }
        print("scan while changing, seed \(seed): \(rounds) changes to \(changed.count) of \(hot.count) hot files (\(hot.count - changed.count) steady); status \(result.status); \(report.classes.count) classes, \(checked) names checked on disk; \(report.warnings.count) warnings")
    }

    /// One change to `path`: append, truncate, rewrite a block in place, replace by rename, remove
    /// (and, every other time, write again), or truncate to nothing and write again. A change to a
    /// file that is gone creates nothing, except a replacement by rename.
    static func change(_ path: [UInt8], operation: Int, generator: inout SeededGenerator) {
        let block = patternBytes(count: 4096, seed: generator.next())
        switch operation {
        case 0:
            let fd = withCPath(path) { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) }
            if fd >= 0 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; close(fd) }
        case 1:
            _ = withCPath(path) { truncate($0, off_t(Int.random(in: 0..<hotSize, using: &generator))) }
        case 2:
            let fd = withCPath(path) { open($0, O_WRONLY | O_CLOEXEC) }
            if fd >= 0 {
                let offset = off_t(Int.random(in: 0..<hotSize, using: &generator))
                _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
                close(fd)
            }
        case 3:
            let temporary = path + Array(".new".utf8)
            let fd = withCPath(temporary) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
            if fd >= 0 {
                _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                _ = withCPath(temporary) { from in withCPath(path) { to in rename(from, to) } }
            }
        case 4:
            _ = withCPath(path) { unlink($0) }
            // Every other time the file stays gone (until another change writes it again).
            if Bool.random(using: &generator) { return }
            let fd = withCPath(path) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
            if fd >= 0 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; close(fd) }
        default:
            let fd = withCPath(path) { open($0, O_WRONLY | O_TRUNC | O_CLOEXEC) }
            if fd >= 0 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; close(fd) }
        }
    }
}

/// The files a racing writer touched, shared between its thread and the test.
final class TouchedSet: @unchecked Sendable {
    private let lock = NSLock()
    private var set: Set<[UInt8]> = []
    func insert(_ path: [UInt8]) { _ = lock.withLock { set.insert(path) } }
    var paths: Set<[UInt8]> { lock.withLock { set } }
}
