@_spi(Stages) @testable import DupelinkCore
import Foundation
import Glibc
import Testing

/// The linker leaves alone anything that is not what was compared.
extension LinkerTests {
    /// Ways a duplicate can change between the compare and the link.
    enum DuplicateChange: String, CaseIterable, Sendable, CustomStringConvertible {
        case rewrittenInPlaceSameSize, appended, truncated, replacedByRename, replacedBySymbolicLink
        var description: String { rawValue }
    }

    /// A keeper at `scan/keep` (older, so it is kept) and a duplicate at `scan/dup`.
    static func makeKeeperAndDuplicate(_ tree: LinkTestTree, content: [UInt8]) throws {
        try tree.write("scan/keep", content)
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, tree.path("scan/keep"), &times, 0) == 0 else {
            throw LinkTestTree.failure("utimensat", tree.path("scan/keep"))
        }
        try tree.write("scan/dup", content)
    }

    /// Opens an existing file for writing without truncating it.
    static func openForWriting(_ path: String, flags: Int32 = 0) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | flags)
        guard descriptor >= 0 else { throw LinkTestTree.failure("open", path) }
        return descriptor
    }

    @Test(arguments: DuplicateChange.allCases)
    func linkRefusesWhenDuplicateChangedSinceCompare(_ change: DuplicateChange) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 20, count: 8192)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        try tree.write("outside-target", content)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let keeperBefore = Snapshot(try tree.status("scan/keep"))
        let dup = tree.path("scan/dup")
        // A change made now gets file times later than the snapshot's.
        let snapshot = try #require(scan.classes.first?.members.first { $0.names.contains(scan.fileIndex(dup) ?? -1) }?.status)
        LinkTestTree.waitForFileClock(toPass: snapshot.changeTime)

        switch change {
        case .rewrittenInPlaceSameSize:
            let descriptor = try Self.openForWriting(dup)
            try LinkTestTree.writeAll(descriptor, LinkTestTree.content(seed: 21, count: 8192), path: dup)
            close(descriptor)
        case .appended:
            let descriptor = try Self.openForWriting(dup, flags: O_APPEND)
            try LinkTestTree.writeAll(descriptor, [1], path: dup)
            close(descriptor)
        case .truncated:
            guard truncate(dup, 100) == 0 else { throw LinkTestTree.failure("truncate", dup) }
        case .replacedByRename:
            // Same bytes, but not the inode that was compared.
            try tree.write("scan-new", content)
            guard rename(tree.path("scan-new"), dup) == 0 else { throw LinkTestTree.failure("rename", dup) }
        case .replacedBySymbolicLink:
            guard unlink(dup) == 0, symlink(tree.path("outside-target"), dup) == 0 else {
                throw LinkTestTree.failure("symlink", dup)
            }
        }
        let changed = try tree.status("scan/dup")
        let changedContent = change == .replacedBySymbolicLink ? nil : try tree.read("scan/dup")
        let outsideBefore = Snapshot(try tree.status("outside-target"))

        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.count == 1)
        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.code) == [.fileChanged])
        #expect(Self.skips(outcome).map(\.path) == [dup])
        #expect(Snapshot(try tree.status("scan/dup")) == Snapshot(changed))
        if let changedContent { #expect(try tree.read("scan/dup") == changedContent) }
        #expect(Snapshot(try tree.status("scan/keep")) == keeperBefore)
        #expect(Snapshot(try tree.status("outside-target")) == outsideBefore)
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func linkRefusesWhenKeeperChangedSinceCompare() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 22, count: 8192)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let keep = tree.path("scan/keep")
        let descriptor = try Self.openForWriting(keep, flags: O_APPEND)
        try LinkTestTree.writeAll(descriptor, [7], path: keep)
        close(descriptor)
        let before = try Self.snapshots(tree)

        let (_, outcome) = Self.link(scan)

        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.code) == [.fileChanged])
        #expect(Self.skips(outcome).map(\.path) == [keep])
        #expect(try Self.snapshots(tree) == before)
        #expect(try tree.read("scan/dup") == content)
    }

    /// Which directory is swapped after the scan, and for what.
    enum DirectorySwap: String, CaseIterable, Sendable, CustomStringConvertible {
        case duplicateDirectoryForSymbolicLink, keeperDirectoryForSymbolicLink
        case duplicateDirectoryForOtherDirectory, keeperDirectoryForOtherDirectory
        var description: String { rawValue }
        var swapsKeeper: Bool { self == .keeperDirectoryForSymbolicLink || self == .keeperDirectoryForOtherDirectory }
        var usesSymbolicLink: Bool { self == .duplicateDirectoryForSymbolicLink || self == .keeperDirectoryForSymbolicLink }
    }

    @Test(arguments: DirectorySwap.allCases)
    func linkNeverTouchesOutsideFilesWhenParentDirectoryIsSwapped(_ swap: DirectorySwap) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 23, count: 4096)
        try tree.write("scan/kdir/keep", content)
        try tree.write("scan/ddir/dup", content)
        // The same names, with the same bytes, outside the scanned root.
        try tree.write("outside/keep", content)
        try tree.write("outside/dup", content)
        try tree.write("outside/other", LinkTestTree.content(seed: 24, count: 10))
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let swapped = swap.swapsKeeper ? "scan/kdir" : "scan/ddir"
        guard rename(tree.path(swapped), tree.path("moved")) == 0 else { throw LinkTestTree.failure("rename", tree.path(swapped)) }
        if swap.usesSymbolicLink {
            guard symlink(tree.path("outside"), tree.path(swapped)) == 0 else { throw LinkTestTree.failure("symlink", tree.path(swapped)) }
        } else {
            guard rename(tree.path("outside"), tree.path(swapped)) == 0 else { throw LinkTestTree.failure("rename", tree.path(swapped)) }
        }
        let before = try Self.snapshots(tree)
        let contents = try Dictionary(uniqueKeysWithValues: tree.entries().filter { !$0.hasSuffix(swapped) }.map { ($0, try tree.read($0)) })

        let (plan, outcome) = Self.link(scan)

        #expect(plan.actions.count == 1)
        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.code) == [.directoryChanged])
        #expect(try Self.snapshots(tree) == before)
        for (entry, bytes) in contents { #expect(try tree.read(entry) == bytes, "\(entry)") }
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test(arguments: [true, false])
    func linkLeavesNoTemporaryNameWhenReplacementFails(usesExchange: Bool) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 25, count: 4096)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        try tree.write("scan/other-dup", content)
        // The duplicate is made immutable right before the swap, after every check (an immutable
        // file is refused before anything is made): the keeper is linked to a temporary name
        // next to it, then the exchange (or the backup link and rename) fails with EPERM, and
        // the temporary name must go.
        guard Self.runChattr("+i", tree.path("scan/other-dup")), Self.runChattr("-i", tree.path("scan/other-dup")) else {
            try Test.cancel("chattr +i is not available on \(tree.root)")
        }
        defer { _ = Self.runChattr("-i", tree.path("scan/dup")) }
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let duplicateBefore = Snapshot(try tree.status("scan/dup"))
        var linker = Linker()
        linker.usesExchange = usesExchange
        let duplicatePath = tree.path("scan/dup")
        linker.beforeSwap = { path in
            if String(decoding: path, as: UTF8.self) == duplicatePath { _ = Self.runChattr("+i", duplicatePath) }
        }

        let (plan, outcome) = Self.link(scan, linker: linker)

        #expect(plan.actions.count == 2)
        #expect(Self.skips(outcome).map(\.code) == [.ioError])
        #expect(Self.skips(outcome).map(\.path) == [tree.path("scan/dup")])
        #expect(outcome.skipped.first?.error.errno == .notPermitted)
        #expect(outcome.replacements.map { scan.pathString($0.duplicate) } == [tree.path("scan/other-dup")])
        #expect(try tree.temporaryNames().isEmpty)
        // chattr +i changed the ctime (that is the test's doing); everything else is as it was.
        var duplicateAfter = Snapshot(try tree.status("scan/dup"))
        duplicateAfter.changeTime = duplicateBefore.changeTime
        #expect(duplicateAfter == duplicateBefore)
        #expect(try tree.read("scan/dup") == content)
        #expect(try Self.inode(tree, "scan/other-dup") == Self.inode(tree, "scan/keep"))
    }

    /// Ways a duplicate can change in the last window: after every check, before its name is swapped.
    enum LastMomentChange: String, CaseIterable, Sendable, CustomStringConvertible {
        case writtenThroughOpenDescriptor, replacedByRename, keeperWrittenThroughOpenDescriptor
        var description: String { rawValue }
    }

    @Test(arguments: LastMomentChange.allCases, [true, false])
    func linkPutsDuplicateBackWhenChangedBetweenCheckAndSwap(_ change: LastMomentChange, usesExchange: Bool) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let content = LinkTestTree.content(seed: 26, count: 4096)
        let other = LinkTestTree.content(seed: 27, count: 4096)
        try Self.makeKeeperAndDuplicate(tree, content: content)
        try tree.write("intruder", other)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let dup = tree.path("scan/dup")
        let intruder = tree.path("intruder")
        let keep = tree.path("scan/keep")
        let duplicateInode = try Self.inode(tree, "scan/dup")
        let intruderInode = try Self.inode(tree, "intruder")
        let changeTime = try #require(scan.classes.first?.members.map(\.status.changeTime).max())
        var linker = Linker()
        linker.usesExchange = usesExchange
        // The writes below come from the linker's own thread: a lease would hold them 45 s.
        linker.usesLeases = false
        linker.beforeSwap = { path in
            guard String(decoding: path, as: UTF8.self) == dup else { return }
            LinkTestTree.waitForFileClock(toPass: changeTime)
            switch change {
            case .writtenThroughOpenDescriptor:
                // A program that had the file open writes into it, same size.
                let descriptor = open(dup, O_WRONLY | O_CLOEXEC)
                _ = other.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
                close(descriptor)
            case .replacedByRename:
                _ = rename(intruder, dup)
            case .keeperWrittenThroughOpenDescriptor:
                let descriptor = open(keep, O_WRONLY | O_CLOEXEC)
                _ = other.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
                close(descriptor)
            }
        }

        let (plan, outcome) = Self.link(scan, linker: linker)

        #expect(plan.actions.count == 1)
        #expect(outcome.replacements.isEmpty)
        #expect(Self.skips(outcome).map(\.code) == [.fileChanged])
        #expect(Self.skips(outcome).map(\.path) == [dup])
        // Each name holds exactly what the other program left there.
        let keeperWritten = change == .keeperWrittenThroughOpenDescriptor
        #expect(try tree.read("scan/dup") == (keeperWritten ? content : other))
        #expect(try Self.inode(tree, "scan/dup") == (change == .replacedByRename ? intruderInode : duplicateInode))
        #expect(try tree.read("scan/keep") == (keeperWritten ? other : content))
        #expect(try tree.status("scan/keep").st_nlink == 1)
        #expect(try tree.temporaryNames().isEmpty)
    }

    /// Runs `chattr flag path`; returns whether it succeeded.
    static func runChattr(_ flag: String, _ path: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [flag, path]
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
