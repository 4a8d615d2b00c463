@_spi(Stages) @testable import DupelinkCore
import Foundation
import Glibc
import Synchronization
import Testing

/// Filesystem boundaries and limits: devices, mounts, link counts, path lengths, and what other
/// programs see while the linker works.
extension LinkerTests {
    static let tmpfsMagic = 0x0102_1994

    @Test func linkRefusesAcrossFilesystemsAndLeavesBothUntouched() throws {
        guard LinkTestTree.filesystemMagic("/dev/shm") == Self.tmpfsMagic else {
            try Test.cancel("/dev/shm is not a tmpfs here")
        }
        let memory = try LinkTestTree(base: "/dev/shm")
        defer { memory.remove() }
        let disk = try LinkTestTree()
        defer { disk.remove() }
        guard try memory.status("").st_dev != disk.status("").st_dev else {
            try Test.cancel("/dev/shm and \(disk.root) are on one device")
        }
        let single = LinkTestTree.content(seed: 30, count: 6000)
        let pair = LinkTestTree.content(seed: 31, count: 7000)
        try memory.write("a", single)
        try disk.write("a", single)
        for tree in [memory, disk] {
            try tree.write("b1", pair)
            try tree.write("b2", pair)
        }
        let memoryBefore = Snapshot(try memory.status("a"))
        let diskBefore = Snapshot(try disk.status("a"))

        let scan = try LinkTestScan.scan([memory.root, disk.root])
        let (plan, outcome) = Self.link(scan)

        // One refusal for the lone copy on the other device; each device's pair links within itself.
        #expect(plan.refusals.map(\.reason) == [.differentFilesystem])
        // The bytes stay in use by blocks: those of the refused copy (tmpfs or ext4, whichever it is).
        let refused = try #require(plan.refusals.first)
        #expect(refused.bytes == Int64(try LinkTestTree.status(scan.pathString(refused.file)).st_blocks) * 512)
        #expect(refused.bytes >= 6000)
        #expect(plan.refusals.first?.diagnostic(in: scan).description.contains("not linked: on different filesystems") == true)
        #expect(plan.actions.count == 2)
        #expect(outcome.replacements.count == 2)
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(Snapshot(try memory.status("a")) == memoryBefore)
        #expect(Snapshot(try disk.status("a")) == diskBefore)
        #expect(try memory.read("a") == single && disk.read("a") == single)
        for tree in [memory, disk] {
            #expect(try Self.inode(tree, "b1") == Self.inode(tree, "b2"))
            #expect(try tree.temporaryNames().isEmpty)
        }
        // Never a symbolic link instead.
        #expect((try memory.status("a").st_mode & S_IFMT) == S_IFREG)
        #expect((try disk.status("a").st_mode & S_IFMT) == S_IFREG)
    }

    @Test func linkRefusesAcrossBindMountsOfOneFilesystem() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 32, count: 3000)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        // Move the duplicate into a directory reached only through a bind mount: one st_dev, two
        // mounts, so linkat fails with EXDEV.
        try tree.makeDirectory("real")
        try tree.makeDirectory("bound")
        guard rename(tree.path("scan/dup"), tree.path("real/dup")) == 0 else { throw LinkTestTree.failure("rename", tree.path("real/dup")) }
        guard mount(tree.path("real"), tree.path("bound"), nil, UInt(MS_BIND), nil) == 0 else {
            try Test.cancel("cannot bind-mount here: \(String(cString: strerror(errno)))")
        }
        defer { umount2(tree.path("bound"), Int32(MNT_DETACH)) }
        let fresh = try LinkTestScan.scan([tree.path("scan"), tree.path("bound")])
        let before = try Self.snapshots(tree)

        // The walk learnt the mounts: the planner refuses the pair.
        let planned = LinkPlanner.plan(fresh, options: LinkOptions())
        #expect(planned.actions.isEmpty)
        #expect(planned.refusals.map(\.reason) == [.otherMount])

        // A plan that does not know them (a table whose mounts could not be learnt again): the
        // linker refuses. A dry run already tells, from the mount ids; a real run from EXDEV.
        var scan = fresh
        for index in scan.table.directories.indices { scan.table.setMount(.unknown, ofDirectory: Int32(index)) }
        let (_, dryOutcome) = Self.link(scan, dryRun: true)
        #expect(dryOutcome.replacements.isEmpty)
        #expect(Self.skips(dryOutcome).map(\.code) == [.refused])
        #expect(dryOutcome.skipped.first?.error.detail == "not linked: on another mount of the same filesystem")
        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.count == 1)
        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.code) == [.refused])
        #expect(outcome.skipped.first?.error.detail == "not linked: on another mount of the same filesystem")
        #expect(try Self.snapshots(tree) == before)
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func linkRotatesKeeperWhenLinkLimitIsReached() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        guard LinkTestTree.filesystemMagic(tree.root) == LinkTestTree.ext4Magic else {
            try Test.cancel("the link limit of 65,000 is ext4's; \(tree.root) is not on ext4")
        }
        let content = LinkTestTree.content(seed: 33, count: 512)
        try tree.write("scan/keep", content)
        for index in 1...4 { try tree.write("scan/d\(index)", content) }
        // 64,998 names outside the root make scan/keep the keeper with 64,999 links: d1 takes it
        // to ext4's limit of 65,000, d2 meets EMLINK and becomes the keeper of d3 and d4.
        try tree.makeDirectory("links")
        let keep = tree.path("scan/keep")
        for index in 0..<64_998 {
            guard Glibc.link(keep, tree.path("links/\(index)")) == 0 else { throw LinkTestTree.failure("link", tree.path("links/\(index)")) }
        }
        let keeper = try Self.inode(tree, "scan/keep")
        let scan = try LinkTestScan.scan([tree.path("scan")])

        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.map { scan.pathString($0.keeper) } == Array(repeating: keep, count: 4))
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(outcome.rotations.map { scan.pathString($0.previousKeeper) } == [keep])
        #expect(outcome.rotations.map { scan.pathString($0.newKeeper) } == [tree.path("scan/d2")])
        #expect(outcome.replacements.map { scan.pathString($0.duplicate) } == ["d1", "d3", "d4"].map { tree.path("scan/" + $0) })
        // By blocks, what df shows: each 512-byte duplicate took a whole block.
        #expect(outcome.bytesFreed == 3 * (try tree.allocatedBytes("scan/keep")))
        #expect(outcome.apparentBytesFreed == 3 * 512)
        #expect(try tree.status("scan/keep").st_nlink == 65_000)
        #expect(try Self.inode(tree, "scan/d1") == keeper)
        #expect(try Self.inode(tree, "scan/d3") == Self.inode(tree, "scan/d2"))
        #expect(try Self.inode(tree, "scan/d4") == Self.inode(tree, "scan/d2"))
        for entry in ["keep", "d1", "d2", "d3", "d4"] { #expect(try tree.read("scan/" + entry) == content) }
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func linkReplacesDuplicateDeeperThanPathMax() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 34, count: 2000)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        guard unlink(tree.path("scan/dup")) == 0 else { throw LinkTestTree.failure("unlink", tree.path("scan/dup")) }
        // 20 directories of 240 bytes: the duplicate's path is about 4,900 bytes long.
        let component = String(repeating: "d", count: 240)
        var descriptor = open(tree.path("scan"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        for _ in 0..<20 {
            guard mkdirat(descriptor, component, 0o755) == 0 else { throw LinkTestTree.failure("mkdirat", component) }
            let next = openat(descriptor, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(descriptor)
            guard next >= 0 else { throw LinkTestTree.failure("openat", component) }
            descriptor = next
        }
        defer { close(descriptor) }
        let file = openat(descriptor, "dup", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw LinkTestTree.failure("openat", "dup") }
        try LinkTestTree.writeAll(file, content, path: "dup")
        close(file)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let deep = try #require(scan.files.indices.first { scan.path(ofFile: Int32($0)).count > 4096 })

        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.map(\.duplicate) == [Int32(deep)])
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(outcome.replacements.count == 1)
        var status = stat()
        #expect(fstatat(descriptor, "dup", &status, AT_SYMLINK_NOFOLLOW) == 0)
        #expect(UInt64(status.st_ino) == (try Self.inode(tree, "scan/keep")))
        let names = try Self.names(in: descriptor)
        #expect(names == ["dup"])
    }

    /// The names in an open directory, sorted.
    static func names(in descriptor: Int32) throws -> [String] {
        let copy = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let stream = fdopendir(copy) else { throw LinkTestTree.failure("opendir", ".") }
        defer { closedir(stream) }
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { pointer in
                    String(decoding: UnsafeBufferPointer(start: pointer, count: strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))), as: UTF8.self)
                }
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result.sorted()
    }

    /// The names in the queued inotify events (removals and writes), read without blocking.
    static func removedOrWrittenNames(_ descriptor: Int32) throws -> [String] {
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EAGAIN { return names }
                throw LinkTestTree.failure("read", "inotify")
            }
            // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
            var offset = 0
            while offset + 16 <= count {
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                let name = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                names.append(String(decoding: name, as: UTF8.self))
                offset += 16 + length
            }
        }
    }

    /// What an observer thread saw while the linker ran.
    final class Observer: Sendable {
        let stop = Atomic<Bool>(false)
        let finished = Atomic<Int>(0)
        let passes = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let problems = Mutex<[String]>([])

        /// Opens and reads every path in a loop until told to stop.
        func read(_ expected: [(path: String, content: [UInt8])]) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stop.load(ordering: .acquiring) {
                for (path, content) in expected {
                    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                    guard descriptor >= 0 else {
                        let reason = String(cString: strerror(errno))
                        problems.withLock { $0.append("\(path): \(reason)") }
                        continue
                    }
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                    close(descriptor)
                    if count != content.count || !buffer[0..<max(count, 0)].elementsEqual(content) {
                        problems.withLock { $0.append("\(path): read \(count) bytes, not the expected content") }
                    }
                    reads.add(1, ordering: .relaxed)
                }
                passes.add(1, ordering: .releasing)
            }
            finished.add(1, ordering: .releasing)
        }

        /// Checks that every path exists, in a tighter loop than `read` can, until told to stop:
        /// a window of microseconds in which a name is missing is seen here first.
        func look(_ paths: [String]) {
            var status = stat()
            while !stop.load(ordering: .acquiring) {
                for path in paths where lstat(path, &status) != 0 {
                    let reason = String(cString: strerror(errno))
                    problems.withLock { $0.append("\(path): \(reason)") }
                }
            }
            finished.add(1, ordering: .releasing)
        }
    }

    @Test(arguments: [true, false])
    func observerNeverSeesMissingFileOrOtherContentWhileLinking(usesExchange: Bool) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        var expected: [(path: String, content: [UInt8])] = []
        for index in 0..<300 {
            let content = LinkTestTree.content(seed: 1000 + index, count: 64 + index % 100)
            for side in ["a", "b"] {
                let relative = "scan/d\(index % 10)/\(side)\(index)"
                try tree.write(relative, content)
                expected.append((tree.path(relative), content))
            }
        }
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let plan = LinkPlanner.plan(scan, options: LinkOptions())
        var linker = Linker()
        linker.usesExchange = usesExchange

        // One thread reads every file and compares its bytes; another only checks that every name
        // exists, in a faster loop. Replacing by unlink and link, or by unlink and rename, is
        // caught by either (the test was checked against such a linker).
        let observer = Observer()
        let paths = expected
        // And the kernel's own account: inotify reports every name removed (not merely renamed
        // over) and every write, however short the window.
        let events = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard events >= 0 else { throw LinkTestTree.failure("inotify_init1", tree.root) }
        defer { close(events) }
        for directory in 0..<10 {
            guard inotify_add_watch(events, tree.path("scan/d\(directory)"), UInt32(IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE)) >= 0 else {
                throw LinkTestTree.failure("inotify_add_watch", tree.path("scan/d\(directory)"))
            }
        }
        Thread { observer.read(paths) }.start()
        Thread { observer.look(paths.map(\.path)) }.start()
        while observer.passes.load(ordering: .acquiring) < 1 {}
        let readsBefore = observer.reads.load(ordering: .relaxed)
        let outcome = linker.execute(plan, scan: scan, dryRun: false)
        let readsDuring = observer.reads.load(ordering: .relaxed) - readsBefore
        observer.stop.store(true, ordering: .releasing)
        while observer.finished.load(ordering: .acquiring) < 2 {}

        #expect(outcome.replacements.count == 300)
        #expect(outcome.skipped.isEmpty, "\(outcome.skipped.prefix(3))")
        #expect(readsDuring > 0)
        let problems = observer.problems.withLock { $0 }
        #expect(problems.isEmpty, "\(problems.count) bad reads, first: \(problems.prefix(3))")
        let removals = try Self.removedOrWrittenNames(events).filter { !$0.hasPrefix(".dupelink.") }
        #expect(removals.isEmpty, "names removed or written: \(removals.prefix(3))")
        for index in 0..<300 {
            #expect(try Self.inode(tree, "scan/d\(index % 10)/a\(index)") == Self.inode(tree, "scan/d\(index % 10)/b\(index)"))
        }
        #expect(try tree.temporaryNames().isEmpty)
    }
}
