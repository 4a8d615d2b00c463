import DupelinkTestSupport
import Foundation
import GRDB
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// A rescan whose walk is exactly the walk of the newest saved scan takes that scan's classes and
/// reads nothing; any change to any file, a scan with warnings, or a damaged index runs in full.
///
/// Each test forgets every stored digest before the rescan, so only the shortcut can avoid
/// reading: a full run reads the candidates again (`bytesRead…` above zero).
@Suite struct UnchangedWalkTests {
    /// Two classes of three sizes, a lone file of a class's size, and a hard link.
    static func tree() throws -> TestTree {
        let tree = try TestTree()
        let a = patternBytes(count: 40_000, seed: 61)
        let b = patternBytes(count: 9_000, seed: 62)
        try tree.write("a1", a)
        try tree.write("sub/a2", a)
        try tree.write("sub/deep/a3", a)
        try tree.write("b1", b)
        try tree.write("sub/b2", b)
        try tree.write("lone", patternBytes(count: 40_000, seed: 63))
        _ = withCPath(tree.path("b1")) { from in withCPath(tree.path("sub/b1-link")) { link(from, $0) } }
        return tree
    }

    /// Scans `roots` with `catalog` and saves the scan, as the command line does.
    @discardableResult
    static func scanAndSave(_ roots: [[UInt8]], _ catalog: Catalog) throws -> ScanResult {
        let result = try Pipeline(options: ScanOptions()).scan(roots: roots, catalog: catalog)
        try catalog.saveScan(result.rooted(roots), startedAt: 1)
        return result
    }

    static func forgetDigests(_ catalog: Catalog) throws {
        try catalog.write { db in try db.execute(sql: "DELETE FROM digest") }
    }

    /// Every class as sorted sets of paths, to compare runs.
    static func paths(_ scan: ScanResult) -> [[String]] {
        scan.classes.map { duplicateClass in
            duplicateClass.members.flatMap { member in
                member.names.map { String(decoding: scan.path(ofFile: $0), as: UTF8.self) }
            }.sorted()
        }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func bytesRead(_ scan: ScanResult) -> Int64 {
        scan.statistics.bytesReadHeadTail + scan.statistics.bytesReadContent
    }

    @Test func rescanOfAnUnchangedTreeTakesTheSavedClassesAndReadsNothing() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = try Catalog.open(at: folder.path("catalog.sqlite"))
        let first = try Self.scanAndSave([tree.root], catalog)
        #expect(Self.bytesRead(first) > 0)
        try Self.forgetDigests(catalog)

        let again = try Pipeline(options: ScanOptions()).scan(roots: [tree.root], catalog: catalog)

        #expect(Self.bytesRead(again) == 0)
        #expect(Self.paths(again) == Self.paths(first))
        #expect(Self.paths(again).count == 2)
        // Members carry this walk's snapshots, which the linker checks before touching a file.
        for duplicateClass in again.classes {
            for member in duplicateClass.members {
                #expect(member.status == again.files[Int(member.names[0])].status)
            }
        }
        // Reports of the two runs are the same, class for class and name for name.
        #expect(again.classes.map(\.digest) == first.classes.map(\.digest))
        #expect(again.classes.map { $0.members.map(\.names) } == first.classes.map { $0.members.map(\.names) })
    }

    /// A change to one file; each must make the next scan run in full and see it.
    enum Change: String, CaseIterable, CustomTestStringConvertible {
        /// Same size, other bytes, and the old mtime put back: only the ctime tells.
        case rewrittenWithMtimeRestored
        case touched
        case renamed
        case removed
        case added
        case chmodded

        var testDescription: String { rawValue }

        func apply(to tree: TestTree) throws {
            let path = tree.path("sub/a2")
            switch self {
            case .rewrittenWithMtimeRestored:
                var before = stat()
                _ = withCPath(path) { stat($0, &before) }
                var bytes = try tree.read("sub/a2")
                bytes[20_000] ^= 0xFF
                try tree.write("sub/a2", bytes)
                var times = [timespec(tv_sec: 0, tv_nsec: utimeOmit), before.st_mtim]
                #expect(withCPath(path) { utimensat(AT_FDCWD, $0, &times, 0) } == 0)
            case .touched:
                var times = [timespec(tv_sec: 0, tv_nsec: utimeOmit), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
                #expect(withCPath(path) { utimensat(AT_FDCWD, $0, &times, 0) } == 0)
            case .renamed:
                #expect(withCPath(path) { from in withCPath(tree.path("sub/a2-renamed")) { rename(from, $0) } } == 0)
            case .removed:
                #expect(withCPath(path) { unlink($0) } == 0)
            case .added:
                try tree.write("sub/a4", try tree.read("a1"))
            case .chmodded:
                #expect(withCPath(path) { chmod($0, 0o600) } == 0)
            }
        }
    }

    @Test(arguments: Change.allCases)
    func anyChangeToAFileRunsTheScanInFull(change: Change) throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = try Catalog.open(at: folder.path("catalog.sqlite"))
        try Self.scanAndSave([tree.root], catalog)
        try change.apply(to: tree)
        try Self.forgetDigests(catalog)

        let again = try Pipeline(options: ScanOptions()).scan(roots: [tree.root], catalog: catalog)

        #expect(Self.bytesRead(again) > 0)
        // The truth, from a scan without a catalog.
        let reference = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        #expect(Self.paths(again) == Self.paths(reference))
        if change == .rewrittenWithMtimeRestored {
            #expect(!Self.paths(again).joined().contains { $0.hasSuffix("/sub/a2") })
        }
    }

    @Test func aScanWithWarningsKeepsNoIndexAndTheNextRunsInFull() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = try Catalog.open(at: folder.path("catalog.sqlite"))
        let roots = [tree.root, tree.path("missing")]
        let first = try Self.scanAndSave(roots, catalog)
        #expect(!first.diagnostics.isEmpty)
        let stored = try catalog.read { db in try Row.fetchOne(db, sql: "SELECT walkFingerprint, classIndex FROM scan") }
        #expect((stored?[0] as Data?) == nil && (stored?[1] as Data?) == nil)
        try Self.forgetDigests(catalog)

        let again = try Pipeline(options: ScanOptions()).scan(roots: roots, catalog: catalog)

        #expect(Self.bytesRead(again) > 0)
        #expect(Self.paths(again) == Self.paths(first))
    }

    /// Indices that do not fit the walk: out of range, a name of another inode in a member, one
    /// inode in two members, a size that is not the files', a class of one name, bytes cut short.
    @Test(arguments: [
        [1, 1, 40_000, 0, 0, 0, 2, 1, 99, 1, 1],
        [1, 1, 40_000, 0, 0, 0, 1, 2, 0, 5],
        [1, 1, 40_000, 0, 0, 0, 2, 1, 0, 1, 0],
        [1, 1, 12_345, 0, 0, 0, 2, 1, 0, 1, 1],
        [1, 1, 40_000, 0, 0, 0, 1, 1, 0],
        [1, 2, 40_000, 0, 0, 0, 2, 1, 0, 1, 1],
        [2, 1, 40_000, 0, 0, 0, 2, 1, 0, 1, 1],
    ] as [[Int64]])
    func aDamagedIndexIsIgnoredAndTheScanRunsInFull(words: [Int64]) throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        let catalog = try Catalog.open(at: folder.path("catalog.sqlite"))
        let first = try Self.scanAndSave([tree.root], catalog)
        var damaged = Data()
        for word in words { withUnsafeBytes(of: word.littleEndian) { damaged.append(contentsOf: $0) } }
        #expect(UnchangedWalk.classes(from: damaged, files: first.files) == nil)
        try catalog.write { db in try db.execute(sql: "UPDATE scan SET classIndex = ?", arguments: [damaged]) }
        try Self.forgetDigests(catalog)

        let again = try Pipeline(options: ScanOptions()).scan(roots: [tree.root], catalog: catalog)

        #expect(Self.bytesRead(again) > 0)
        #expect(Self.paths(again) == Self.paths(first))
    }

    @Test func theIndexOfAScanReadsBackAsItsClasses() throws {
        let tree = try Self.tree()
        let scan = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        let classes = try #require(UnchangedWalk.classes(from: UnchangedWalk.index(of: scan.classes), files: scan.files))
        #expect(classes.map(\.size) == scan.classes.map(\.size))
        #expect(classes.map(\.digest) == scan.classes.map(\.digest))
        #expect(classes.map { $0.members.map(\.names) } == scan.classes.map { $0.members.map(\.names) })
        // One trailing word too many is not an index this version wrote.
        var longer = UnchangedWalk.index(of: scan.classes)
        longer.append(contentsOf: [UInt8](repeating: 0, count: 8))
        #expect(UnchangedWalk.classes(from: longer, files: scan.files) == nil)
    }
}

/// `UTIME_OMIT` from `<sys/stat.h>`, which Glibc does not export: leave this time as it is.
private let utimeOmit = (1 << 30) - 2
