import DupelinkTestSupport
import Glibc
import SystemPackage
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The readers of a scan (head and tail, content) open only what lies below the roots: a
/// directory swapped for a symbolic link to a look-alike outside, between the walk and the read,
/// makes the file "changed", and nothing outside is opened, file or directory.
@Suite struct ReadConfinementTests {
    /// A tree `root/d/sub/{x,y}` walked, then `root/d` swapped for a link to `outside/d`, which
    /// holds the same names and bytes.
    func walkThenSwap() throws -> (tree: TestTree, walk: WalkResult) {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5000, seed: 31)
        for name in ["d/x", "d/y", "d/sub/x", "d/sub/y"] {
            try tree.write("root/" + name, bytes)
            try tree.write("outside/" + name, bytes)
        }
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.path("root")])
        #expect(walk.files.count == 4)
        #expect(withCPath(tree.path("root/d")) { real in withCPath(tree.path("away")) { rename(real, $0) } } == 0)
        try tree.symlink(tree.rootString + "/outside/d", "root/d")
        return (tree, walk)
    }

    @Test func aFileOpenedByItsPathDoesNotFollowADirectorySwappedForASymbolicLink() throws {
        let (tree, walk) = try walkThenSwap()
        let watcher = try OpenWatcher(root: tree.path("outside"), countingDirectories: true)
        let opener = FileOpener(table: walk.table, files: walk.files)
        for index in walk.files.indices {
            // A fresh cache each time: the first file of a directory is opened by its path.
            #expect(throws: DupelinkError.self) { try opener.open(Int32(index), directories: DirectoryCache()) }
        }
        #expect(watcher.openedFiles() == [])
    }

    @Test func aDirectoryOpenedByItsPathDoesNotFollowADirectorySwappedForASymbolicLink() throws {
        let (tree, walk) = try walkThenSwap()
        let watcher = try OpenWatcher(root: tree.path("outside"), countingDirectories: true)
        let opener = FileOpener(table: walk.table, files: walk.files)
        // One cache for all: the second file asked for in a directory opens the directory by its path.
        let cache = DirectoryCache()
        for index in Array(walk.files.indices) + Array(walk.files.indices) {
            #expect(throws: DupelinkError.self) { try opener.open(Int32(index), directories: cache) }
        }
        #expect(watcher.openedFiles() == [])
    }

    @Test func filesBelowARootNamedThroughASymbolicLinkAreStillRead() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5000, seed: 32)
        try tree.write("real/d/x", bytes)
        try tree.write("real/d/y", bytes)
        try tree.symlink(tree.rootString + "/real", "named")
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.path("named")])
        let opener = FileOpener(table: walk.table, files: walk.files)
        let cache = DirectoryCache()
        for index in Array(walk.files.indices) + Array(walk.files.indices) {
            let (descriptor, status) = try opener.open(Int32(index), directories: cache)
            #expect(status.size == 5000)
            try descriptor.close()
        }
    }
}
