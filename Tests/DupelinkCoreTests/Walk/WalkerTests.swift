import Glibc
import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

@Suite struct WalkerTests {
    func names(_ result: WalkResult, relativeTo tree: TestTree) -> [String] {
        result.files.map { record in
            let path = result.table.path(ofFile: record)
            return String(decoding: path.dropFirst(tree.root.count + 1), as: UTF8.self)
        }.sorted()
    }

    func walk(_ roots: [[UInt8]], _ configure: (inout WalkOptions) -> Void = { _ in }) -> WalkResult {
        var options = WalkOptions()
        configure(&options)
        return Walker(options: options).walk(roots: roots)
    }

    @Test func symbolicLinksToFilesAndDirectoriesAreNotFollowed() throws {
        let tree = try TestTree()
        let outside = try TestTree()
        try outside.write("secret/file", [1, 2, 3])
        try tree.write("real/file", [1, 2, 3])
        try tree.symlink(outside.rootString + "/secret", "link-to-dir")
        try tree.symlink(outside.rootString + "/secret/file", "link-to-file")
        try tree.symlink("real", "relative-dir-link")
        let result = walk([tree.root])
        #expect(names(result, relativeTo: tree) == ["real/file"])
        #expect(result.skippedSpecial == 3)
    }

    @Test func fifoSocketAndDeviceAreSkippedWithoutOpening() throws {
        let tree = try TestTree()
        try tree.write("file", [1])
        #expect(withCPath(tree.path("fifo")) { mkfifo($0, 0o644) } == 0)
        // A device node (1,3 is /dev/null) needs root, as CI runs; elsewhere only the FIFO and socket.
        let madeDevice = withCPath(tree.path("null")) { mknod($0, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) } == 0
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let socketPath = tree.path("socket")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        // Opening the FIFO for reading would block forever; finishing proves it was not opened.
        let result = walk([tree.root])
        #expect(names(result, relativeTo: tree) == ["file"])
        #expect(result.skippedSpecial == (madeDevice ? 3 : 2))
    }

    @Test func rootGivenTwiceOrNestedYieldsEachFileOnce() throws {
        let tree = try TestTree()
        try tree.write("a/b/one", [1])
        try tree.write("a/two", [2])
        let nested = tree.path("a/b")
        let forward = walk([tree.root, tree.root, nested])
        #expect(names(forward, relativeTo: tree) == ["a/b/one", "a/two"])
        let backward = walk([nested, tree.root + [UInt8(ascii: "/")]])
        #expect(backward.files.count == 2)
        let fileRoot = walk([tree.root, tree.path("a/two")])
        #expect(fileRoot.files.count == 2)
    }

    @Test func namesThatAreNotUTF8AreKeptByteForByte() throws {
        let tree = try TestTree()
        let name: [UInt8] = [0x66, 0xFF, 0xFE, 0x0A, 0x2D]  // "f", two invalid bytes, newline, "-"
        try tree.write(bytes: name, [9, 9])
        try tree.write("-leading-dash", [9, 9])
        let result = walk([tree.root])
        let paths = Set(result.files.map { result.table.path(ofFile: $0) })
        #expect(paths.contains(tree.path(name)))
        #expect(paths.contains(tree.path("-leading-dash")))
    }

    @Test func pathDeeperThanPathMaxIsWalked() throws {
        let tree = try TestTree()
        // 40 levels of 120-byte names: about 4,840 bytes, past PATH_MAX (4,096).
        let component = String(repeating: "d", count: 120)
        var directory = tree.root
        for _ in 0..<40 {
            directory += [UInt8(ascii: "/")] + Array(component.utf8)
            // mkdir relative to the parent would also do; a short path here keeps the test simple.
            let parent = withCPath(Array(directory.dropLast(component.count + 1))) { open($0, O_DIRECTORY | O_RDONLY) }
            _ = withCPath(Array(component.utf8)) { mkdirat(parent, $0, 0o755) }
            close(parent)
            if directory.count > 3000 { break }
        }
        // Continue below PATH_MAX with openat, since plain paths stop working there.
        var fd = withCPath(directory) { open($0, O_DIRECTORY | O_RDONLY) }
        #expect(fd >= 0)
        for _ in 0..<20 {
            _ = withCPath(Array(component.utf8)) { mkdirat(fd, $0, 0o755) }
            let next = withCPath(Array(component.utf8)) { openat(fd, $0, O_DIRECTORY | O_RDONLY) }
            close(fd)
            fd = next
        }
        let file = withCPath(Array("deep".utf8)) { openat(fd, $0, O_WRONLY | O_CREAT, 0o644) }
        _ = Glibc.write(file, "x", 1)
        close(file)
        close(fd)
        let result = walk([tree.root])
        #expect(result.diagnostics.isEmpty)
        #expect(result.files.count == 1)
        let path = result.table.path(ofFile: result.files[0])
        #expect(path.count > Int(PATH_MAX))
        #expect(path.suffix(5) == Array("/deep".utf8)[...])
    }

    @Test func sizeLimitsExcludesAndHiddenNamesFilterTheWalk() throws {
        let tree = try TestTree()
        try tree.write("empty", [])
        try tree.write("small", [1])
        try tree.write("big", [UInt8](repeating: 7, count: 5000))
        try tree.write("skip.tmp", [1, 2])
        try tree.write("cache/inside", [1, 2])
        try tree.write(".hidden", [1, 2])
        try tree.write(".dotdir/file", [1, 2])
        #expect(names(walk([tree.root]), relativeTo: tree) == [".dotdir/file", ".hidden", "big", "cache/inside", "skip.tmp", "small"])
        #expect(names(walk([tree.root]) { $0.minimumSize = 2; $0.maximumSize = 4999 }, relativeTo: tree)
            == [".dotdir/file", ".hidden", "cache/inside", "skip.tmp"])
        #expect(names(walk([tree.root]) { $0.excludes = ["*.tmp", tree.rootString + "/cache"] }, relativeTo: tree)
            == [".dotdir/file", ".hidden", "big", "small"])
        #expect(names(walk([tree.root]) { $0.includeHidden = false }, relativeTo: tree) == ["big", "cache/inside", "skip.tmp", "small"])
    }

    @Test func missingRootAndSpecialRootAreDiagnosedAndTheRestIsWalked() throws {
        let tree = try TestTree()
        try tree.write("x/file", [1])
        #expect(withCPath(tree.path("fifo")) { mkfifo($0, 0o644) } == 0)
        try tree.symlink(tree.rootString + "/x/file", "file-link")
        let result = walk([tree.path("missing"), tree.path("fifo"), tree.path("file-link"), tree.path("x")])
        #expect(result.files.count == 1)
        #expect(result.rootsScanned == 1)
        #expect(result.diagnostics.map(\.error.code) == [.badRoot, .badRoot, .badRoot])
        #expect(result.diagnostics[0].description.contains("No such file or directory"))
    }

    @Test func rootThatIsASymbolicLinkToADirectoryIsFollowed() throws {
        let tree = try TestTree()
        try tree.write("real/file", [1])
        try tree.symlink(tree.rootString + "/real", "alias")
        let result = walk([tree.path("alias")])
        #expect(result.files.count == 1)
        #expect(result.table.path(ofFile: result.files[0]) == tree.path("alias/file"))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func oneFileSystemDoesNotEnterAMountPoint() throws {
        let tree = try TestTree()
        try tree.write("here", [1])
        try tree.makeDirectory("mnt")
        try #require(run("/bin/mount", ["-t", "tmpfs", "tmpfs", tree.rootString + "/mnt"]) == 0)
        defer { run("/bin/umount", ["-l", tree.rootString + "/mnt"]) }
        try tree.write("mnt/there", [1])
        #expect(names(walk([tree.root]), relativeTo: tree) == ["here", "mnt/there"])
        #expect(names(walk([tree.root]) { $0.oneFileSystem = true }, relativeTo: tree) == ["here"])
    }
}
