import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Bad files where the catalog should be: a clear message naming the file and exit 2 (or, for a
/// damaged dupelink catalog, a documented move aside), never a crash, and never a change to a file
/// dupelink did not make.
@Suite struct CatalogFaultTests {
    /// What can be found at a catalog path, and what dupelink must say about it.
    enum Fault: String, CaseIterable, CustomTestStringConvertible {
        case emptyFile, textFile, binaryFile, directory, truncatedHeader, foreignDatabase

        var testDescription: String { rawValue }

        /// Puts the fault at `path`.
        func make(at path: String) throws {
            switch self {
            case .emptyFile: try Data().write(to: URL(fileURLWithPath: path))
            case .textFile: try Data("my notes\n".utf8).write(to: URL(fileURLWithPath: path))
            case .binaryFile: try Data(patternBytes(count: 10_000, seed: 41)).write(to: URL(fileURLWithPath: path))
            case .directory:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                try Data("inside\n".utf8).write(to: URL(fileURLWithPath: path + "/keep.txt"))
            case .truncatedHeader:
                try Data(Array("SQLite format 3".utf8) + [0] + patternBytes(count: 30, seed: 42)).write(to: URL(fileURLWithPath: path))
            case .foreignDatabase:
                let process = try Process.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), arguments: [path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"])
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
            }
        }

        /// What the message says about it.
        var reason: String {
            switch self {
            case .emptyFile: "the file is empty"
            case .textFile, .binaryFile: "not an SQLite database"
            case .directory: "it is a directory"
            case .truncatedHeader: "truncated"
            case .foreignDatabase: "an SQLite database of another program"
            }
        }
    }

    /// Every file under `path` (or the file itself) with its bytes.
    static func snapshot(_ path: String) throws -> [String: [UInt8]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [:] }
        if !isDirectory.boolValue { return [path: try TestTree.read(Array(path.utf8))] }
        var result: [String: [UInt8]] = [path: []]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            result.merge(try snapshot(path + "/" + name)) { first, _ in first }
        }
        return result
    }

    static let sqliteAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")

    @Test(arguments: Fault.allCases.filter { $0 != .foreignDatabase || sqliteAvailable })
    func aNamedCatalogThatIsNotACatalogStopsTheRunAndIsLeftAlone(fault: Fault) throws {
        let folder = try TestTree()
        let tree = try ExitStatusTests.treeWithAPair()
        let catalog = folder.rootString + "/catalog.sqlite"
        try fault.make(at: catalog)
        let before = try Self.snapshot(catalog)

        for command in ["scan", "link"] {
            let result = try CLI.run(command, "--catalog", catalog, tree.rootString)
            #expect(result.status == 2, "\(command): \(result.standardError)")
            #expect(result.standardError.hasPrefix("dupelink: \(catalog): cannot open the catalog"), "\(result.standardError)")
            #expect(result.standardError.contains(fault.reason), "\(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1)
            #expect(result.output.isEmpty)
        }
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
        let info = try CLI.run("catalog", "info", "--catalog", catalog)
        #expect(info.status == 2)
        #expect(info.standardError.contains(catalog))
        #expect(try Self.snapshot(catalog) == before)
        // Nothing was moved aside or made beside it, not even a lock file: a lock lives only
        // beside a catalog dupelink recognises (`--catalog /etc/passwd` must leave no passwd.lock).
        let siblings = try FileManager.default.contentsOfDirectory(atPath: folder.rootString).sorted()
        #expect(siblings == ["catalog.sqlite"])
    }

    @Test(arguments: Fault.allCases.filter { $0 != .foreignDatabase || sqliteAvailable })
    func aDefaultCatalogThatIsNotACatalogIsLeftAloneAndTheRunGoesOnWithoutOne(fault: Fault) throws {
        let cache = try TestTree()
        let tree = try ExitStatusTests.treeWithAPair()
        try cache.makeDirectory("dupelink")
        let catalog = cache.rootString + "/dupelink/catalog.sqlite"
        try fault.make(at: catalog)
        let before = try Self.snapshot(catalog)
        let result = try PipedCLI(["scan", tree.rootString], cacheHome: cache.rootString).finish()
        #expect(result.status == 0)
        #expect(result.standardError.hasPrefix("dupelink: warning: \(catalog): cannot open the catalog"), "\(result.standardError)")
        #expect(result.standardError.hasSuffix("; running without a catalog\n"))
        #expect(result.output.contains("1 duplicate"))
        #expect(!result.output.contains("Saved in the catalog"))
        #expect(try Self.snapshot(catalog) == before)
    }

    @Test(arguments: [true, false])
    func aDamagedDupelinkCatalogIsMovedAsideKeptAndReplaced(named: Bool) throws {
        let cache = try TestTree()
        let tree = try ExitStatusTests.treeWithAPair()
        let catalog = cache.rootString + "/dupelink/catalog.sqlite"
        let arguments = named ? ["--catalog", catalog] : []
        var first = try PipedCLI(["scan"] + arguments + [tree.rootString], cacheHome: cache.rootString).finish()
        #expect(first.status == 0)
        // A few more scans, so the database spans several pages; then cut it short.
        for _ in 0..<3 { first = try PipedCLI(["scan"] + arguments + [tree.rootString], cacheHome: cache.rootString).finish() }
        for suffix in ["-wal", "-shm"] { unlink(catalog + suffix) }
        let whole = try TestTree.read(Array(catalog.utf8))
        try #require(whole.count > 3 * 4096)
        #expect(truncate(catalog, 2 * 4096) == 0)
        let damaged = try TestTree.read(Array(catalog.utf8))

        let result = try PipedCLI(["scan"] + arguments + [tree.rootString], cacheHome: cache.rootString).finish()
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("dupelink: warning: the catalog \(catalog) was damaged; moved it to \(catalog).corrupt-"))
        #expect(result.output.contains("Saved in the catalog as scan 1."))
        let aside = try FileManager.default.contentsOfDirectory(atPath: cache.rootString + "/dupelink").filter { $0.contains(".corrupt-") }
        try #require(aside.count == 1)
        #expect(try TestTree.read(Array((cache.rootString + "/dupelink/" + aside[0]).utf8)) == damaged)
    }

    @Test func aLockPathHoldingSomethingElseStopsTheRunAndIsLeftAlone() throws {
        let folder = try TestTree()
        let tree = try ExitStatusTests.treeWithAPair()
        let catalog = folder.rootString + "/catalog.sqlite"
        let notes = Array("not a pid\n".utf8)
        try folder.write("catalog.sqlite.lock", notes)
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("dupelink: \(catalog).lock: cannot lock the catalog"))
        #expect(result.standardError.contains("move it away or choose another catalog path"))
        #expect(try folder.read("catalog.sqlite.lock") == notes)
        #expect(!FileManager.default.fileExists(atPath: catalog))
    }
}
