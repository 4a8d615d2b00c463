import Foundation
import GRDB
import Testing

@_spi(Stages) @testable import DupelinkCore

@Suite("Saved scans")
struct CatalogSavedScanTests {
    /// A directory and a name that are not UTF-8 and hold a newline.
    let oddDirectory: [UInt8] = Array("/srv/data/".utf8) + [0xFF, 0xFE] + Array("dir".utf8)
    let oddName: [UInt8] = [0x61, 0x0A, 0x62, 0xFF, 0x80, 0x2E, 0x62, 0x69, 0x6E]

    func sampleScan() -> ScanResult {
        let a = makeStatus(device: 2049, inode: 501, size: 10_000)
        var b = makeStatus(device: 2049, inode: 502, size: 10_000)
        b.linkCount = 3
        b.userID = 4_000_000_000
        b.mode = 0o104755
        let c = makeStatus(device: 64, inode: UInt64.max, size: 1, modificationTime: -5, changeTime: 0)
        let d = makeStatus(device: 64, inode: 9, size: 1)
        return makeScan(classes: [
            (
                size: 10_000, digest: makeDigest(77),
                members: [
                    (status: a, names: [(oddDirectory, oddName)]),
                    (status: b, names: [(Array("/srv/data".utf8), Array("b1".utf8)), (oddDirectory, Array("b2".utf8))]),
                ]
            ),
            (
                size: 1, digest: nil,
                members: [
                    (status: c, names: [(Array("/mnt/x".utf8), Array("one".utf8))]),
                    (status: d, names: [(Array("/mnt/x".utf8), Array("two".utf8))]),
                ]
            ),
        ])
    }

    @Test func savedScanRoundTripsBitExactIncludingNonUTF8AndNewlinePaths() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let scan = sampleScan()
        let roots: [[UInt8]] = [oddDirectory, Array("/srv/data".utf8), Array("relative/\n".utf8)]

        let id = try catalog.saveScan(scan.rooted(roots), startedAt: 1_764_226_800_123_456_789)
        let saved = try catalog.loadScan(id: id)

        #expect(saved.id == id)
        #expect(saved.startedAt == 1_764_226_800_123_456_789)
        #expect(saved.savedAt > 0)
        #expect(saved.roots == roots)
        #expect(saved.statistics == scan.statistics)
        #expect(saved.classes.count == scan.classes.count)
        for (savedClass, original) in zip(saved.classes, scan.classes) {
            #expect(savedClass.size == original.size)
            #expect(savedClass.digest == original.digest)
            #expect(savedClass.members.map(\.status) == original.members.map(\.status))
            for (savedMember, member) in zip(savedClass.members, original.members) {
                #expect(savedMember.names.map(\.path) == member.names.map { scan.path(ofFile: $0) })
                #expect(
                    savedMember.names.map(\.directory)
                        == member.names.map { scan.table.directories[Int(scan.files[Int($0)].directory)].id })
            }
        }
        // The odd name, byte for byte.
        #expect(saved.classes[0].members[0].names[0].path == oddDirectory + [UInt8(ascii: "/")] + oddName)
    }

    @Test func latestScanAndListFollowTheSaves() throws {
        let catalog = try Catalog.inMemory()
        #expect(try catalog.latestScanID() == nil)
        #expect(try catalog.listScans().isEmpty)

        let first = try catalog.saveScan(sampleScan().rooted([Array("/a".utf8)]), startedAt: 100)
        let second = try catalog.saveScan(makeScan(classes: []).rooted([Array("/b".utf8), Array("/c".utf8)]), startedAt: 200)

        #expect(second > first)
        #expect(try catalog.latestScanID() == second)
        #expect(
            try catalog.listScans().map { [$0.id, $0.startedAt, Int64($0.classCount), Int64($0.nameCount)] } == [
                [first, 100, 2, 5], [second, 200, 0, 0],
            ])
        #expect(try catalog.listScans().map(\.roots) == [[Array("/a".utf8)], [Array("/b".utf8), Array("/c".utf8)]])
        #expect(try catalog.loadScan(id: second).classes.isEmpty)
    }

    @Test func loadingAScanThatDoesNotExistIsInvalidInput() throws {
        let catalog = try Catalog.inMemory()
        let id = try catalog.saveScan(sampleScan().rooted([]), startedAt: 1)

        let error = #expect(throws: DupelinkError.self) { try catalog.loadScan(id: id + 1) }
        #expect(error?.code == .invalidInput)
        #expect(error?.description.contains("no scan \(id + 1)") == true)
    }

    @Test func deletingAScanRemovesAllOfItsRows() throws {
        let catalog = try Catalog.inMemory()
        let kept = try catalog.saveScan(sampleScan().rooted([Array("/k".utf8)]), startedAt: 1)
        let deleted = try catalog.saveScan(sampleScan().rooted([Array("/d".utf8)]), startedAt: 2)

        #expect(try catalog.deleteScan(id: deleted))
        #expect(try catalog.deleteScan(id: deleted) == false)

        #expect(try catalog.listScans().map(\.id) == [kept])
        #expect(try catalog.loadScan(id: kept).classes.map(\.nameCount) == [3, 2])
        let leftovers = try catalog.access("count") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM memberName WHERE scanId = ?", arguments: [deleted])
        }
        #expect(leftovers == 0)
    }
    @Test func deletingAllButTheLatestScansKeepsTheNewest() throws {
        let catalog = try Catalog.inMemory()
        var ids: [Int64] = []
        // Each of other roots: a scan that found what the newest found would update it instead.
        for start in 1...5 {
            ids.append(try catalog.saveScan(sampleScan().rooted([Array("/\(start)".utf8)]), startedAt: Int64(start)))
        }

        #expect(try catalog.deleteScans(keepingLatest: 2) == 3)

        #expect(try catalog.listScans().map(\.id) == Array(ids.suffix(2)))
        #expect(try catalog.loadScan(id: ids[4]).classes.map(\.nameCount) == [3, 2])
        let names = try catalog.access("count") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM memberName") }
        #expect(names == 10)
        #expect(try catalog.deleteScans(keepingLatest: 0) == 2)
        #expect(try catalog.latestScanID() == nil)
    }

    /// Prints the throughput of saving and loading a large scan; checks every name, times nothing.
    @Test func bulkSaveAndLoadOfAScanWith100000Names() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        var classes: [(size: Int64, digest: Digest?, members: [(status: FileStatus, names: [(directory: [UInt8], name: [UInt8])])])] = []
        for index in 0..<25_000 {
            let size = Int64(1000 + index)
            let directory = Array("/data/\(index % 100)".utf8)
            let first = makeStatus(inode: UInt64(2 * index), size: size)
            let second = makeStatus(inode: UInt64(2 * index + 1), size: size)
            classes.append(
                (
                    size: size, digest: makeDigest(UInt64(index)),
                    members: [
                        (status: first, names: [(directory, Array("a\(index)".utf8)), (directory, Array("b\(index)".utf8))]),
                        (status: second, names: [(directory, Array("c\(index)".utf8)), (directory, [0xFF] + Array("\(index)".utf8))]),
                    ]
                ))
        }
        let scan = makeScan(classes: classes)

        let clock = ContinuousClock()
        var id: Int64 = 0
        let saveTime = try clock.measure { id = try catalog.saveScan(scan.rooted([Array("/data".utf8)]), startedAt: 1) }
        var saved: SavedScan? = nil
        let loadTime = try clock.measure { saved = try catalog.loadScan(id: id) }
        var again: Int64 = 0
        let resaveTime = try clock.measure { again = try catalog.saveScan(scan.rooted([Array("/data".utf8)]), startedAt: 2) }
        let fingerprintTime = clock.measure { _ = ScanFingerprint(scan.rooted([Array("/data".utf8)])) }

        let names = try #require(saved).classes.flatMap { $0.members.flatMap { $0.names.map(\.path) } }
        #expect(names == scan.classes.flatMap { $0.members.flatMap { $0.names.map { scan.path(ofFile: $0) } } })
        #expect(names.count == 100_000)
        #expect(again == id)
        print("catalog scan: save 100000 names in \(saveTime), load in \(loadTime), save unchanged in \(resaveTime) (fingerprint \(fingerprintTime))")
    }
}
