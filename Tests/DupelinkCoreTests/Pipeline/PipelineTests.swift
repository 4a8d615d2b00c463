import Glibc
import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

/// Files built to defeat each narrowing stage: a broken stage would report them as duplicates.
@Suite struct PipelineTests {
    /// Sizes that take each path through the stages: digested whole in the head/tail stage, just
    /// over that, and several content chunks long.
    static let sizes = [1, 4097, 16 * 1024, 16 * 1024 + 1, 3 * (1 << 20) + 17]

    func scan(_ tree: TestTree, options: ScanOptions = ScanOptions()) throws -> ScanResult {
        try Pipeline(options: options).scan(roots: [tree.root])
    }

    func paths(_ result: ScanResult) -> [[String]] {
        result.classes.map { duplicateClass in
            duplicateClass.members.flatMap { $0.names }.map { String(decoding: result.path(ofFile: $0), as: UTF8.self) }
        }
    }

    func tree(size: Int, mutate: (inout [UInt8]) -> Void) throws -> TestTree {
        let tree = try TestTree()
        let original = patternBytes(count: size, seed: UInt64(size))
        var changed = original
        mutate(&changed)
        try tree.write("a/original", original)
        try tree.write("b/copy", original)
        try tree.write("c/changed", changed)
        return tree
    }

    func expectOnlyTheTrueCopy(_ tree: TestTree) throws {
        let result = try scan(tree)
        #expect(paths(result) == [[tree.rootString + "/a/original", tree.rootString + "/b/copy"]])
    }

    @Test(arguments: sizes) func filesDifferingOnlyInTheLastByteAreNotDuplicates(size: Int) throws {
        try expectOnlyTheTrueCopy(try tree(size: size) { $0[$0.count - 1] ^= 0xFF })
    }

    @Test(arguments: sizes) func filesDifferingOnlyInTheFirstByteAreNotDuplicates(size: Int) throws {
        try expectOnlyTheTrueCopy(try tree(size: size) { $0[0] ^= 0x01 })
    }

    @Test(arguments: sizes) func filesDifferingInOneMiddleByteAreNotDuplicates(size: Int) throws {
        try expectOnlyTheTrueCopy(try tree(size: size) { $0[$0.count / 2] &+= 1 })
    }

    @Test func filesWithSameHeadAndTailButDifferentMiddleAreNotDuplicates() throws {
        // Differs only outside the head and tail blocks, in the second content chunk.
        let tree = try tree(size: 2 * (1 << 20) + 9000) { bytes in
            for index in (1 << 20)..<((1 << 20) + 100) { bytes[index] = 0 }
        }
        let result = try scan(tree)
        #expect(paths(result) == [[tree.rootString + "/a/original", tree.rootString + "/b/copy"]])
        // The head/tail stage could not tell them apart; the content stage did.
        #expect(result.statistics.filesAfterHeadTail == 3)
    }

    @Test func hardLinksAreOneMemberAndAreReadOnce() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 100_000, seed: 3)
        try tree.write("one", bytes)
        try tree.link("one", "one-again")
        try tree.write("two", bytes)
        let result = try scan(tree)
        #expect(result.classes.count == 1)
        #expect(result.classes[0].members.count == 2)
        #expect(result.classes[0].nameCount == 3)
        // Two inodes of 100,000 bytes: the content stage reads each once.
        #expect(result.statistics.bytesReadContent == 200_000)
        #expect(result.statistics.floorBytes == 200_000)
    }

    @Test func namesOfOneInodeAloneAreNotAClass() throws {
        let tree = try TestTree()
        try tree.write("one", patternBytes(count: 5000, seed: 4))
        try tree.link("one", "two")
        #expect(try scan(tree).classes.isEmpty)
    }

    @Test func largeClassesBeyondTheFanOutAreSplitAndConfirmed() throws {
        let tree = try TestTree()
        let same = patternBytes(count: 50_000, seed: 5)
        for index in 0..<7 { try tree.write("same\(index)", same) }
        var other = same
        other[25_000] ^= 1
        try tree.write("other0", other)
        try tree.write("other1", other)
        try tree.write("unique", patternBytes(count: 50_000, seed: 6))
        var options = ScanOptions()
        options.comparer = ContentComparer(chunkSize: 4096, fanOut: 3)
        options.jobs = 2
        let result = try scan(tree, options: options)
        let found = Set(paths(result).map { Set($0.map { String($0.split(separator: "/").last!) }) })
        #expect(found == [Set((0..<7).map { "same\($0)" }), ["other0", "other1"]])
    }

    @Test func classDigestIsTheFullXXH3OfTheContent() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 300_000, seed: 8)
        try tree.write("x", bytes)
        try tree.write("y", bytes)
        let result = try scan(tree)
        #expect(result.classes.first?.digest == bytes.withUnsafeBytes { XXH3Hasher.digest($0) })
    }

    @Test func fileThatVanishesBeforeItIsReadIsAWarningAndTheScanGoesOn() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 20_000, seed: 9)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.write("c", bytes)
        var options = ScanOptions()
        options.jobs = 1
        let walk = Walker(options: options.walk).walk(roots: [tree.root])
        #expect(walk.files.count == 3)
        _ = withCPath(tree.path("c")) { unlink($0) }
        let groups = SizeGrouping.candidateGroups(walk.files)
        var statistics = ScanStatistics()
        var diagnostics: [Diagnostic] = []
        var computed: [HeadTailStage.Computed]? = []
        let split = try HeadTailStage.split(
            groups, opener: FileOpener(table: walk.table, files: walk.files), pool: WorkerPool(threadCount: 1),
            progress: nil, statistics: &statistics, diagnostics: &diagnostics, computed: &computed)
        #expect(computed?.count == 2)
        #expect(split.count == 1 && split[0].members.count == 2)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.error.displayPath.hasSuffix("/c") == true)
    }

    @Test func fileChangedAfterTheWalkIsLeftOutWithAWarning() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 40_000, seed: 10)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.write("c", bytes)
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.root])
        // Rewrite c with other bytes of the same size: its mtime changes.
        var later = timespec(tv_sec: 2_000_000_000, tv_nsec: 0)
        try tree.write("c", patternBytes(count: 40_000, seed: 11))
        _ = withUnsafeMutablePointer(to: &later) { pointer in
            withCPath(tree.path("c")) { path in
                var times = [pointer.pointee, pointer.pointee]
                return utimensat(AT_FDCWD, path, &times, 0)
            }
        }
        let opener = FileOpener(table: walk.table, files: walk.files)
        let index = walk.files.firstIndex { walk.table.path(ofFile: $0).last == UInt8(ascii: "c") }!
        #expect(throws: DupelinkError.self) { try opener.open(Int32(index), directories: DirectoryCache()) }
    }
}
