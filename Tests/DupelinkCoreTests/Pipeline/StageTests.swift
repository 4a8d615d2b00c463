import DupelinkTestSupport
import Glibc
import Testing
@_spi(Stages) @testable import DupelinkCore

/// Each narrowing stage alone, on groups the test builds by hand rather than the stage before it:
/// a stage must be right whatever it is given, not only on what the earlier stages let through.
@Suite struct StageTests {
    /// A status of `size` bytes for inode `inode` on device 1; the rest does not matter to grouping.
    func status(inode: UInt64, size: Int64, device: UInt64 = 1) -> FileStatus {
        FileStatus(
            id: FileID(device: device, inode: inode), mode: 0o100644, linkCount: 1, userID: 0, groupID: 0, size: size,
            blocks: 8, modificationTime: 0, changeTime: 0)
    }

    /// The walk of `tree`, and each file's index in it by name.
    func walk(_ tree: TestTree) -> (walk: WalkResult, index: [String: Int32]) {
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.root], pool: WorkerPool(threadCount: 1))
        var index: [String: Int32] = [:]
        for (position, record) in walk.files.enumerated() {
            index[String(decoding: walk.table.name(ofFile: record), as: UTF8.self)] = Int32(position)
        }
        return (walk, index)
    }

    /// A group of the named files, in the order given, one member per name.
    func group(_ names: [String], in walked: (walk: WalkResult, index: [String: Int32])) -> [Member] {
        names.map { name in
            let file = walked.index[name]!
            return Member(names: [file], status: walked.walk.files[Int(file)].status)
        }
    }

    func names(_ members: [Member], in walked: (walk: WalkResult, index: [String: Int32])) -> [String] {
        members.map { String(decoding: walked.walk.table.name(ofFile: walked.walk.files[Int($0.names[0])]), as: UTF8.self) }
    }

    @Test func sizeGroupingFoldsNamesOfOneInodeAndDropsLoneSizesWithoutTouchingTheDisk() {
        // Records made by hand: no file exists behind them.
        var table = PathTable()
        let directory = table.addDirectory(parent: -1, name: Array("/nowhere".utf8), id: FileID(device: 1, inode: 1), root: 0)
        func record(_ name: String, _ status: FileStatus) -> FileRecord {
            let (start, length) = table.appendName(Array(name.utf8))
            return FileRecord(directory: directory, nameStart: start, nameLength: UInt16(length), status: status)
        }
        let files = [
            record("a", status(inode: 10, size: 100)),
            record("a-link", status(inode: 10, size: 100)),
            record("b", status(inode: 11, size: 100)),
            record("lone", status(inode: 12, size: 7)),
            // Same inode number on another device: another file.
            record("c", status(inode: 10, size: 100, device: 2)),
            // One inode with two names and nothing else of its size: nothing to compare it with.
            record("d", status(inode: 13, size: 55)),
            record("d-link", status(inode: 13, size: 55)),
        ]
        let groups = SizeGrouping.candidateGroups(files)
        #expect(groups.count == 1)
        #expect(groups.first?.map { $0.names.map { $0 } } == [[0, 1], [2], [4]])
    }

    @Test func headTailSplitsAHandBuiltGroupByHeadAndTailAndKeepsWhatDiffersOnlyInTheMiddle() throws {
        let tree = try TestTree()
        let size = Int(HeadTailStage.wholeFileLimit) + 20 * HeadTailStage.blockSize
        let base = patternBytes(count: size, seed: 21)
        var middle = base
        middle[size / 2] ^= 0xFF
        var head = base
        head[0] ^= 0xFF
        var tail = base
        tail[size - 1] ^= 0xFF
        try tree.write("base", base)
        try tree.write("copy", base)
        try tree.write("middle", middle)
        try tree.write("head", head)
        try tree.write("tail", tail)
        let walked = walk(tree)
        var statistics = ScanStatistics()
        var diagnostics: [Diagnostic] = []
        var computed: [HeadTailStage.Computed]? = []
        let split = try HeadTailStage.split(
            [group(["head", "base", "tail", "middle", "copy"], in: walked)],
            opener: FileOpener(table: walked.walk.table, files: walked.walk.files), pool: WorkerPool(threadCount: 2),
            progress: nil, statistics: &statistics, diagnostics: &diagnostics, computed: &computed)
        // The head and tail blocks alone decide: the middle byte is the content stage's to find.
        #expect(split.map { names($0.members, in: walked) } == [["base", "middle", "copy"]])
        #expect(diagnostics.isEmpty)
        #expect(computed?.count == 5)
        #expect(statistics.bytesReadHeadTail == Int64(5 * 2 * HeadTailStage.blockSize))
    }

    @Test func headTailTakesKnownDigestsWithoutReadingTheirFiles() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 50_000, seed: 22)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.write("c", bytes)
        let walked = walk(tree)
        let members = group(["a", "b", "c"], in: walked)
        let opener = FileOpener(table: walked.walk.table, files: walked.walk.files)
        guard case .digest(let digest, _, _) = HeadTailStage.digest(members[0], opener: opener, buffers: ReadBuffers(count: 1, capacity: 16_384))
        else {
            Issue.record("a could not be digested")
            return
        }
        // b is gone: had the stage read it, that would be a warning and b would be left out.
        _ = withCPath(tree.path("b")) { unlink($0) }
        var statistics = ScanStatistics()
        var diagnostics: [Diagnostic] = []
        var computed: [HeadTailStage.Computed]? = []
        let split = try HeadTailStage.split(
            [members], opener: opener, pool: WorkerPool(threadCount: 1), known: [nil, digest, nil], progress: nil,
            statistics: &statistics, diagnostics: &diagnostics, computed: &computed)
        #expect(split.map { names($0.members, in: walked) } == [["a", "b", "c"]])
        #expect(diagnostics.isEmpty)
        #expect(computed?.map(\.file).sorted() == [walked.index["a"]!, walked.index["c"]!].sorted())
    }

    @Test func contentPartitionsAHandBuiltGroupOfTwoContentsAndDropsWhatCannotBeRead() throws {
        let tree = try TestTree()
        let size = 600_000
        let one = patternBytes(count: size, seed: 23)
        var two = one
        two[size - 300_000] ^= 0x01
        try tree.write("one-a", one)
        try tree.write("two-a", two)
        try tree.write("one-b", one)
        try tree.write("two-b", two)
        try tree.write("gone", one)
        let walked = walk(tree)
        let members = group(["one-a", "two-a", "gone", "one-b", "two-b"], in: walked)
        _ = withCPath(tree.path("gone")) { unlink($0) }
        var comparer = ContentComparer()
        comparer.chunkSize = 64 * 1024
        let results = try comparer.partitions(
            [members], size: { _ in Int64(size) },
            opener: FileOpener(table: walked.walk.table, files: walked.walk.files), pool: WorkerPool(threadCount: 2),
            progress: nil)
        #expect(results.count == 1)
        let partitions = results[0].partitions.map { (digest: $0.digest, names: names($0.members, in: walked)) }
        #expect(partitions.map(\.names).sorted { $0[0] < $1[0] } == [["one-a", "one-b"], ["two-a", "two-b"]])
        for partition in partitions {
            let bytes = partition.names[0].hasPrefix("one") ? one : two
            #expect(partition.digest == bytes.withUnsafeBytes { XXH3Hasher.digest($0) })
        }
        #expect(results[0].failures.map { $0.displayPath.hasSuffix("/gone") } == [true])
    }
}
