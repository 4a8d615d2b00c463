import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

@Suite("Locking the catalog")
struct CatalogLockTests {
    @Test func aSecondLockOnTheSameCatalogIsBusyAndNamesTheHolder() throws {
        let folder = try TemporaryFolder()
        let catalog = folder.child("sub/catalog.sqlite")
        guard case .acquired(let first) = try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0) else {
            Issue.record("the first lock was not taken")
            return
        }
        #expect(first.path == folder.child("sub/catalog.sqlite.lock"))
        // flock locks belong to open file descriptions, so a second open in this process conflicts.
        var waited = false
        let second = try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0.1) { _ in waited = true }
        guard case .busy(let holder) = second else {
            Issue.record("the second lock was taken while the first was held")
            return
        }
        #expect(holder == getpid())
        #expect(waited)
        let status = try fileStatus(first.path)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: String(decoding: first.path, as: UTF8.self), encoding: .utf8) == "\(getpid())\n")
        _ = first
    }

    @Test func theLockIsFreeAgainOnceReleased() throws {
        let folder = try TemporaryFolder()
        let catalog = folder.child("catalog.sqlite")
        do {
            let first = try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0)
            guard case .acquired = first else { Issue.record("not taken"); return }
        }
        guard case .acquired = try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0) else {
            Issue.record("a released lock still blocks")
            return
        }
    }

    @Test func aLockFileThatHoldsSomethingElseIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let catalog = folder.child("catalog.sqlite")
        let contents = Array("important notes\n".utf8)
        try writeFile(CatalogLock.lockPath(forCatalog: catalog), contents)
        let error = #expect(throws: DupelinkError.self) { try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0) }
        #expect(error?.code == .catalog)
        #expect(error?.description.contains("catalog.sqlite.lock") == true)
        #expect(try readFile(CatalogLock.lockPath(forCatalog: catalog)) == contents)
    }

    @Test func aSymbolicLinkOrASecondNameAtTheLockPathIsRefused() throws {
        let folder = try TemporaryFolder()
        let target = folder.child("target")
        try writeFile(target, [])
        let linked = folder.child("linked.sqlite")
        #expect(symlink("\(folder.path)/target", String(decoding: CatalogLock.lockPath(forCatalog: linked), as: UTF8.self)) == 0)
        #expect(throws: DupelinkError.self) { try CatalogLock.acquire(catalog: linked, waitingUpTo: 0) }
        let hard = folder.child("hard.sqlite")
        #expect(link("\(folder.path)/target", String(decoding: CatalogLock.lockPath(forCatalog: hard), as: UTF8.self)) == 0)
        #expect(throws: DupelinkError.self) { try CatalogLock.acquire(catalog: hard, waitingUpTo: 0) }
        #expect(try fileStatus(target).st_size == 0)
    }

    private func fileStatus(_ path: [UInt8]) throws -> stat {
        var result = stat()
        guard lstat(String(decoding: path, as: UTF8.self), &result) == 0 else {
            throw DupelinkError(.ioError, path: path, errno: .init(rawValue: errno), operation: "lstat")
        }
        return result
    }
}
