import Glibc
import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The shared reader opens the files the walk found, never through what replaced them since.
@Suite struct FileOpenerTests {
    @Test func aDirectorySwappedForASymbolicLinkAfterTheWalkIsNotReadThrough() throws {
        let tree = try TestTree()
        let outside = try TestTree()
        let bytes = patternBytes(count: 5000, seed: 1)
        try tree.write("sub/file", bytes)
        try outside.write("file", bytes)
        let walk = Walker(options: WalkOptions()).walk(roots: [tree.root])
        // Swap the walked directory for a symbolic link to a look-alike outside the tree.
        #expect(withCPath(tree.path("sub")) { from in withCPath(tree.path("sub-old")) { rename(from, $0) } } == 0)
        try tree.symlink(outside.rootString, "sub")
        let opener = FileOpener(table: walk.table, files: walk.files)
        #expect(throws: DupelinkError.self) { try opener.open(0, directories: DirectoryCache()) }
        // Swap it for another real directory holding the same name: the identity check refuses it.
        _ = withCPath(tree.path("sub")) { unlink($0) }
        try tree.write("sub/file", bytes)
        do {
            _ = try opener.open(0, directories: DirectoryCache())
            Issue.record("opened a file through a replaced directory")
        } catch {
            // Opened by its path, the look-alike is another inode; through a kept directory, the
            // directory's identity differs. Either way it is refused as changed.
            #expect(error.code == .fileChanged || error.code == .directoryChanged)
        }
    }
}
