import Foundation
import GRDB
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

@Suite("Opening the catalog")
struct CatalogOpeningTests {
    let disk = FilesystemID(rawValue: "uuid:11111111-2222-3333-4444-555555555555")

    /// Opens `path`, expecting a `.catalog` error, and returns it.
    func expectRefusal(_ path: [UInt8], recovery: Catalog.Recovery = .refuse) -> DupelinkError? {
        let error = #expect(throws: DupelinkError.self) { try Catalog.open(at: path, recovery: recovery) }
        #expect(error?.code == .catalog)
        #expect(error?.path == path)
        // The description names the file and says what to do.
        #expect(error?.description.hasPrefix(PathText.display(path) + ": cannot open the catalog") == true)
        return error
    }

    /// A catalog with enough rows to span many pages, closed again.
    func makeFilledCatalog(at path: [UInt8]) throws {
        let catalog = try Catalog.open(at: path)
        try catalog.store(
            (0..<5000).map { DigestEntry(filesystem: disk, status: makeStatus(inode: UInt64($0)), digests: CachedDigests(headTail: makeDigest(UInt64($0)))) })
        try catalog.saveScan(makeScan(classes: []).rooted([Array("/r".utf8)]), startedAt: 5)
    }

    @Test func reopeningAnExistingCatalogKeepsItsData() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        let status = makeStatus(inode: 3)
        do {
            let catalog = try Catalog.open(at: path)
            try catalog.store([DigestEntry(filesystem: disk, status: status, digests: CachedDigests(headTail: makeDigest(3), full: makeDigest(4)))])
            try catalog.saveScan(makeScan(classes: []).rooted([Array("/r".utf8)]), startedAt: 42)
        }

        let reopened = try Catalog.open(at: path)

        #expect(
            try reopened.cachedDigests(for: [status], filesystems: identities([(2049, disk)]))
                == [CachedDigests(headTail: makeDigest(3), full: makeDigest(4))])
        let info = try reopened.info()
        #expect(info.digestCount == 1)
        #expect(info.scanCount == 1)
        #expect(info.lastScanStartedAt == 42)
        #expect(info.fileSize > 0)
        #expect(reopened.movedAside == nil)
    }

    @Test func missingFoldersAreCreatedPrivateAndTheDatabaseIsWAL() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("cache/dupelink/catalog.sqlite")

        let catalog = try Catalog.open(at: path)

        #expect(statOf(folder.child("cache")).map { $0.st_mode & 0o7777 } == 0o700)
        #expect(statOf(folder.child("cache/dupelink")).map { $0.st_mode & 0o7777 } == 0o700)
        #expect(statOf(path).map { $0.st_mode & 0o7777 } == 0o600)
        let mode = try catalog.access("mode") { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let version = try catalog.access("version") { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == 1)
    }

    @Test func anEmptySQLiteDatabaseIsMigrated() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        // A valid SQLite file with nothing in it, as `sqlite3 file 'VACUUM'` leaves one.
        try DatabaseQueue(path: folder.path + "/catalog.sqlite").writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
        #expect(try readFile(path).starts(with: Array("SQLite format 3".utf8)))

        let catalog = try Catalog.open(at: path)

        try catalog.store([DigestEntry(filesystem: disk, status: makeStatus(inode: 1), digests: CachedDigests(headTail: makeDigest(1)))])
        #expect(try catalog.info().digestCount == 1)
        let applied = try catalog.access("migrations") { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == CatalogSchema.migrator.migrations)
        #expect(applied.first == "v1")
    }

    @Test func aZeroLengthFileIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try writeFile(path, [])

        let error = expectRefusal(path)

        #expect(error?.description.contains("empty") == true)
        #expect(try readFile(path) == [])
        #expect(!fileExists(path + Array("-wal".utf8)))
    }

    @Test func aTextFileIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try writeFile(path, Array("hello\n".utf8))

        let error = expectRefusal(path, recovery: .moveAside)

        #expect(error?.description.contains("not an SQLite database") == true)
        #expect(try readFile(path) == Array("hello\n".utf8))
        #expect(!fileExists(path + Array("-wal".utf8)))
    }

    @Test func aDirectoryAtThePathIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try FileManager.default.createDirectory(atPath: String(decoding: path, as: UTF8.self), withIntermediateDirectories: false)

        let error = expectRefusal(path)

        #expect(error?.description.contains("not a regular file") == true)
    }

    @Test func anotherProgramsDatabaseIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try DatabaseQueue(path: folder.path + "/catalog.sqlite").write { db in
            try db.execute(sql: "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL); INSERT INTO note VALUES (1, 'keep me')")
        }
        let before = try readFile(path)

        let error = expectRefusal(path, recovery: .moveAside)

        #expect(error?.description.contains("another program") == true)
        #expect(try readFile(path) == before)
    }

    @Test func aTruncatedCatalogIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try makeFilledCatalog(at: path)
        let whole = try readFile(path)
        #expect(whole.count > 8 * 4096)
        let truncated = Array(whole.prefix(whole.count / 2))
        try writeFile(path, truncated)

        let error = expectRefusal(path)

        #expect(error?.description.contains("truncated") == true)
        #expect(try readFile(path) == truncated)
    }

    @Test func aCatalogTruncatedInsideItsHeaderIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try makeFilledCatalog(at: path)
        try writeFile(path, Array(try readFile(path).prefix(40)))

        let error = expectRefusal(path)

        #expect(error?.description.contains("truncated") == true)
        #expect(try readFile(path).count == 40)
    }

    @Test func aCorruptCatalogIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try makeFilledCatalog(at: path)
        // Keep the 100-byte header (it still says "dupelink"), wreck the schema page behind it.
        var bytes = try readFile(path)
        for index in 100..<4096 { bytes[index] = 0x55 }
        try writeFile(path, bytes)

        let error = expectRefusal(path)

        #expect(error?.description.contains("damaged") == true)
        #expect(try readFile(path) == bytes)
    }

    @Test func aCorruptCatalogIsMovedAsideWhenAskedAndANewOneStarts() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try makeFilledCatalog(at: path)
        var bytes = try readFile(path)
        for index in 100..<4096 { bytes[index] = 0x55 }
        try writeFile(path, bytes)

        let catalog = try Catalog.open(at: path, recovery: .moveAside)

        let aside = try #require(catalog.movedAside)
        #expect(String(decoding: aside, as: UTF8.self).hasPrefix(folder.path + "/catalog.sqlite.corrupt-"))
        #expect(try readFile(aside) == bytes)
        #expect(try catalog.info().digestCount == 0)
        #expect(try catalog.info().scanCount == 0)
    }

    @Test func aTruncatedCatalogIsMovedAsideWhenAsked() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        try makeFilledCatalog(at: path)
        let truncated = Array(try readFile(path).prefix(3 * 4096))
        try writeFile(path, truncated)

        let catalog = try Catalog.open(at: path, recovery: .moveAside)

        let aside = try #require(catalog.movedAside)
        #expect(try readFile(aside) == truncated)
        #expect(try catalog.info().digestCount == 0)
    }

    @Test func aCatalogFromANewerDupelinkIsRefusedAndKept() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        do {
            let catalog = try Catalog.open(at: path)
            try catalog.access("future") { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')")
            }
        }
        let before = try readFile(path)

        let error = expectRefusal(path, recovery: .moveAside)

        #expect(error?.description.contains("newer version of dupelink") == true)
        #expect(try readFile(path) == before)
    }

    @Test func aNonUTF8CatalogPathIsRefusedClearly() throws {
        let folder = try TemporaryFolder()
        let path = folder.bytes + [UInt8(ascii: "/"), 0xFF, UInt8(ascii: "x")]

        let error = expectRefusal(path)

        #expect(error?.description.contains("UTF-8") == true)
        #expect(!fileExists(path))
    }

    @Test func defaultPathPrefersXDGCacheHomeThenHome() {
        #expect(
            Catalog.defaultPath(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"])
                == Array("/x/cache/dupelink/catalog.sqlite".utf8))
        #expect(
            Catalog.defaultPath(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u/"])
                == Array("/home/u/.cache/dupelink/catalog.sqlite".utf8))
        #expect(Catalog.defaultPath(environment: ["HOME": "/home/u"]) == Array("/home/u/.cache/dupelink/catalog.sqlite".utf8))
        #expect(Catalog.defaultPath(environment: [:]) == nil)
    }
}
