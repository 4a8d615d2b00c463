import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

@Suite("Filesystem identity")
struct CatalogFilesystemIDTests {
    func device(of folder: TemporaryFolder) throws -> UInt64 {
        UInt64(try #require(statOf(folder.bytes)).st_dev)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/shm")))
    func mainDiskAndDevShmHaveDifferentIdentities() throws {
        let main = try TemporaryFolder()
        let shared = try TemporaryFolder(under: "/dev/shm")
        try #require(try device(of: main) != device(of: shared), "the temporary folder must not be on /dev/shm")

        let mainID = FilesystemID.resolve(device: try device(of: main), path: main.bytes)
        let sharedID = FilesystemID.resolve(device: try device(of: shared), path: shared.bytes)

        #expect(mainID != sharedID)
        #expect(!mainID.rawValue.isEmpty && !sharedID.rawValue.isEmpty)
    }

    @Test func resolutionIsStableAcrossResolversAndCachedPerDevice() throws {
        let folder = try TemporaryFolder()
        let device = try device(of: folder)

        let first = FilesystemID.resolve(device: device, path: folder.bytes)
        let second = FilesystemID.resolve(device: device, path: folder.bytes + Array("/.".utf8))
        var resolver = FilesystemIdentities()
        let cached = resolver.resolve(device: device, path: folder.bytes)
        // A second call for the device is answered from the cache, whatever the path.
        let again = resolver.resolve(device: device, path: Array("/nonexistent".utf8))

        #expect(first == second)
        #expect(cached == first)
        #expect(again == first)
        #expect(resolver.identity(ofDevice: device) == first)
        #expect(resolver.identity(ofDevice: device &+ 1) == nil)
    }

    @Test func aPathOnAnotherDeviceFallsBackToTheDeviceNumber() throws {
        let folder = try TemporaryFolder()
        // A device number nothing here uses: the folder's statvfs must not be borrowed for it.
        let unused: UInt64 = (4000 << 8) | 7

        let identity = FilesystemID.resolve(device: unused, path: folder.bytes)

        #expect(identity.rawValue == "dev:4000:7")
        #expect(identity.isDeviceNumber)
    }

    @Test func deviceNumbersSplitLikeGlibc() {
        // makedev(259, 70000): a major above 255 and a minor above 255 use the high bits.
        let device: UInt64 = ((259 & 0xfff) << 8) | ((259 & ~0xfff) << 32) | (70000 & 0xff) | ((70000 & ~0xff) << 12)
        #expect(FilesystemID.deviceNumber(device).rawValue == "dev:259:70000")
        #expect(FilesystemID.deviceNumber((8 << 8) | 1).rawValue == "dev:8:1")
    }

    @Test func resolvingAPathTableCoversEveryDevice() throws {
        let main = try TemporaryFolder()
        var table = PathTable()
        let mainDevice = try device(of: main)
        _ = table.addDirectory(parent: -1, name: main.bytes, id: FileID(device: mainDevice, inode: 1), root: 0)
        _ = table.addDirectory(parent: -1, name: Array("/proc".utf8), id: FileID(device: UInt64(try #require(statOf(Array("/proc".utf8))).st_dev), inode: 1), root: 1)

        var resolver = FilesystemIdentities()
        resolver.resolve(table)

        #expect(resolver.resolved.count == 2)
        #expect(resolver.identity(ofDevice: mainDevice) == FilesystemID.resolve(device: mainDevice, path: main.bytes))
    }
    @Test func aHiddenWorkingDirectoryRootIsResolvedThroughDot() throws {
        let here = try #require(statOf(Array(".".utf8)))
        var table = PathTable()
        _ = table.addDirectory(
            parent: -1, name: Array(".".utf8), id: FileID(device: UInt64(here.st_dev), inode: UInt64(here.st_ino)), root: 0,
            isShown: false)
        #expect(table.path(ofDirectory: 0).isEmpty)

        var resolver = FilesystemIdentities()
        resolver.resolve(table)

        #expect(resolver.identity(ofDevice: UInt64(here.st_dev)) == FilesystemID.resolve(device: UInt64(here.st_dev), path: Array(".".utf8)))
    }
}
