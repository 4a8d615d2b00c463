import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The catalog through the command line: digests reused on a rescan, scans saved, bad catalog files.
@Suite struct CatalogCommandTests {
    @Test func rescanOfAnUnchangedTreeTakesHeadAndTailDigestsFromTheCatalog() throws {
        let tree = try TestTree()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        for index in 0..<20 {
            let bytes = patternBytes(count: 30_000, seed: UInt64(index % 10))
            try tree.write("f\(index)", bytes)
        }
        let first = try JSONReport.decode(try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString).standardOutput)
        #expect(first.statistics.catalogHits == 0)
        #expect(first.statistics.bytesReadHeadTail == 20 * 8192)
        #expect(first.scanID == 1)
        let second = try JSONReport.decode(try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString).standardOutput)
        #expect(second.statistics.catalogHits == 20)
        #expect(second.statistics.bytesReadHeadTail == 0)
        // It found what the first scan found: that scan was updated, not copied.
        #expect(second.scanID == 1)
        #expect(second.classes.map(\.files.count) == first.classes.map(\.files.count))

        // A file rewritten since is read again; the rest still come from the catalog.
        try tree.write("f3", patternBytes(count: 30_000, seed: 99))
        let third = try JSONReport.decode(try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString).standardOutput)
        #expect(third.statistics.catalogHits == 19)
        #expect(third.statistics.bytesReadHeadTail == 8192)
        // f3 and f13 were one class; f3 is now unique.
        #expect(third.classes.count == 9)
        #expect(third.scanID == 2)
        #expect(!third.classes.flatMap(\.files).contains { $0.path.hasSuffix("/f3") })
    }

    @Test func aFileThatIsNotACatalogIsRefusedAndLeftAlone() throws {
        let cache = try TestTree()
        let tree = try TestTree()
        try tree.write("a", [1])
        let notes = try cache.write("notes.txt", Array("my notes\n".utf8))
        let result = try CLI.run("scan", "--catalog", String(decoding: notes, as: UTF8.self), tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError.contains(String(decoding: notes, as: UTF8.self)))
        #expect(try TestTree.read(notes) == Array("my notes\n".utf8))
    }

    @Test func noCatalogSavesNothing() throws {
        let tree = try TestTree()
        try tree.write("a", [1, 2])
        try tree.write("b", [1, 2])
        let result = try JSONReport.decode(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        #expect(result.scanID == nil)
        #expect(try CLI.run("scan", "--no-catalog", "--catalog", "/tmp/x", tree.rootString).status == 64)
    }
}

/// The catalog's content groups: a rescan trusts comparisons already made, and only those.
@Suite struct CatalogRescanTests {
    /// A tree with classes of every shape the content stage meets: identical pairs, a triple, same
    /// size with the same head and tail but another middle, and unique files of a shared size.
    func makeTree() throws -> TestTree {
        let tree = try TestTree()
        let base = patternBytes(count: 100_000, seed: 1)
        try tree.write("pair/a", base)
        try tree.write("pair/b", base)
        var middle = base
        middle[50_000] ^= 1
        try tree.write("middle/c", middle)
        let triple = patternBytes(count: 10_000, seed: 2)
        for name in ["t1", "t2", "t3"] { try tree.write("triple/\(name)", triple) }
        try tree.write("small/x", patternBytes(count: 3000, seed: 3))
        try tree.write("small/y", patternBytes(count: 3000, seed: 4))
        return tree
    }

    func scan(_ tree: TestTree, catalog: String, extraRoots: [String] = []) throws -> JSONReport {
        let result = try CLI.run(["scan", "--catalog", catalog, "--format", "json", tree.rootString].map { Array($0.utf8) }
            + extraRoots.map { Array($0.utf8) })
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONReport.decode(result.standardOutput)
    }

    func classPaths(_ report: JSONReport) -> Set<Set<String>> {
        Set(report.classes.map { Set($0.files.map(\.path)) })
    }

    @Test func rescanOfAnUnchangedTreeOpensNoRegularFile() throws {
        let tree = try makeTree()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let first = try scan(tree, catalog: catalog)
        #expect(first.statistics.bytesReadContent > 0)
        let watcher = try OpenWatcher(root: tree.root)
        let second = try scan(tree, catalog: catalog)
        #expect(watcher.openedFiles() == [])
        #expect(classPaths(second) == classPaths(first))
        #expect(second.statistics.bytesReadHeadTail == 0)
        #expect(second.statistics.bytesReadContent == 0)
        #expect(second.summary.reclaimableBytes == first.summary.reclaimableBytes)
    }

    @Test func aNewFileMatchingACachedClassIsComparedWithOneMemberOnly() throws {
        let tree = try makeTree()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        _ = try scan(tree, catalog: catalog)
        try tree.write("triple/t4", try tree.read("triple/t1"))
        let watcher = try OpenWatcher(root: tree.root)
        let second = try scan(tree, catalog: catalog)
        let opened = watcher.openedFiles().map { $0.split(separator: "/").suffix(2).joined(separator: "/") }
        // The new file (head/tail and content) and one member of the triple; nothing else.
        #expect(Set(opened).contains("triple/t4"))
        #expect(Set(opened).subtracting(["triple/t4"]).count == 1)
        #expect(second.statistics.bytesReadContent == 2 * 10_000)
        #expect(second.classes.contains { $0.files.count == 4 })
    }

    @Test func aChangedFileIsReadAgainAndLeavesItsClass() throws {
        let tree = try makeTree()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        _ = try scan(tree, catalog: catalog)
        // Same size, same head and tail, another middle byte: only a full read can tell.
        var changed = try tree.read("pair/b")
        changed[60_000] ^= 0xFF
        try tree.write("pair/b", changed)
        let second = try scan(tree, catalog: catalog)
        #expect(!classPaths(second).contains { $0.contains { $0.hasSuffix("pair/b") } })
        #expect(second.statistics.bytesReadContent > 0)
    }

    @Test func groupsFromSeparateScansAreComparedBeforeBeingJoined() throws {
        let one = try TestTree()
        let two = try TestTree()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 40_000, seed: 9)
        try one.write("a", bytes)
        try one.write("b", bytes)
        try two.write("c", bytes)
        try two.write("d", bytes)
        _ = try scan(one, catalog: catalog)
        _ = try scan(two, catalog: catalog)
        // Both groups have the same full digest but were never compared with each other: one member
        // of each is read, then they are one group.
        let joined = try scan(one, catalog: catalog, extraRoots: [two.rootString])
        #expect(joined.statistics.bytesReadContent == 2 * 40_000)
        #expect(joined.classes.count == 1 && joined.classes[0].files.count == 4)
        let again = try scan(one, catalog: catalog, extraRoots: [two.rootString])
        #expect(again.statistics.bytesReadContent == 0)
        #expect(again.classes.count == 1 && again.classes[0].files.count == 4)
    }
}
