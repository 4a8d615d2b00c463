import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// `CatalogTrust` is checked by every way into a catalog: opening it and locking it.
@Suite("Trusting the catalog")
struct CatalogTrustVerifyTests {
    @Test func openingAndLockingRefuseACatalogInAFolderOthersCanWriteAndCreateNothing() throws {
        let folder = try TemporaryFolder()
        let open = folder.child("open")
        #expect(mkdir(folder.path + "/open", 0o700) == 0 && chmod(folder.path + "/open", 0o770) == 0)
        let catalog = open + Array("/sub/catalog.sqlite".utf8)

        let opening = #expect(throws: DupelinkError.self) { try Catalog.open(at: catalog) }
        #expect(opening?.code == .untrustedCatalog)
        let locking = #expect(throws: DupelinkError.self) { try CatalogLock.acquire(catalog: catalog, waitingUpTo: 0) }
        #expect(locking?.code == .untrustedCatalog)
        #expect(locking?.description == "catalog \(folder.path)/open/sub/catalog.sqlite: not trusted: \(folder.path)/open is owned by uid \(geteuid()) and mode 0770 (group or others may write to it); a catalog must be changeable only by you (or root)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/open").isEmpty)
    }

    @Test func aPrivateCatalogIsTrusted() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        try catalog.close()
        try CatalogTrust.verify(catalog: folder.child("catalog.sqlite"))
    }
}
