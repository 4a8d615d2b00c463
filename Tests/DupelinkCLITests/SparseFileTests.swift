import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Sparse files end to end: found and linked reading only their data, and what is reported as
/// reclaimable and freed is what the filesystem gets back (their blocks, not their size).
@Suite struct SparseFileTests {
    static let mebibyte = 1 << 20

    /// Writes `name` as a sparse file, or skips the test when the filesystem made no holes.
    static func sparse(_ tree: TestTree, _ name: String, size: Int, _ extents: [(offset: Int, bytes: [UInt8])]) throws {
        guard try tree.writeSparse(name, size: size, extents: extents) else {
            try Test.cancel("\(tree.rootString) made no holes (st_blocks covers the size): cannot test sparse files here")
        }
    }

    /// The number a `--stats` line gives: `stats: NAME: 123 (...)`.
    static func statistic(_ name: String, in standardError: String) throws -> Int64 {
        let line = try #require(standardError.split(separator: "\n").first { $0.hasPrefix("stats: \(name): ") })
        let rest = line.dropFirst("stats: \(name): ".count)
        return try #require(Int64(rest.prefix { $0.isNumber }))
    }

    @Test func identicalSparseFilesAreLinkedReadingOnlyTheirDataAndCountedByTheirBlocks() throws {
        let tree = try TestTree()
        let size = 1 << 30
        // A few MiB of data at different offsets, the same in both: identical maps.
        let extents = [
            (offset: 3 * Self.mebibyte, bytes: patternBytes(count: 2 * Self.mebibyte, seed: 31)),
            (offset: 600 * Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 32)),
            (offset: size - Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 33)),
        ]
        try Self.sparse(tree, "a", size: size, extents)
        try Self.sparse(tree, "b", size: size, extents)
        let allocated = try tree.allocatedBytes("b")

        let result = try CLI.run("link", "--stats", "--no-catalog", tree.rootString)

        #expect(result.status == 0, "\(result.standardError)")
        #expect(try tree.status("a").st_ino == tree.status("b").st_ino)
        // Both files' 4 MiB of data, not 2 GiB of zeros.
        #expect(try Self.statistic("bytes read, content", in: result.standardError) == 2 * 4 * Int64(Self.mebibyte))
        // Reclaimable and freed by blocks, the apparent size beside.
        let blocks = ByteSize.format(allocated)
        #expect(result.output.contains("2 files of 1.0 GiB (\(blocks) allocated), \(blocks) reclaimable:"), "\(result.output)")
        #expect(result.output.contains("1 duplicate, \(blocks) (1.0 GiB apparent) reclaimable by hard-linking."), "\(result.output)")
        #expect(result.output.contains("Linked 1 file, freed \(blocks) (1.0 GiB apparent)."), "\(result.output)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func bytesFreedAreWhatTheFilesystemGetsBack() throws {
        // A tmpfs of our own: nothing else writes to it while free space is measured.
        let mountPoint = try TestTree()
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=256m,mode=0700", "tmpfs", mountPoint.rootString]) == 0 else {
            try Test.cancel("cannot mount a tmpfs at \(mountPoint.rootString)")
        }
        defer { run("/bin/umount", [mountPoint.rootString]) }
        let size = 64 * Self.mebibyte
        let extents = [
            (offset: Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 34)),
            (offset: 40 * Self.mebibyte, bytes: patternBytes(count: 300_000, seed: 35)),
        ]
        try Self.sparse(mountPoint, "sparse-1", size: size, extents)
        try Self.sparse(mountPoint, "sparse-2", size: size, extents)
        let dense = patternBytes(count: 3 * Self.mebibyte + 5, seed: 36)
        try mountPoint.write("dense-1", dense)
        try mountPoint.write("dense-2", dense)
        func freeBytes() throws -> Int64 {
            var status = statvfs()
            try #require(statvfs(mountPoint.rootString, &status) == 0)
            return Int64(status.f_bfree) * Int64(status.f_frsize)
        }
        let before = try freeBytes()

        let result = try CLI.run("link", "--no-catalog", "--format", "json", mountPoint.rootString)

        #expect(result.status == 0, "\(result.standardError)")
        let measured = try freeBytes() - before
        let report = try JSONReport.decode(result.standardOutput)
        let freed = try #require(report.summary.bytesFreed)
        // What df shows, but for a few blocks of filesystem metadata.
        #expect(abs(freed - measured) <= 4 * 4096, "reported \(freed), measured \(measured)")
        #expect(report.summary.reclaimableBytes == freed)
        // The apparent size, 64 MiB more than the space the sparse copy took, is reported beside.
        #expect(report.summary.apparentBytesFreed == Int64(size + dense.count))
        #expect(freed < Int64(2 * Self.mebibyte + dense.count))
    }
}
