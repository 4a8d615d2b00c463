import DupelinkTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

@_spi(Stages) @testable import DupelinkCore

/// The read policy for spinning disks (few readers, disk order, long runs) changes how files are
/// read, never what is found: on one tree, each stage's output is the same under both policies.
@Suite struct ReadPolicyTests {
    /// A tree with something for every path through the stages: small and multi-run files, a
    /// group larger than the comparer's fan-out, near misses in the last byte and in the middle of
    /// a file longer than a spinning disk's run, hard links, and files unlike any other.
    func tree() throws -> TestTree {
        let tree = try TestTree()
        for index in 0..<40 {
            let bytes = patternBytes(count: 5_000 + (index % 4) * 4096, seed: 1_000 + UInt64(index % 4))
            try tree.write("small/\(index % 5)/f\(index)", bytes)
        }
        let shared = patternBytes(count: 70_000, seed: 1_100)
        for index in 0..<20 { try tree.write("many/\(index)", shared) }
        let big = patternBytes(count: 20 << 20, seed: 1_101)
        var middle = big
        middle[10 << 20] ^= 1
        var last = big
        last[last.count - 1] ^= 1
        try tree.write("big/a", big)
        try tree.write("far/away/b", big)
        try tree.write("big/middle", middle)
        try tree.write("big/last", last)
        try tree.link("big/a", "big/a-link")
        try tree.write("unique/u", patternBytes(count: 20 << 20, seed: 1_102))
        return tree
    }

    static let spinning = ReadPolicy(
        readers: 1, order: .physical, chunkSize: 8 << 20, diskOrder: true, wholeReadLimit: ReadPolicy.spinningWholeRead)
    static let flash = ReadPolicy.parallel(jobs: 8, chunkSize: 1 << 18)

    func scan(_ tree: TestTree, policy: ReadPolicy) throws -> ScanResult {
        var options = ScanOptions()
        options.readPolicy = policy
        return try Pipeline(options: options).scan(roots: [tree.root])
    }

    /// A class as sorted sets of inodes and of paths, with its digest.
    func shape(_ result: ScanResult) -> [String] {
        result.classes.map { duplicateClass in
            let members = duplicateClass.members.map { member in
                "\(member.id.inode):" + member.names.map { String(decoding: result.path(ofFile: $0), as: UTF8.self) }.sorted().joined(separator: ",")
            }.sorted()
            return "\(duplicateClass.size) \(duplicateClass.digest?.description ?? "-") " + members.joined(separator: " ")
        }.sorted()
    }

    @Test func bothPoliciesFindTheSameClassesWithTheSameDigests() throws {
        let tree = try tree()
        let spinning = try scan(tree, policy: Self.spinning)
        let flash = try scan(tree, policy: Self.flash)
        #expect(shape(spinning) == shape(flash))
        #expect(shape(flash).count == 4 + 1 + 1, "\(shape(flash))")  // small classes, many/, big/a
        #expect(spinning.diagnostics.isEmpty && flash.diagnostics.isEmpty)
        // Every candidate read in full under both: the same floor, the same content bytes (the
        // spinning policy's head/tail stage reads files up to 1 MiB whole, so it reads more there).
        #expect(spinning.statistics.floorBytes == flash.statistics.floorBytes)
        #expect(spinning.statistics.bytesReadContent == flash.statistics.bytesReadContent)
        #expect(spinning.statistics.bytesReadHeadTail > flash.statistics.bytesReadHeadTail)
    }

    @Test func theHeadTailAndContentStagesGiveTheSameGroupsInEitherOrder() throws {
        let tree = try tree()
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.root], progress: nil)
        let bySize = SizeGrouping.candidateGroups(walk.files)
        let opener = FileOpener(table: walk.table, files: walk.files)
        let pool = WorkerPool(threadCount: 2)
        let positions = try DiskPositions.locate(bySize, opener: opener, pool: pool)
        func headTail(_ policy: ReadPolicy) throws -> [(members: [Member], digest: Digest)] {
            var statistics = ScanStatistics()
            var diagnostics: [Diagnostic] = []
            var computed: [HeadTailStage.Computed]? = nil
            return try HeadTailStage.split(
                bySize, opener: opener, pool: pool, order: policy.order, positions: positions,
                wholeReadLimit: policy.wholeReadLimit, progress: nil, statistics: &statistics, diagnostics: &diagnostics,
                computed: &computed)
        }
        func key(_ groups: [(members: [Member], digest: Digest)]) -> [String] {
            groups.map { "\($0.digest) " + $0.members.map { "\($0.id.inode)" }.sorted().joined(separator: ",") }.sorted()
        }
        // The same digests too: the catalog keeps them, whichever policy computed them.
        let byInode = try headTail(Self.spinning)
        let byDirectory = try headTail(Self.flash)
        #expect(key(byInode) == key(byDirectory))
        #expect(byInode.count >= 6)

        func content(_ policy: ReadPolicy) throws -> [String] {
            var comparer = ContentComparer()
            comparer.chunkSize = policy.chunkSize
            comparer.diskOrder = policy.diskOrder
            comparer.positions = policy.diskOrder ? positions : nil
            let groups = byInode.map(\.members)
            let results = try comparer.partitions(
                groups, size: { groups[$0][0].status.size }, opener: opener, pool: pool, progress: nil)
            return results.enumerated().flatMap { index, result in
                result.partitions.map { "\(index) \($0.digest) " + $0.members.map { "\($0.id.inode)" }.sorted().joined(separator: ",") }
            }.sorted()
        }
        #expect(try content(Self.spinning) == content(Self.flash))
    }

    @Test func aSpinningDiskGetsItsReadersPerDiskAndFlashKeepsTheJobs() {
        func filesystem(_ kind: StorageKind, disks: [String], device: UInt64) -> FilesystemStorage {
            FilesystemStorage(device: device, filesystem: "ext4", source: "/dev/x", kind: kind, disks: disks, evidence: "")
        }
        let one = ReadPolicy.choose(
            for: [filesystem(.rotational, disks: ["sda"], device: 1)], jobs: 8, jobsGiven: false, chunkSize: 1 << 18, fanOut: 16)
        #expect(one.readers == ReadPolicy.readersPerSpindle && one.order == .physical && one.diskOrder)
        #expect(one.chunkSize == min(ReadPolicy.longestRun, ReadPolicy.memoryBudget / (ReadPolicy.readersPerSpindle * 16)))
        let two = ReadPolicy.choose(
            for: [filesystem(.rotational, disks: ["sda"], device: 1), filesystem(.unknown, disks: ["sdb"], device: 2)],
            jobs: 8, jobsGiven: false, chunkSize: 1 << 18, fanOut: 16)
        #expect(two.readers == 2 * ReadPolicy.readersPerSpindle)
        let mixed = ReadPolicy.choose(
            for: [filesystem(.rotational, disks: ["sda"], device: 1), filesystem(.solidState, disks: ["nvme0n1"], device: 2)],
            jobs: 8, jobsGiven: false, chunkSize: 1 << 18, fanOut: 16)
        #expect(mixed == ReadPolicy.parallel(jobs: 8, chunkSize: 1 << 18))
        let forced = ReadPolicy.choose(
            for: [filesystem(.rotational, disks: ["sda"], device: 1)], jobs: 6, jobsGiven: true, chunkSize: 1 << 18, fanOut: 16)
        #expect(forced.readers == 6, "--jobs holds on every kind of storage")
        let memory = ReadPolicy.choose(
            for: [filesystem(.memory, disks: [], device: 3)], jobs: 8, jobsGiven: false, chunkSize: 1 << 18, fanOut: 16)
        #expect(memory.readers == 8 && !memory.diskOrder)
    }

    @Test func positionsAreFirstExtentsWhereTheFilesystemMapsThemAndInodesElsewhere() throws {
        // ext4 (here /var/tmp) maps extents: the key is the first extent's physical offset.
        let disk = try TestTree(base: "/var/tmp")
        for name in ["a", "b"] { try disk.write(name, patternBytes(count: 40_000, seed: 1_200)) }
        sync()  // allocated: delayed allocation has no place yet
        let walk = Walker(options: WalkOptions()).walk(roots: [disk.root], progress: nil)
        let groups = SizeGrouping.candidateGroups(walk.files)
        let opener = FileOpener(table: walk.table, files: walk.files)
        let positions = try DiskPositions.locate(groups, opener: opener, pool: WorkerPool(threadCount: 2))
        let members = try #require(groups.first)
        let device = members[0].id.device
        #expect(positions.mappedDevices == [device])
        for member in members {
            let path = String(decoding: opener.table.path(ofFile: opener.files[Int(member.names[0])]), as: UTF8.self)
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            let offset = try #require(try Syscalls.firstExtentOffset(of: FileDescriptor(rawValue: descriptor)))
            #expect(positions.key(member.id) == (device, offset))
            #expect(offset > 0 && offset % 4096 == 0, "a physical byte offset: \(offset)")
        }

        // tmpfs does not map extents: the key falls back to the inode number.
        guard getuid() == 0 else { return }
        let tree = try TestTree()
        let point = tree.rootString + "/mnt"
        try tree.makeDirectory("mnt")
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", point]) == 0)
        defer { _ = run("/bin/umount", ["-l", point]) }
        for name in ["a", "b"] {
            #expect(FileManager.default.createFile(atPath: point + "/" + name, contents: Data(patternBytes(count: 40_000, seed: 1_201))))
        }
        let memoryWalk = Walker(options: WalkOptions()).walk(roots: [Array(point.utf8)], progress: nil)
        let memoryGroups = SizeGrouping.candidateGroups(memoryWalk.files)
        let memoryPositions = try DiskPositions.locate(
            memoryGroups, opener: FileOpener(table: memoryWalk.table, files: memoryWalk.files), pool: WorkerPool(threadCount: 2))
        #expect(memoryPositions.mappedDevices.isEmpty)
        for member in try #require(memoryGroups.first) {
            #expect(memoryPositions.key(member.id) == (member.id.device, member.id.inode))
        }
    }
}
