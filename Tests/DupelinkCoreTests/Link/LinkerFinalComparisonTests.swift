@_spi(Stages) @testable import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Timestamps can lie: the linker compares the bytes of every pair right before the swap.
extension LinkerTests {
    /// A keeper at `scan/keep` (older, so it is kept) and a duplicate at `scan/dup`, both
    /// `content`, on tmpfs (`/dev/shm`), where a write through a shared mapping moves no file time.
    static func mappedPairTree(content: [UInt8]) throws -> LinkTestTree {
        let tree = try LinkTestTree(base: "/dev/shm")
        try Self.makeKeeperAndDuplicate(tree, content: content)
        return tree
    }

    @Test func linkRefusesDuplicateWrittenThroughAMappingThatLeftItsTimesAlone() throws {
        let content = LinkTestTree.content(seed: 40, count: 64 * 1024)
        let tree = try Self.mappedPairTree(content: content)
        defer { tree.remove() }
        // A second pair, untouched: the run goes on past the refused one.
        try tree.write("scan/other-keep", LinkTestTree.content(seed: 41, count: 20_000))
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, tree.path("scan/other-keep"), &times, 0) == 0)
        try tree.write("scan/other-dup", LinkTestTree.content(seed: 41, count: 20_000))
        let dup = tree.path("scan/dup")

        // A program maps the duplicate and touches a page of it (reads a byte, writes the same
        // value back): the page is mapped writable and dirty, so later writes to it take no fault
        // and stamp no time.
        let mapping = try SharedMapping(Array(dup.utf8))
        defer { mapping.unmap() }
        mapping[5000] = mapping[5000]
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let snapshot = try #require(
            scan.classes.flatMap(\.members).first { $0.names.contains(scan.fileIndex(dup) ?? -1) }?.status)
        // Then it writes again, to the same page, after the file clock moved past the snapshot:
        // a time stamped now would show.
        LinkTestTree.waitForFileClock(toPass: snapshot.changeTime)
        mapping[5001] = ~content[5001]
        mapping.unmap()
        var changed = content
        changed[5001] = ~content[5001]
        #expect(try tree.read("scan/dup") == changed)
        let after = FileStatus(try tree.status("scan/dup"))
        guard after.isUnchanged(comparedTo: snapshot) else {
            try Test.cancel("this filesystem moved the duplicate's times on a write through a shared mapping; the fingerprint check catches it here")
        }

        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.count == 2)
        #expect(outcome.replacements.map { scan.pathString($0.duplicate) } == [tree.path("scan/other-dup")])
        #expect(Self.skips(outcome).map(\.code) == [.fileChanged])
        #expect(Self.skips(outcome).map(\.path) == [dup])
        let message = try #require(outcome.skipped.first?.error.description)
        #expect(message.contains("\(dup): "), "\(message)")
        #expect(message.contains("content differs from the kept copy \(tree.path("scan/keep")) now; not linked"), "\(message)")
        #expect(try Self.inode(tree, "scan/keep") != Self.inode(tree, "scan/dup"))
        #expect(try tree.read("scan/keep") == content)
        #expect(try tree.read("scan/dup") == changed)
        #expect(try Self.inode(tree, "scan/other-keep") == Self.inode(tree, "scan/other-dup"))
        #expect(try tree.temporaryNames().isEmpty)
        // The refused pair was compared up to the chunk that differed: here, all of it.
        #expect(outcome.bytesCompared == 64 * 1024 + 20_000)
        #expect(outcome.replacementsWithoutLease == 0)
    }

    @Test func linkComparesTheBytesOfEveryPairItLinksAndADryRunComparesNone() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        // Three duplicates of 100 KiB, one of exactly two chunks, one of two and a half.
        let sizes = ["a": 100 * 1024, "b": 2 * FinalComparison.chunkSize, "c": FinalComparison.chunkSize * 5 / 2]
        let copies = ["a": 4, "b": 2, "c": 2]
        for (name, size) in sizes {
            let content = LinkTestTree.content(seed: 50 + size, count: size)
            for copy in 0..<copies[name, default: 0] { try tree.write("scan/\(name)\(copy)", content) }
        }
        let expected = Int64(3 * 100 * 1024 + 2 * FinalComparison.chunkSize + FinalComparison.chunkSize * 5 / 2)
        let scan = try LinkTestScan.scan([tree.path("scan")])

        let (_, dryRun) = Self.link(scan, dryRun: true)
        #expect(dryRun.replacements.count == 5)
        #expect(dryRun.bytesCompared == 0 && dryRun.secondsComparing == 0)

        let (_, outcome) = Self.link(scan)
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(outcome.replacements.count == 5)
        #expect(outcome.bytesCompared == expected)
        #expect(outcome.secondsComparing > 0)
        #expect(outcome.replacementsWithoutLease == 0)
        for (name, count) in copies {
            for copy in 1..<count { #expect(try Self.inode(tree, "scan/\(name)0") == Self.inode(tree, "scan/\(name)\(copy)")) }
        }
    }

    @Test func aDifferenceInTheLastByteOfALaterChunkIsFound() throws {
        // The same size, head and tail as far as a digest of them goes: only the bytes say.
        let size = FinalComparison.chunkSize * 2 + 17
        let content = LinkTestTree.content(seed: 60, count: size)
        let tree = try Self.mappedPairTree(content: content)
        defer { tree.remove() }
        let dup = tree.path("scan/dup")
        // The program has the last page mapped (it read it) when the scan runs.
        let mapping = try SharedMapping(Array(dup.utf8))
        defer { mapping.unmap() }
        #expect(mapping[size - 1] == content[size - 1])
        let scan = try LinkTestScan.scan([tree.path("scan")])
        mapping[size - 1] = ~content[size - 1]
        mapping.unmap()
        let snapshot = try #require(scan.classes.first?.members.first { $0.names.contains(scan.fileIndex(dup) ?? -1) }?.status)
        let after = FileStatus(try tree.status("scan/dup"))
        guard after.isUnchanged(comparedTo: snapshot) else {
            try Test.cancel("this filesystem moved the duplicate's times on a write through a shared mapping")
        }

        let (_, outcome) = Self.link(scan)

        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.path) == [dup])
        // Compared to the end of the chunk that differed: the whole file.
        #expect(outcome.bytesCompared == Int64(size))
        #expect(try tree.read("scan/dup")[size - 1] == ~content[size - 1])
        #expect(try tree.read("scan/keep") == content)
    }

    @Test func replacementsMadeWithoutALeaseAreCounted() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 70, count: 9000)
        for name in ["x", "y", "z"] { try tree.write("scan/\(name)", content) }
        let scan = try LinkTestScan.scan([tree.path("scan")])
        var linker = Linker()
        // As where leases are not granted: the bytes are compared all the same.
        linker.usesLeases = false

        let (_, outcome) = Self.link(scan, linker: linker)

        #expect(outcome.replacements.count == 2)
        #expect(outcome.replacementsWithoutLease == 2)
        #expect(outcome.bytesCompared == 2 * 9000)
    }
}
