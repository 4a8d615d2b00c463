import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A catalog is used only when nobody but its user (or root) can change it, the files beside it,
/// or a folder above it; otherwise every command that opens a catalog stops with status 2, naming
/// the path, its owner and its mode, and creates, writes or locks nothing there.
@Suite struct CatalogTrustTests {
    /// Everything in `folder` (one level): each name's bytes, inode, link count, owner, mode and
    /// modification time, to show that a refused run changed nothing there.
    struct FolderState: Equatable {
        struct Entry: Equatable {
            var bytes: [UInt8]
            var inode: UInt, links: UInt, owner: UInt32, mode: UInt32
            var modified: Int64
        }
        var entries: [String: Entry]

        init(_ folder: String) throws {
            entries = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                let path = Array((folder + "/" + name).utf8)
                let status = try TestTree.status(path)
                let isFile = status.st_mode & S_IFMT == S_IFREG
                entries[name] = Entry(
                    bytes: isFile ? try TestTree.read(path) : [], inode: UInt(status.st_ino), links: UInt(status.st_nlink),
                    owner: status.st_uid, mode: status.st_mode,
                    modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
            }
        }
    }

    /// A folder holding a catalog made by a real scan of `tree` (and its lock file).
    static func folderWithACatalog(scanning tree: TestTree) throws -> (folder: TestTree, catalog: String) {
        let folder = try TestTree()
        try folder.makeDirectory("state")
        let catalog = folder.rootString + "/state/catalog.sqlite"
        let made = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        try #require(made.status == 0, "\(made.standardError)")
        return (folder, catalog)
    }

    /// Runs every command that opens a catalog against `catalog` and checks each is refused with
    /// status 2 and the one-line message `expected`, and that nothing in `folder` changed.
    static func expectEveryCommandRefuses(
        _ catalog: String, folder: String, tree: TestTree, expected: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try FolderState(folder)
        let split = tree.rootString + "/b"
        let commands: [[String]] = [
            ["scan", tree.rootString], ["link", tree.rootString], ["report"], ["history"], ["undo", "1"],
            ["split", split], ["catalog", "info"], ["catalog", "prune", "--keep-scans", "0"],
        ]
        for command in commands {
            let arguments = Array(command.prefix(command.first == "catalog" ? 2 : 1)) + ["--catalog", catalog]
                + Array(command.dropFirst(command.first == "catalog" ? 2 : 1))
            let result = try CLI.run(arguments.map { Array($0.utf8) })
            #expect(result.status == 2, "\(command): \(result.standardError)", sourceLocation: sourceLocation)
            #expect(result.standardError == expected + "\n", "\(command)", sourceLocation: sourceLocation)
            #expect(result.output.isEmpty, "\(command): \(result.output)", sourceLocation: sourceLocation)
        }
        #expect(try FolderState(folder) == before, "something changed in \(folder)", sourceLocation: sourceLocation)
        // Nothing was linked or split either.
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino, sourceLocation: sourceLocation)
        #expect(try tree.status("b").st_nlink == 2, sourceLocation: sourceLocation)
    }

    /// A pair of identical files, and a second name of `b` (so `split` would have work to do).
    static func tree() throws -> TestTree {
        let tree = try TestTree()
        let bytes = patternBytes(count: 20_000, seed: 91)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.link("b", "b-too")
        return tree
    }

    static func message(_ catalog: String, _ path: String, uid: Int, mode: String, _ reason: String) -> String {
        "dupelink: catalog \(catalog): not trusted: \(path) is owned by uid \(uid) and mode \(mode) (\(reason)); "
            + "a catalog must be changeable only by you (or root)"
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func aCatalogOwnedByAnotherUserIsRefusedByEveryCommandAndLeftUnchanged() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        #expect(chown(catalog, 65534, 65534) == 0)
        try Self.expectEveryCommandRefuses(
            catalog, folder: folder.rootString + "/state", tree: tree,
            expected: Self.message(catalog, catalog, uid: 65534, mode: "0600", "another user owns it"))
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func aCatalogInAFolderOwnedByAnotherUserIsRefused() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let state = folder.rootString + "/state"
        #expect(chown(state, 65534, 65534) == 0)
        #expect(chmod(state, 0o755) == 0)
        try Self.expectEveryCommandRefuses(
            catalog, folder: state, tree: tree,
            expected: Self.message(catalog, state, uid: 65534, mode: "0755", "another user owns it"))
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func aNewCatalogInAFolderOwnedByAnotherUserIsNeverCreated() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("theirs")
        let theirs = folder.rootString + "/theirs"
        #expect(chown(theirs, 65534, 65534) == 0)
        // Deeper folders that do not exist yet would be made by dupelink: the one above decides.
        let catalog = theirs + "/deeper/catalog.sqlite"
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(catalog, theirs, uid: 65534, mode: "0755", "another user owns it") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: theirs).isEmpty)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func theDefaultCatalogIsRefusedTooNotSilentlyDropped() throws {
        let tree = try Self.tree()
        let cache = try TestTree()
        try cache.makeDirectory("dupelink")
        let folder = cache.rootString + "/dupelink"
        #expect(chown(folder, 65534, 65534) == 0)
        let result = try PipedCLI(["scan", tree.rootString], cacheHome: cache.rootString).finish()
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(folder + "/catalog.sqlite", folder, uid: 65534, mode: "0755", "another user owns it") + "\n")
        #expect(result.output.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func aCatalogInAWorldWritableFolderWithoutTheStickyBitIsRefused() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let state = folder.rootString + "/state"
        #expect(chmod(state, 0o777) == 0)
        try Self.expectEveryCommandRefuses(
            catalog, folder: state, tree: tree,
            expected: Self.message(catalog, state, uid: Int(geteuid()), mode: "0777", "group or others may write to it"))
    }

    @Test func aWorldWritableFolderHigherUpIsRefused() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("open/private")
        let open = folder.rootString + "/open"
        #expect(chmod(open, 0o757) == 0)
        #expect(chmod(open + "/private", 0o700) == 0)
        let catalog = open + "/private/catalog.sqlite"
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(catalog, open, uid: Int(geteuid()), mode: "0757", "group or others may write to it") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: open + "/private").isEmpty)
    }

    @Test func aStickyWorldWritableFolderMayBeAboveTheCatalogButNotHoldIt() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("sticky/private")
        let sticky = folder.rootString + "/sticky"
        #expect(chmod(sticky, 0o1777) == 0)
        #expect(chmod(sticky + "/private", 0o700) == 0)
        let inside = try CLI.run("scan", "--catalog", sticky + "/private/catalog.sqlite", tree.rootString)
        #expect(inside.status == 0, "\(inside.standardError)")
        #expect(inside.output.contains("Saved in the catalog as scan 1."))

        // Directly in it, others could plant the -wal, -shm or lock file before dupelink makes them.
        let direct = sticky + "/catalog.sqlite"
        let refused = try CLI.run("scan", "--catalog", direct, tree.rootString)
        #expect(refused.status == 2)
        #expect(refused.standardError.hasPrefix("dupelink: catalog \(direct): not trusted: \(sticky) is owned by uid \(geteuid()) and mode 1777 (others may create files in the catalog's own folder"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sticky) == ["private"])
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func underAStickyFolderEachEntryOnThePathMustBeTheUsersOrRoots() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("sticky/planted")
        let sticky = folder.rootString + "/sticky"
        #expect(chmod(sticky, 0o1777) == 0)
        // Another user made the folder first; it is private, but theirs.
        #expect(chown(sticky + "/planted", 65534, 65534) == 0)
        #expect(chmod(sticky + "/planted", 0o700) == 0)
        let catalog = sticky + "/planted/catalog.sqlite"
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(catalog, sticky + "/planted", uid: 65534, mode: "0700", "another user owns it") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sticky + "/planted").isEmpty)
    }

    @Test func aCatalogUnderTheSystemTemporaryFolderInAPrivateFolderIsAccepted() throws {
        // TestTree makes its folder with mkdtemp (0700, owned by the user) in the temporary folder.
        let temporary = NSTemporaryDirectory()
        let status = try TestTree.status(Array(temporary.utf8))
        try #require(status.st_mode & 0o1777 == 0o1777 && status.st_uid == 0, "\(temporary) is not a sticky folder of root's")
        let tree = try Self.tree()
        let folder = try TestTree()
        #expect(try TestTree.status(folder.root).st_mode & 0o7777 == 0o700)
        let catalog = folder.rootString + "/catalog.sqlite"
        let scan = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(scan.status == 0, "\(scan.standardError)")
        #expect(scan.output.contains("Saved in the catalog as scan 1."))
        #expect(try CLI.run("catalog", "info", "--catalog", catalog).status == 0)
        #expect(try CLI.run("history", "--catalog", catalog).status == 0)
        // A catalog folder dupelink makes is private.
        let made = folder.rootString + "/new/deeper/catalog.sqlite"
        #expect(try CLI.run("scan", "--catalog", made, tree.rootString).status == 0)
        #expect(try folder.status("new").st_mode & 0o7777 == 0o700)
        #expect(try folder.status("new/deeper").st_mode & 0o7777 == 0o700)
    }

    @Test func aGroupWritableCatalogIsRefused() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        #expect(chmod(catalog, 0o620) == 0)
        try Self.expectEveryCommandRefuses(
            catalog, folder: folder.rootString + "/state", tree: tree,
            expected: Self.message(catalog, catalog, uid: Int(geteuid()), mode: "0620", "group or others may write to it"))
    }

    @Test func aCatalogWithASecondNameIsRefusedAndBothNamesAreUnchanged() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let elsewhere = try TestTree()
        #expect(link(catalog, elsewhere.rootString + "/copy") == 0)
        let other = try FolderState(elsewhere.rootString)
        try Self.expectEveryCommandRefuses(
            catalog, folder: folder.rootString + "/state", tree: tree,
            expected: Self.message(catalog, catalog, uid: Int(geteuid()), mode: "0600", "it has 2 names, so it can be changed through another"))
        #expect(try FolderState(elsewhere.rootString) == other)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"), arguments: ["-wal", "-shm", ".lock"])
    func aFileBesideTheCatalogOwnedByAnotherUserIsRefused(suffix: String) throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let beside = catalog + suffix
        if !FileManager.default.fileExists(atPath: beside) {
            try Data().write(to: URL(fileURLWithPath: beside))
            #expect(chmod(beside, 0o600) == 0)
        }
        #expect(chown(beside, 65534, 65534) == 0)
        let state = try FolderState(folder.rootString + "/state")
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(catalog, beside, uid: 65534, mode: "0600", "another user owns it") + "\n")
        #expect(try FolderState(folder.rootString + "/state") == state)
    }

    @Test(arguments: ["-wal", "-shm", ".lock"])
    func aFileBesideTheCatalogWithASecondNameOrWritableByOthersIsRefused(suffix: String) throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let beside = catalog + suffix
        if !FileManager.default.fileExists(atPath: beside) { try Data().write(to: URL(fileURLWithPath: beside)) }
        #expect(chmod(beside, 0o602) == 0)
        let writable = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(writable.status == 2)
        #expect(writable.standardError == Self.message(catalog, beside, uid: Int(geteuid()), mode: "0602", "group or others may write to it") + "\n")

        #expect(chmod(beside, 0o600) == 0)
        let elsewhere = try TestTree()
        #expect(link(beside, elsewhere.rootString + "/second") == 0)
        let state = try FolderState(folder.rootString + "/state")
        let twice = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(twice.status == 2)
        #expect(twice.standardError == Self.message(catalog, beside, uid: Int(geteuid()), mode: "0600", "it has 2 names, so it can be changed through another") + "\n")
        #expect(try FolderState(folder.rootString + "/state") == state)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func aSymbolicLinkOnThePathLeadsToFoldersThatAreCheckedToo() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("theirs/private")
        #expect(chown(folder.rootString + "/theirs", 65534, 65534) == 0)
        try folder.symlink(folder.rootString + "/theirs/private", "mine")
        let catalog = folder.rootString + "/mine/catalog.sqlite"
        let result = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError == Self.message(catalog, folder.rootString + "/theirs", uid: 65534, mode: "0755", "another user owns it") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.rootString + "/theirs/private").isEmpty)

        // A link that only the user can change, to a folder only the user can change, is fine.
        #expect(chown(folder.rootString + "/theirs", 0, 0) == 0)
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
    }

    @Test func aCatalogThatIsASymbolicLinkIsRefused() throws {
        let tree = try Self.tree()
        let (folder, catalog) = try Self.folderWithACatalog(scanning: tree)
        let linked = folder.rootString + "/state/linked.sqlite"
        #expect(symlink(catalog, linked) == 0)
        let result = try CLI.run("scan", "--catalog", linked, tree.rootString)
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("dupelink: catalog \(linked): not trusted: \(linked) is owned by uid \(geteuid()) and mode 0777 (it is a symbolic link"))
    }

    @Test func aRelativeCatalogPathIsCheckedFromTheWorkingDirectoryUp() throws {
        let tree = try Self.tree()
        let folder = try TestTree()
        try folder.makeDirectory("shared/mine")
        #expect(chmod(folder.rootString + "/shared", 0o707) == 0)
        #expect(chmod(folder.rootString + "/shared/mine", 0o700) == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["scan", "--catalog", "catalog.sqlite", tree.rootString]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.rootString + "/shared/mine")
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(message == Self.message("catalog.sqlite", folder.rootString + "/shared", uid: Int(geteuid()), mode: "0707", "group or others may write to it") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.rootString + "/shared/mine").isEmpty)
    }
}
