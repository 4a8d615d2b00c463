import DupelinkTestSupport
import Glibc
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The content stage on sparse files: holes are not read, yet the classes and digests are those
/// of reading every byte (a hole is zeros).
@Suite struct SparseContentTests {
    static let mebibyte = 1 << 20

    /// Writes `name` as a sparse file, or skips the test when the filesystem made no holes.
    static func sparse(_ tree: TestTree, _ name: String, size: Int, _ extents: [(offset: Int, bytes: [UInt8])]) throws {
        guard try tree.writeSparse(name, size: size, extents: extents) else {
            try Test.cancel("\(tree.rootString) made no holes (st_blocks covers the size): cannot test sparse files here")
        }
    }

    /// The XXH3-128 of a file of `size` bytes that is zero but at `extents`: what reading every
    /// byte would digest.
    static func digest(size: Int, _ extents: [(offset: Int, bytes: [UInt8])]) -> Digest {
        var hasher = XXH3Hasher()
        let zeros = [UInt8](repeating: 0, count: mebibyte)
        var offset = 0
        for extent in extents.sorted(by: { $0.offset < $1.offset }) {
            while offset < extent.offset {
                let count = min(zeros.count, extent.offset - offset)
                zeros.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                offset += count
            }
            extent.bytes.withUnsafeBytes { hasher.update($0) }
            offset += extent.bytes.count
        }
        while offset < size {
            let count = min(zeros.count, size - offset)
            zeros.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            offset += count
        }
        return hasher.finalize()
    }

    func scan(_ tree: TestTree) throws -> ScanResult { try Pipeline(options: ScanOptions()).scan(roots: [tree.root]) }

    func names(_ result: ScanResult) -> [[String]] {
        result.classes.map { $0.members.flatMap(\.names).map { String(decoding: result.path(ofFile: $0), as: UTF8.self) } }
    }

    @Test func sparseFilesWithEqualMapsAreOneClassAndOnlyTheirDataIsRead() throws {
        let tree = try TestTree()
        let size = 512 * Self.mebibyte
        // Data at the start (the head), in the middle, and at the end (the tail): 4 MiB in all.
        let extents = [
            (offset: 0, bytes: patternBytes(count: Self.mebibyte, seed: 1)),
            (offset: 200 * Self.mebibyte, bytes: patternBytes(count: 2 * Self.mebibyte, seed: 2)),
            (offset: size - Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 3)),
        ]
        try Self.sparse(tree, "a", size: size, extents)
        try Self.sparse(tree, "b", size: size, extents)

        let result = try scan(tree)

        #expect(names(result) == [["a", "b"].map { tree.rootString + "/" + $0 }])
        #expect(result.classes.first?.digest == Self.digest(size: size, extents))
        // Each file's 4 MiB of data, not its 512 MiB.
        #expect(result.statistics.bytesReadContent == 2 * 4 * Int64(Self.mebibyte), "\(result.statistics.bytesReadContent)")
    }

    @Test func aSparseAndADenseFileWithTheSameBytesAreOneClass() throws {
        let tree = try TestTree()
        let size = 8 * Self.mebibyte
        let data = (offset: 3 * Self.mebibyte + 1000, bytes: patternBytes(count: 70_000, seed: 4))
        try Self.sparse(tree, "sparse", size: size, [data])
        // The same bytes with every zero written out: no holes at all.
        var dense = [UInt8](repeating: 0, count: size)
        dense.replaceSubrange(data.offset..<(data.offset + data.bytes.count), with: data.bytes)
        try tree.write("dense", dense)

        let result = try scan(tree)

        #expect(names(result) == [["dense", "sparse"].map { tree.rootString + "/" + $0 }])
        #expect(result.classes.first?.digest == Self.digest(size: size, [data]))
    }

    @Test func sparseFilesWithEqualMapsDifferingInOneDataByteAreNotOneClass() throws {
        let tree = try TestTree()
        let size = 64 * Self.mebibyte
        let data = patternBytes(count: 3 * Self.mebibyte, seed: 5)
        var changed = data
        changed[Self.mebibyte + 12_345] ^= 0x40
        try Self.sparse(tree, "a", size: size, [(20 * Self.mebibyte, data)])
        try Self.sparse(tree, "b", size: size, [(20 * Self.mebibyte, data)])
        try Self.sparse(tree, "c", size: size, [(20 * Self.mebibyte, changed)])

        #expect(names(try scan(tree)) == [["a", "b"].map { tree.rootString + "/" + $0 }])
    }

    @Test func aNonZeroByteWhereTheOtherHasAHoleIsADifference() throws {
        let tree = try TestTree()
        let size = 64 * Self.mebibyte
        let data = (offset: 10 * Self.mebibyte, bytes: patternBytes(count: Self.mebibyte, seed: 6))
        try Self.sparse(tree, "a", size: size, [data])
        try Self.sparse(tree, "b", size: size, [data])
        // A block of data where the others have a hole, zero but for one byte.
        var block = [UInt8](repeating: 0, count: 4096)
        block[100] = 1
        try Self.sparse(tree, "c", size: size, [data, (offset: 40 * Self.mebibyte, bytes: block)])

        #expect(names(try scan(tree)) == [["a", "b"].map { tree.rootString + "/" + $0 }])
    }
}
