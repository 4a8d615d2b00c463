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
        #expect(second.scanID == 2)
        #expect(second.classes.map(\.files.count) == first.classes.map(\.files.count))

        // A file rewritten since is read again; the rest still come from the catalog.
        try tree.write("f3", patternBytes(count: 30_000, seed: 99))
        let third = try JSONReport.decode(try CLI.run("scan", "--catalog", catalog, "--format", "json", tree.rootString).standardOutput)
        #expect(third.statistics.catalogHits == 19)
        #expect(third.statistics.bytesReadHeadTail == 8192)
        // f3 and f13 were one class; f3 is now unique.
        #expect(third.classes.count == 9)
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
