import Foundation
import GRDB
import Testing

@_spi(Stages) @testable import DupelinkCore

/// A scan that finds exactly what the newest saved scan found updates that scan instead of saving
/// a copy; any difference in what a saved scan holds saves a new one.
@Suite("Saved scans: reuse of the newest")
struct CatalogScanReuseTests {
    let roots: [[UInt8]] = [Array("/srv/data".utf8), Array("/mnt/x".utf8)]

    /// The scan the other tests change one thing of: two classes, four members, five names, one
    /// of them not UTF-8.
    func base() -> ScanResult { CatalogSavedScanTests().sampleScan() }

    /// Counts the rows of `table` in the catalog.
    func rows(_ catalog: Catalog, _ table: String) throws -> Int {
        try catalog.access("count") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") } ?? -1
    }

    @Test func savingWhatTheNewestScanFoundKeepsItsNumberAndTakesTheNewTimesAndCounters() throws {
        let catalog = try Catalog.inMemory()
        let first = try catalog.saveScan(base().rooted(roots), startedAt: 100)
        let savedBefore = try catalog.loadScan(id: first).savedAt
        var again = base()
        again.statistics.catalogHits = 5
        again.statistics.filesWalked = 999
        again.statistics.walkSeconds = 0.25

        let second = try catalog.saveScan(again.rooted(roots), startedAt: 200)

        #expect(second == first)
        let saved = try catalog.loadScan(id: first)
        #expect(saved.startedAt == 200)
        #expect(saved.savedAt >= savedBefore)
        #expect(saved.statistics == again.statistics)
        #expect(saved.classes.map(\.nameCount) == [3, 2])
        #expect(try catalog.listScans().map(\.id) == [first])
        #expect(try catalog.latestScanID() == first)
        #expect(try catalog.info().lastScanStartedAt == 200)
        for (table, count) in [("scan", 1), ("scanRoot", 2), ("duplicateClass", 2), ("member", 4), ("memberName", 5)] {
            #expect(try rows(catalog, table) == count, "\(table)")
        }
    }

    /// One change to what a saved scan holds, by name.
    struct Change: CustomTestStringConvertible, Sendable {
        var name: String
        var roots: @Sendable ([[UInt8]]) -> [[UInt8]] = { $0 }
        var scan: @Sendable (inout ScanResult) -> Void = { _ in }
        var testDescription: String { name }
    }

    static let changes: [Change] = [
        Change(name: "roots in another order", roots: { $0.reversed() }),
        Change(name: "one root less", roots: { Array($0.dropLast()) }),
        // Length prefixes: the same bytes cut into other roots are other roots.
        Change(name: "roots cut differently", roots: { [$0[0] + $0[1]] }),
        Change(name: "classes in another order", scan: { $0.classes.reverse() }),
        Change(name: "class size", scan: { $0.classes[1].size += 1 }),
        Change(name: "class digest", scan: { $0.classes[0].digest?.low ^= 1 }),
        Change(name: "class digest absent", scan: { $0.classes[0].digest = nil }),
        Change(name: "class digest present", scan: { $0.classes[1].digest = Digest(high: 0, low: 0) }),
        Change(name: "members in another order", scan: { $0.classes[0].members.reverse() }),
        Change(name: "member device", scan: { $0.classes[0].members[0].status.id.device += 1 }),
        Change(name: "member inode", scan: { $0.classes[0].members[0].status.id.inode += 1 }),
        Change(name: "member mode", scan: { $0.classes[0].members[0].status.mode ^= 0o020 }),
        Change(name: "member link count", scan: { $0.classes[0].members[1].status.linkCount += 1 }),
        Change(name: "member owner", scan: { $0.classes[0].members[1].status.userID += 1 }),
        Change(name: "member group", scan: { $0.classes[0].members[1].status.groupID += 1 }),
        Change(name: "member size", scan: { $0.classes[1].members[0].status.size += 1 }),
        Change(name: "member blocks", scan: { $0.classes[1].members[0].status.blocks += 8 }),
        Change(name: "member modification time", scan: { $0.classes[1].members[1].status.modificationTime += 1 }),
        Change(name: "member change time", scan: { $0.classes[1].members[1].status.changeTime += 1 }),
        Change(name: "names in another order", scan: { $0.classes[0].members[1].names.reverse() }),
        Change(name: "a name moved to another member", scan: { scan in
            let names = scan.classes[0].members[1].names
            scan.classes[0].members[1].names = NameList(names.dropLast())
            scan.classes[0].members[0].names.append(names[names.count - 1])
        }),
        Change(name: "a member moved to another class", scan: { scan in
            let member = scan.classes[1].members.removeLast()
            scan.classes[0].members.append(member)
        }),
        Change(name: "a name renamed", scan: { scan in
            let file = Int(scan.classes[1].members[0].names[0])
            let record = scan.files[file]
            let (start, length) = scan.table.appendName(Array("onf".utf8))
            scan.files[file] = FileRecord(
                directory: record.directory, nameStart: start, nameLength: UInt16(length), status: record.status)
        }),
        Change(name: "a name's directory replaced by another with the same path", scan: { scan in
            let file = Int(scan.classes[1].members[0].names[0])
            let directory = scan.files[file].directory
            let twin = scan.table.addDirectory(
                parent: -1, name: Array(scan.table.name(ofDirectory: directory)),
                id: FileID(device: 64, inode: 7777), root: scan.table.directories[Int(directory)].root)
            scan.files[file].directory = twin
        }),
    ]

    @Test(arguments: changes)
    func anyChangeToWhatASavedScanHoldsSavesANewScanAndKeepsTheOld(change: Change) throws {
        let catalog = try Catalog.inMemory()
        let first = try catalog.saveScan(base().rooted(roots), startedAt: 100)
        var changed = base()
        change.scan(&changed)
        let changedRoots = change.roots(roots)

        let second = try catalog.saveScan(changed.rooted(changedRoots), startedAt: 200)

        #expect(second > first)
        let old = try catalog.loadScan(id: first)
        #expect(old.startedAt == 100)
        #expect(old.roots == roots)
        #expect(old.classes.map(\.nameCount) == [3, 2])
        #expect(try catalog.loadScan(id: second).roots == changedRoots)
        // Only the newest is compared: going back to the first result saves a third scan.
        #expect(try catalog.saveScan(base().rooted(roots), startedAt: 300) > second)
        #expect(try catalog.listScans().count == 3)
    }

    /// Scans whose paths take each way through the fingerprint's code.
    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        /// The sample: names that are not UTF-8, hard links, a class without a digest.
        case sample
        /// A directory `/`, whose names are joined without another slash.
        case rootDirectory
        /// A path longer than the fingerprint's 64 KiB buffer, and more bytes than it holds.
        case longPath
        /// Files given as roots in the working directory: their directory `.` is not shown.
        case hiddenRoot

        var testDescription: String { rawValue }

        func scan() -> ScanResult {
            switch self {
            case .sample:
                return CatalogSavedScanTests().sampleScan()
            case .rootDirectory:
                return makeScan(classes: [
                    (size: 5, digest: makeDigest(1), members: [
                        (status: makeStatus(inode: 1, size: 5), names: [(Array("/".utf8), Array("top".utf8))]),
                        (status: makeStatus(inode: 2, size: 5), names: [(Array("/srv/".utf8), Array("x".utf8))]),
                    ])
                ])
            case .longPath:
                let deep = Array("/deep".utf8) + [UInt8](repeating: UInt8(ascii: "d"), count: 70_000)
                var classes: [(size: Int64, digest: Digest?, members: [(status: FileStatus, names: [(directory: [UInt8], name: [UInt8])])])] = []
                for index in 0..<40 {
                    let first = makeStatus(inode: UInt64(2 * index), size: 9)
                    let second = makeStatus(inode: UInt64(2 * index + 1), size: 9)
                    let members: [(status: FileStatus, names: [(directory: [UInt8], name: [UInt8])])] = [
                        (status: first, names: [(directory: deep, name: Array("a\(index)".utf8))]),
                        (status: second, names: [(directory: Array("/s".utf8), name: Array("b\(index)".utf8))]),
                    ]
                    classes.append((size: 9, digest: makeDigest(UInt64(index)), members: members))
                }
                return makeScan(classes: classes)
            case .hiddenRoot:
                var scan = makeScan(classes: [])
                let dot = scan.table.addDirectory(parent: -1, name: Array(".".utf8), id: FileID(device: 1, inode: 2), root: 0, isShown: false)
                let sub = scan.table.addDirectory(parent: dot, name: Array("sub".utf8), id: FileID(device: 1, inode: 3), root: 0)
                var members: [Member] = []
                for (index, directory) in [dot, sub].enumerated() {
                    let status = makeStatus(inode: UInt64(10 + index), size: 3)
                    let (start, length) = scan.table.appendName(Array("f\(index)".utf8))
                    scan.files.append(FileRecord(directory: directory, nameStart: start, nameLength: UInt16(length), status: status))
                    members.append(Member(names: [Int32(scan.files.count - 1)], status: status))
                }
                scan.classes = [DuplicateClass(size: 3, digest: nil, members: members)]
                #expect(scan.path(ofFile: 0) == Array("f0".utf8) && scan.path(ofFile: 1) == Array("sub/f1".utf8))
                return scan
            }
        }
    }

    @Test(arguments: Shape.allCases)
    func theStoredFingerprintIsTheDigestOfTheSavedRowsInTheirCanonicalForm(shape: Shape) throws {
        let catalog = try Catalog.inMemory()
        let id = try catalog.saveScan(shape.scan().rooted(roots), startedAt: 1)
        let saved = try catalog.loadScan(id: id)
        let stored = try catalog.access("fingerprint") { db in
            try Data.fetchOne(db, sql: "SELECT fingerprint FROM scan WHERE id = ?", arguments: [id])
        }

        // Written out here from the rows read back, independently of `ScanFingerprint`.
        var bytes: [UInt8] = []
        func integer(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func integer(_ value: Int64) { integer(UInt64(bitPattern: value)) }
        func counted(_ value: [UInt8]) {
            integer(UInt64(value.count))
            bytes.append(contentsOf: value)
        }
        counted(Array("dupelink saved scan, serialization 2".utf8))
        integer(UInt64(saved.roots.count))
        saved.roots.forEach(counted)
        integer(UInt64(saved.classes.count))
        for savedClass in saved.classes {
            integer(savedClass.size)
            if let digest = savedClass.digest {
                integer(UInt64(1))
                integer(digest.high)
                integer(digest.low)
            } else {
                integer(UInt64(0))
            }
            integer(UInt64(savedClass.members.count))
            for member in savedClass.members {
                let status = member.status
                for value in [status.id.device, status.id.inode, UInt64(status.mode), status.linkCount,
                              UInt64(status.userID), UInt64(status.groupID)] { integer(value) }
                for value in [status.size, status.blocks, status.modificationTime, status.changeTime] { integer(value) }
                // Shared extents: their count plus one, then each range, or 0 when not mapped.
                if let extents = member.sharedExtents {
                    integer(UInt64(extents.ranges.count + 1))
                    for range in extents.ranges {
                        integer(range.lowerBound)
                        integer(range.upperBound)
                    }
                } else {
                    integer(UInt64(0))
                }
                integer(UInt64(member.names.count))
                for name in member.names {
                    counted(name.path)
                    integer(name.directory.device)
                    integer(name.directory.inode)
                }
            }
        }
        let digest = bytes.withUnsafeBytes { XXH3Hasher.digest($0) }
        var expected = Data()
        withUnsafeBytes(of: digest.high.bigEndian) { expected.append(contentsOf: $0) }
        withUnsafeBytes(of: digest.low.bigEndian) { expected.append(contentsOf: $0) }
        #expect(stored == expected)
        #expect(stored?.count == 16)
        #expect(try catalog.saveScan(shape.scan().rooted(roots), startedAt: 2) == id)
    }

    @Test func aScanSavedByAnOlderDupelinkIsNeverReusedButTheNextOneIs() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        // A catalog as the previous schema left it, holding an empty scan of no roots.
        do {
            let queue = try DatabaseQueue(path: folder.path + "/catalog.sqlite")
            try CatalogSchema.migrator.migrate(queue, upTo: "v4-content-groups")
            let statistics = String(decoding: try JSONEncoder().encode(ScanStatistics()), as: UTF8.self)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO scan (startedAt, savedAt, statistics) VALUES (1, 1, ?)", arguments: [statistics])
            }
        }
        let catalog = try Catalog.open(at: path)
        let old = try #require(try catalog.latestScanID())
        let fingerprint = try catalog.access("fingerprint") { db in
            try Row.fetchOne(db, sql: "SELECT fingerprint FROM scan WHERE id = ?", arguments: [old])?.hasNull(atIndex: 0)
        }
        #expect(fingerprint == true)

        let new = try catalog.saveScan(makeScan(classes: []).rooted([]), startedAt: 2)
        #expect(new > old)
        #expect(try catalog.saveScan(makeScan(classes: []).rooted([]), startedAt: 3) == new)
        #expect(try catalog.loadScan(id: old).startedAt == 1)
        #expect(try catalog.listScans().map(\.id) == [old, new])
    }

    @Test func aScanWhoseFingerprintWasClearedIsNotReused() throws {
        let catalog = try Catalog.inMemory()
        let first = try catalog.saveScan(base().rooted(roots), startedAt: 1)
        try catalog.access("clear") { db in try db.execute(sql: "UPDATE scan SET fingerprint = NULL") }

        let second = try catalog.saveScan(base().rooted(roots), startedAt: 2)

        #expect(second > first)
        #expect(try catalog.saveScan(base().rooted(roots), startedAt: 3) == second)
    }
}
