import DupelinkTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The linker's last byte comparison on sparse files: holes are compared as zeros without being
/// read, and the answer is that of reading every byte.
@Suite struct SparseFinalComparisonTests {
    static let mebibyte = SparseContentTests.mebibyte

    /// Bytes this thread has had returned by `read`-family calls (`rchar` of
    /// `/proc/thread-self/io`): the comparison runs on the calling thread, so other tests running
    /// meanwhile do not count.
    static func bytesReadByThisThread() throws -> Int64 {
        let text = try String(contentsOfFile: "/proc/thread-self/io", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("rchar:") })
        return try #require(Int64(line.dropFirst("rchar:".count).trimmingCharacters(in: .whitespaces)))
    }

    /// Compares `a` and `b` under `tree` with the linker's comparison; returns its result and the
    /// bytes this thread read doing it.
    static func compare(_ tree: TestTree, _ a: String, _ b: String) throws -> (FinalComparison.Result, Int64) {
        let keeper = withCPath(tree.path(a)) { open($0, O_RDONLY | O_CLOEXEC) }
        let duplicate = withCPath(tree.path(b)) { open($0, O_RDONLY | O_CLOEXEC) }
        defer {
            close(keeper)
            close(duplicate)
        }
        try #require(keeper >= 0 && duplicate >= 0)
        let comparison = FinalComparison()
        let before = try bytesReadByThisThread()
        let result = try comparison.compare(keeper: FileDescriptor(rawValue: keeper), duplicate: FileDescriptor(rawValue: duplicate))
        return (result, try bytesReadByThisThread() - before)
    }

    @Test func sparseCopiesAreComparedByTheirDataAlone() throws {
        let tree = try TestTree()
        let size = 256 * Self.mebibyte
        let extents = [
            (offset: 5 * Self.mebibyte, bytes: patternBytes(count: 2 * Self.mebibyte, seed: 11)),
            (offset: size - Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 12)),
        ]
        try SparseContentTests.sparse(tree, "keep", size: size, extents)
        try SparseContentTests.sparse(tree, "dup", size: size, extents)

        let (result, read) = try Self.compare(tree, "keep", "dup")

        #expect(result.isIdentical)
        #expect(result.bytesCompared == Int64(size))
        // Both files' 3 MiB of data (the final read at the end returns nothing), and the little
        // that reading /proc/thread-self/io itself counts, not 512 MiB.
        #expect(read >= 2 * 3 * Int64(Self.mebibyte) && read < 2 * 3 * Int64(Self.mebibyte) + 4096, "read \(read) bytes")
    }

    @Test func aSparseAndADenseCopyAreIdentical() throws {
        let tree = try TestTree()
        let size = 16 * Self.mebibyte
        let data = (offset: 7 * Self.mebibyte + 333, bytes: patternBytes(count: 100_000, seed: 13))
        try SparseContentTests.sparse(tree, "keep", size: size, [data])
        var dense = [UInt8](repeating: 0, count: size)
        dense.replaceSubrange(data.offset..<(data.offset + data.bytes.count), with: data.bytes)
        try tree.write("dup", dense)

        #expect(try Self.compare(tree, "keep", "dup").0.isIdentical)
        #expect(try Self.compare(tree, "dup", "keep").0.isIdentical)
    }

    @Test func equalMapsWithOneDifferingDataByteDiffer() throws {
        let tree = try TestTree()
        let size = 32 * Self.mebibyte
        let data = patternBytes(count: 2 * Self.mebibyte, seed: 14)
        var changed = data
        changed[1_500_000] &+= 1
        try SparseContentTests.sparse(tree, "keep", size: size, [(9 * Self.mebibyte, data)])
        try SparseContentTests.sparse(tree, "dup", size: size, [(9 * Self.mebibyte, changed)])

        let (result, _) = try Self.compare(tree, "keep", "dup")
        #expect(!result.isIdentical)
        // Up to the end of the 1 MiB chunk that differs, at 10 MiB.
        #expect(result.bytesCompared == Int64(11 * Self.mebibyte))
    }

    @Test func aNonZeroByteWhereTheOtherHasAHoleDiffers() throws {
        let tree = try TestTree()
        let size = 32 * Self.mebibyte
        let data = (offset: 0, bytes: patternBytes(count: Self.mebibyte, seed: 15))
        var block = [UInt8](repeating: 0, count: 4096)
        block[4095] = 0x80
        try SparseContentTests.sparse(tree, "keep", size: size, [data])
        try SparseContentTests.sparse(tree, "dup", size: size, [data, (offset: 20 * Self.mebibyte, bytes: block)])

        #expect(try !Self.compare(tree, "keep", "dup").0.isIdentical)
        #expect(try !Self.compare(tree, "dup", "keep").0.isIdentical)
    }
}
