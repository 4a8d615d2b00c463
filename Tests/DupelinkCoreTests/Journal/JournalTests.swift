import CLinux
import DupelinkTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@_spi(Stages) @testable import DupelinkCore

/// The journal and crash recovery on real trees. In `LinkerTests` (serialized) because the linker
/// checks the process-wide cancellation flag that some of those tests raise.
extension LinkerTests {
    /// A process identity no running process has: recovery treats its runs as crashed.
    static let deadProcess = ProcessIdentity(processID: Int32.max - 7, startTime: 1, bootID: "")

    @Test func journalCommitsEachReplacementBeforeTheSwapWithTheOldInodeOwnerModeAndTime() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalogPath = folder.child("catalog.sqlite")
        let content = LinkTestTree.content(seed: 40, count: 5000)
        try tree.write("scan/keep", content)
        // 0664 handed to the keeper's 0644 narrows access, which --ignore-mode allows.
        try tree.write("scan/sub/dup", content, mode: 0o664)
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_200_000_000, tv_nsec: 123_456_789)]
        #expect(utimensat(AT_FDCWD, tree.path("scan/sub/dup"), &times, 0) == 0)
        times[1] = timespec(tv_sec: 900_000_000, tv_nsec: 0)
        #expect(utimensat(AT_FDCWD, tree.path("scan/keep"), &times, 0) == 0)
        let dupBefore = try tree.status("scan/sub/dup")
        let keepBefore = try tree.status("scan/keep")
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let catalog = try Catalog.open(at: catalogPath)
        let journal = try LinkJournal.begin(catalog: catalog, roots: [Array(tree.path("scan").utf8)], isDryRun: false)

        // Right before the swap, another connection must already see the committed pending entry.
        let seenBeforeSwap = Mutex<[JournalEntry]>([])
        let runID = journal.runID
        var linker = Linker()
        linker.beforeSwap = { _ in
            guard let other = try? Catalog.open(at: catalogPath),
                let entries = try? other.journalEntries(runID: runID)
            else { return }
            seenBeforeSwap.withLock { $0 = entries }
        }
        let plan = LinkPlanner.plan(scan, options: LinkOptions(ignoreMode: true))
        let outcome = linker.execute(plan, scan: scan, dryRun: false, journal: journal)
        try journal.finish(outcome)

        #expect(outcome.replacements.count == 1)
        let pending = seenBeforeSwap.withLock { $0 }
        #expect(pending.map(\.state) == [.pending])
        #expect(pending.first.map { JournalPaths.isTemporaryName($0.temporaryName) } == true)

        let entries = try catalog.journalEntries(runID: journal.runID)
        try #require(entries.count == 1)
        let entry = entries[0]
        #expect(entry.state == .done)
        #expect(entry.kind == .link)
        #expect(entry.path == Array(tree.path("scan/sub/dup").utf8))
        #expect(entry.keeperPath == Array(tree.path("scan/keep").utf8))
        #expect(entry.rootLength == tree.path("scan").utf8.count)
        #expect(entry.before.id.inode == UInt64(dupBefore.st_ino))
        #expect(entry.before.id.device == UInt64(dupBefore.st_dev))
        #expect(entry.before.userID == dupBefore.st_uid && entry.before.groupID == dupBefore.st_gid)
        #expect(entry.before.permissions == 0o664)
        #expect(entry.before.modificationTime == 1_200_000_000_123_456_789)
        #expect(entry.before.size == 5000)
        #expect(entry.after?.id.inode == UInt64(keepBefore.st_ino))
        #expect(entry.after?.modificationTime == 900_000_000_000_000_000)
        // Freed by blocks, what df shows: the old duplicate's.
        #expect(entry.bytesFreed == Int64(dupBefore.st_blocks) * 512)
        #expect(entry.temporaryName == pending.first?.temporaryName)

        let run = try #require(try catalog.journalRun(id: journal.runID))
        #expect(run.command == .link && run.status == .completed && !run.isDryRun)
        #expect(run.filesChanged == 1 && run.bytesFreed == Int64(dupBefore.st_blocks) * 512)
        #expect(run.roots == [Array(tree.path("scan").utf8)])
        #expect(run.process.processID == getpid())
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func recoveryRemovesOnlyTemporaryNamesItRecognisesAndSettlesTheirEntries() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let content = LinkTestTree.content(seed: 41, count: 3000)
        // Three replacements killed at different moments, each of a duplicate d<n> by keeper k.
        try tree.write("dir/k", content)
        for index in 1...3 { try tree.write("dir/d\(index)", content) }
        let directory = try FileStatus(statusOf: tree.path("dir"))
        let keeper = try FileStatus(statusOf: tree.path("dir/k"))
        let run = try catalog.beginJournalRun(
            command: .link, roots: [Array(tree.path("dir").utf8)], isDryRun: false, process: Self.deadProcess,
            workingDirectory: Array("/".utf8), startedAt: 1)
        func entry(_ position: Int, _ duplicate: String, temporary: String) throws -> JournalEntry {
            JournalEntry(
                runID: run, position: position, kind: .link, state: .pending, recordedAt: 1,
                path: Array(tree.path("dir/\(duplicate)").utf8), rootLength: tree.path("dir").utf8.count,
                directory: directory.id, keeperPath: Array(tree.path("dir/k").utf8),
                before: try FileStatus(statusOf: tree.path("dir/\(duplicate)")), after: keeper,
                temporaryName: Array(temporary.utf8))
        }
        // 1: the keeper was linked to its temporary name, the swap not done.
        let first = try entry(0, "d1", temporary: ".dupelink.4000.1.tmp")
        try tree.link("dir/k", "dir/.dupelink.4000.1.tmp")
        // 2: swapped, the temporary name (now the old duplicate) not yet removed.
        let second = try entry(1, "d2", temporary: ".dupelink.4000.2.tmp")
        try tree.link("dir/k", "dir/.dupelink.4000.2.tmp")
        #expect(dl_renameat2(AT_FDCWD, tree.path("dir/.dupelink.4000.2.tmp"), AT_FDCWD, tree.path("dir/d2"), 2) == 0)
        // 3: recorded, and then somebody else's file appeared under the temporary name.
        let third = try entry(2, "d3", temporary: ".dupelink.4000.3.tmp")
        try tree.write("dir/.dupelink.4000.3.tmp", Array("someone else's".utf8))
        // Not in the journal at all, though named like one of ours.
        try tree.write("dir/.dupelink.1.1.tmp", Array("a user's file".utf8))
        for item in [first, second, third] { try catalog.recordJournalEntry(item, settling: []) }

        let report = try JournalRecovery.recover(catalog: catalog)

        #expect(report.crashedRuns == [run])
        #expect(Set(report.removedNames) == [Array(tree.path("dir/.dupelink.4000.1.tmp").utf8), Array(tree.path("dir/.dupelink.4000.2.tmp").utf8)])
        #expect(report.diagnostics.map(\.error.path) == [Array(tree.path("dir/.dupelink.4000.3.tmp").utf8)])
        #expect(try tree.temporaryNames() == ["dir/.dupelink.1.1.tmp", "dir/.dupelink.4000.3.tmp"])
        #expect(try tree.read("dir/.dupelink.1.1.tmp") == Array("a user's file".utf8))
        #expect(try tree.read("dir/.dupelink.4000.3.tmp") == Array("someone else's".utf8))
        for index in 1...3 { #expect(try tree.read("dir/d\(index)") == content) }
        #expect(try Self.inode(tree, "dir/d1") == first.before.id.inode)
        #expect(try Self.inode(tree, "dir/d2") == keeper.id.inode)
        let states = try catalog.journalEntries(runID: run).map(\.state)
        #expect(states == [.failed, .done, .failed])
        #expect(try catalog.journalEntries(runID: run).allSatisfy(\.wasRecovered))
        #expect(try catalog.journalRun(id: run)?.status == .crashed)
        #expect(try catalog.journalRun(id: run)?.filesChanged == 1)
        // By blocks: the swapped duplicate d2 whose old inode recovery removed.
        #expect(try catalog.journalRun(id: run)?.bytesFreed == second.before.allocatedBytes)
        // Nothing is left pending, so a second recovery has nothing to do.
        #expect(try JournalRecovery.recover(catalog: catalog).removedNames.isEmpty)
    }

    @Test func recoveryKeepsTheReplacedFileWhenTheKeptOneChangedAfterTheSwap() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let content = LinkTestTree.content(seed: 44, count: 3000)
        try tree.write("dir/k", content)
        try tree.write("dir/d", content)
        let keeper = try FileStatus(statusOf: tree.path("dir/k"))
        let duplicate = try FileStatus(statusOf: tree.path("dir/d"))
        let run = try catalog.beginJournalRun(
            command: .link, roots: [], isDryRun: false, process: Self.deadProcess, workingDirectory: [], startedAt: 1)
        try catalog.recordJournalEntry(
            JournalEntry(
                runID: run, position: 0, kind: .link, state: .pending, recordedAt: 1, path: Array(tree.path("dir/d").utf8),
                rootLength: 0, directory: try FileStatus(statusOf: tree.path("dir")).id, keeperPath: [], before: duplicate,
                after: keeper, temporaryName: Array(".dupelink.4003.1.tmp".utf8)),
            settling: [])
        // Swapped, then the kept file was written to before the process died.
        try tree.link("dir/k", "dir/.dupelink.4003.1.tmp")
        #expect(dl_renameat2(AT_FDCWD, tree.path("dir/.dupelink.4003.1.tmp"), AT_FDCWD, tree.path("dir/d"), 2) == 0)
        LinkTestTree.waitForFileClock(toPass: keeper.modificationTime)
        let appended = open(tree.path("dir/k"), O_WRONLY | O_APPEND)
        try #require(appended >= 0)
        _ = write(appended, "more", 4)
        close(appended)

        let report = try JournalRecovery.recover(catalog: catalog)

        #expect(report.removedNames.isEmpty)
        #expect(report.diagnostics.map(\.error.path) == [Array(tree.path("dir/.dupelink.4003.1.tmp").utf8)])
        #expect(try tree.read("dir/.dupelink.4003.1.tmp") == content)
        #expect(try catalog.journalEntries(runID: run).map(\.state) == [.done])
    }

    @Test func recoveryLeavesTheEntriesOfARunningProcessAlone() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let content = LinkTestTree.content(seed: 42, count: 100)
        try tree.write("dir/k", content)
        try tree.write("dir/d", content)
        try tree.link("dir/k", "dir/.dupelink.4001.1.tmp")
        let run = try catalog.beginJournalRun(
            command: .link, roots: [], isDryRun: false, process: .current(), workingDirectory: [], startedAt: 1)
        try catalog.recordJournalEntry(
            JournalEntry(
                runID: run, position: 0, kind: .link, state: .pending, recordedAt: 1,
                path: Array(tree.path("dir/d").utf8), rootLength: 0, directory: try FileStatus(statusOf: tree.path("dir")).id,
                keeperPath: [], before: try FileStatus(statusOf: tree.path("dir/d")),
                after: try FileStatus(statusOf: tree.path("dir/k")), temporaryName: Array(".dupelink.4001.1.tmp".utf8)),
            settling: [])

        let report = try JournalRecovery.recover(catalog: catalog)

        #expect(report.crashedRuns.isEmpty && report.removedNames.isEmpty)
        #expect(try tree.temporaryNames() == ["dir/.dupelink.4001.1.tmp"])
        #expect(try catalog.journalEntries(runID: run).map(\.state) == [.pending])
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func linkerChangesNothingOnceTheJournalCannotBeWritten() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let small = try TemporaryFolder()
        // mode=0700: a tmpfs root is 1777 by default, and a catalog's own folder must be private.
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", small.path]) == 0)
        defer { run("/bin/umount", ["-l", small.path]) }
        let content = LinkTestTree.content(seed: 43, count: 2000)
        for index in 0..<5 { try tree.write("scan/f\(index)", content) }
        let before = try Self.snapshots(tree)
        let scan = try LinkTestScan.scan([tree.path("scan")])
        let catalog = try Catalog.open(at: small.child("catalog.sqlite"))
        defer { try? catalog.close() }
        let journal = try LinkJournal.begin(catalog: catalog, roots: [], isDryRun: false)
        // Fill the catalog's filesystem: the next journal write fails with SQLITE_FULL.
        let filler = open(small.path + "/filler", O_WRONLY | O_CREAT, 0o600)
        try #require(filler >= 0)
        let block = [UInt8](repeating: 0xAB, count: 4096)
        while block.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
        close(filler)

        let outcome = Linker().execute(LinkPlanner.plan(scan, options: LinkOptions()), scan: scan, dryRun: false, journal: journal)

        #expect(outcome.replacements.isEmpty)
        #expect(outcome.skipped.count == 4)
        #expect(outcome.skipped.allSatisfy { $0.error.code == .catalog }, "\(outcome.skipped)")
        #expect(try Self.snapshots(tree) == before)
        #expect(try tree.temporaryNames().isEmpty)
    }

    @Test func temporaryNameShapeIsExactlyTheLinkers() {
        #expect(JournalPaths.isTemporaryName(Array(".dupelink.123.4.tmp".utf8)))
        for name in [".dupelink.123.tmp", ".dupelink.1.2.3.tmp", ".dupelink.a.1.tmp", ".dupelink..1.tmp", "x.dupelink.1.1.tmp", ".dupelink.1.1.tmpx"] {
            #expect(!JournalPaths.isTemporaryName(Array(name.utf8)), "\(name)")
        }
    }

    /// Not a claim checked by the suite: prints the journal's cost per replacement on this machine
    /// (`DUPELINK_LONG_TESTS=1`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DUPELINK_LONG_TESTS"] == "1"))
    func journalCostPerReplacement() throws {
        let pairs = 3000
        var seconds: [Bool: Double] = [:]
        for journaled in [false, true, false, true] {
            let tree = try LinkTestTree()
            defer { tree.remove() }
            let folder = try TemporaryFolder(under: "/var/tmp")
            for index in 0..<pairs {
                let content = LinkTestTree.content(seed: index, count: 64 + index % 50)
                try tree.write("a/\(index)", content)
                try tree.write("b/\(index)", content)
            }
            let scan = try LinkTestScan.scan([tree.path("")])
            let plan = LinkPlanner.plan(scan, options: LinkOptions())
            let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
            let start = Date()
            let journal = journaled ? try LinkJournal.begin(catalog: catalog, roots: [], isDryRun: false) : nil
            let outcome = Linker().execute(plan, scan: scan, dryRun: false, journal: journal)
            try journal?.finish(outcome)
            let elapsed = Date().timeIntervalSince(start)
            #expect(outcome.replacements.count == pairs)
            seconds[journaled] = min(seconds[journaled] ?? .infinity, elapsed)
        }
        let off = (seconds[false] ?? 0) / Double(pairs) * 1e6
        let on = (seconds[true] ?? 0) / Double(pairs) * 1e6
        print("journal cost: \(pairs) replacements; without journal \(Int(off)) µs each, with journal \(Int(on)) µs each (+\(Int(on - off)) µs)")
    }
}

extension FileStatus {
    /// `lstat` of a path, for building journal entries in tests.
    init(statusOf path: String) throws {
        var raw = stat()
        guard lstat(path, &raw) == 0 else { throw LinkTestTree.Failure(description: "lstat \(path)") }
        self.init(raw)
    }
}

/// Telling whether the process that wrote a run still runs.
@Suite struct ProcessIdentityTests {
    @Test func thisProcessRunsAndAnEndedOneDoesNotEvenBeforeItIsCollected() throws {
        #expect(ProcessIdentity.current().isRunning)
        #expect(ProcessIdentity.current().startTime != 0)
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for pointer in argv { free(pointer) } }
        try #require(posix_spawn(&pid, "/bin/true", nil, nil, argv, nil) == 0)
        // Wait until it has ended but is not collected: a zombie keeps its pid and start time.
        var fields: [Substring] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let close = stat.lastIndex(of: ")") else { break }
            fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.first == "Z" { break }
        }
        try #require(fields.first == "Z" && fields.count > 19)
        let zombie = ProcessIdentity(processID: pid, startTime: Int64(fields[19]) ?? -1, bootID: ProcessIdentity.current().bootID)
        #expect(!zombie.isRunning)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(!zombie.isRunning)
        // Another process under a reused id would have another start time.
        var reused = ProcessIdentity.current()
        reused.startTime += 1
        #expect(!reused.isRunning)
    }
}
