import DupelinkTestSupport
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// A saved scan rebuilt as a `ScanResult`: paths, directory identities, and the rule that only
/// the directories between a root and a file's own directory go unverified.
@Suite struct SavedScanResultTests {
    /// What `Catalog.saveScan` keeps of a scan, without a catalog.
    func saved(_ scan: ScanResult, roots: [[UInt8]]) -> SavedScan {
        SavedScan(
            id: 1, startedAt: 0, savedAt: 0, roots: roots, statistics: scan.statistics,
            classes: scan.classes.map { duplicateClass in
                SavedClass(
                    size: duplicateClass.size, digest: duplicateClass.digest,
                    members: duplicateClass.members.map { member in
                        SavedMember(
                            status: member.status,
                            names: member.names.map { name in
                                SavedName(
                                    path: scan.path(ofFile: name),
                                    directory: scan.table.directories[Int(scan.files[Int(name)].directory)].id)
                            })
                    })
            })
    }

    @Test func rebuiltScanKeepsEveryPathAndChecksEachFilesOwnDirectory() throws {
        let tree = try TestTree()
        let a = patternBytes(count: 3_000, seed: 51)
        let b = patternBytes(count: 2_000, seed: 52)
        try tree.write("a1", a)
        try tree.write("deep/er/est/a2", a)
        try tree.write("x/b1", b)
        try tree.write("x/y/b2", b)
        let original = try LinkTestScan.scan([tree.rootString])
        let rebuilt = try saved(original, roots: [tree.root]).scanResult()

        #expect(rebuilt.classes.map(\.nameCount) == original.classes.map(\.nameCount))
        for (rebuiltClass, originalClass) in zip(rebuilt.classes, original.classes) {
            for (rebuiltMember, originalMember) in zip(rebuiltClass.members, originalClass.members) {
                #expect(rebuiltMember.status == originalMember.status)
                for (name, originalName) in zip(rebuiltMember.names, originalMember.names) {
                    #expect(rebuilt.path(ofFile: name) == original.path(ofFile: originalName))
                    let directory = rebuilt.table.directories[Int(rebuilt.files[Int(name)].directory)].id
                    #expect(directory == original.table.directories[Int(original.files[Int(originalName)].directory)].id)
                }
            }
        }
        func identity(_ relative: String) -> FileID? {
            let path = relative.isEmpty ? tree.root : tree.path(relative)
            return rebuilt.table.directories.indices.first { rebuilt.table.path(ofDirectory: Int32($0)) == path }
                .map { rebuilt.table.directories[$0].id }
        }
        let rootStatus = try TestTree.status(tree.root)
        // a1 lies directly in the root, so the root's identity is known; x has b1 in it.
        #expect(identity("") == FileID(device: UInt64(rootStatus.st_dev), inode: UInt64(rootStatus.st_ino)))
        #expect(identity("x") == FileID(device: UInt64(rootStatus.st_dev), inode: UInt64(try tree.status("x").st_ino)))
        #expect(identity("deep") == .unverifiedDirectory && identity("deep/er") == .unverifiedDirectory)
        #expect(identity("deep/er/est") == FileID(device: UInt64(rootStatus.st_dev), inode: UInt64(try tree.status("deep/er/est").st_ino)))

        // The linker runs on the rebuilt scan as on a fresh one.
        let outcome = Linker().execute(LinkPlanner.plan(rebuilt, options: LinkOptions()), scan: rebuilt, dryRun: false)
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(try tree.status("a1").st_ino == tree.status("deep/er/est/a2").st_ino)
        #expect(try tree.status("x/b1").st_ino == tree.status("x/y/b2").st_ino)
    }

    @Test func directoryHandleNeverReturnsADirectoryWhoseIdentityIsUnknown() throws {
        let tree = try TestTree()
        try tree.makeDirectory("sub")
        let status = try TestTree.status(tree.root)
        var table = PathTable()
        let root = table.addDirectory(
            parent: -1, name: tree.root, id: FileID(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)), root: 0)
        let sub = table.addDirectory(parent: root, name: Array("sub".utf8), id: .unverifiedDirectory, root: 0)
        #expect(throws: DupelinkError.self) { _ = try DirectoryHandle.open(directory: sub, in: table) }
        let checked = try DirectoryHandle.open(directory: root, in: table)
        #expect(try Syscalls.status(of: checked.descriptor).id == table.directories[Int(root)].id)
    }

    @Test func aRealDirectoryMovedInBetweenStillLeadsToTheScannedOneButAReplacedOneDoesNot() throws {
        let tree = try TestTree()
        let a = patternBytes(count: 4_000, seed: 53)
        let b = patternBytes(count: 5_000, seed: 54)
        try tree.write("top/mid/leaf/a1", a)
        try tree.write("a2", a)
        try tree.write("top/mid/other/b1", b)
        try tree.write("b2", b)
        let scan = try saved(try LinkTestScan.scan([tree.rootString]), roots: [tree.root]).scanResult()

        // "top" and "top/mid" are unverified. Replace "top" by a new real directory into which
        // the scanned "mid" is moved: the path leads to the scanned directories again.
        #expect(rename(tree.rootString + "/top", tree.rootString + "/old-top") == 0)
        try tree.makeDirectory("top")
        #expect(rename(tree.rootString + "/old-top/mid", tree.rootString + "/top/mid") == 0)
        // Replace "other" (a checked directory) by a new directory with an identical file.
        #expect(rename(tree.rootString + "/top/mid/other", tree.rootString + "/old-other") == 0)
        try tree.write("top/mid/other/b1", b)

        let outcome = Linker().execute(LinkPlanner.plan(scan, options: LinkOptions()), scan: scan, dryRun: false)
        #expect(try tree.status("top/mid/leaf/a1").st_ino == tree.status("a2").st_ino)
        #expect(try tree.status("top/mid/other/b1").st_ino != tree.status("b2").st_ino)
        #expect(outcome.skipped.map(\.error.code) == [.directoryChanged])
        #expect(outcome.skipped.first.map { String(decoding: $0.error.path, as: UTF8.self).contains("other") } == true)
    }

    @Test func fileRootsAndRootsWithATrailingSlashRebuildAsTheWalkBuiltThem() throws {
        let tree = try TestTree()
        let outside = try TestTree()
        let a = patternBytes(count: 1_500, seed: 55)
        try tree.write("a1", a)
        try outside.write("single", a)
        let fileRoot = outside.rootString + "/single"
        let original = try LinkTestScan.scan([tree.rootString + "/", fileRoot])
        let rebuilt = try saved(original, roots: [Array((tree.rootString + "/").utf8), Array(fileRoot.utf8)]).scanResult()
        let paths = rebuilt.classes.flatMap { $0.members.flatMap { $0.names.map { rebuilt.path(ofFile: $0) } } }
        #expect(paths.sorted { $0.lexicographicallyPrecedes($1) } == [tree.path("a1"), Array(fileRoot.utf8)].sorted { $0.lexicographicallyPrecedes($1) })
        let outcome = Linker().execute(LinkPlanner.plan(rebuilt, options: LinkOptions()), scan: rebuilt, dryRun: false)
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(try tree.status("a1").st_ino == outside.status("single").st_ino)
    }

    @Test(arguments: ["/elsewhere/f", "ROOT/../f", "ROOT/a//f", "ROOT/./f", "/srv/rootless/f"])
    func namesThatDoNotSplitUnderARootAreRefused(_ template: String) throws {
        let root = "/srv/root"
        let path = Array(template.replacingOccurrences(of: "ROOT", with: root).utf8)
        let status = makeStatus(inode: 7)
        let scan = SavedScan(
            id: 1, startedAt: 0, savedAt: 0, roots: [Array(root.utf8)], statistics: ScanStatistics(),
            classes: [
                SavedClass(size: 4096, digest: nil, members: [
                    SavedMember(status: status, names: [SavedName(path: Array((root + "/ok").utf8), directory: FileID(device: 1, inode: 2))]),
                    SavedMember(status: makeStatus(inode: 8), names: [SavedName(path: path, directory: FileID(device: 1, inode: 3))]),
                ])
            ])
        #expect(throws: DupelinkError.self) { _ = try scan.scanResult() }
    }
}
