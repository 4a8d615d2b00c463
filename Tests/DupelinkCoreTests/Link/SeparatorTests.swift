import CLinux
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// `Separator` (undo and split) on real trees. In `LinkerTests` (serialized) because it checks the
/// process-wide cancellation flag that some of those tests raise.
extension LinkerTests {
    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func splitGivesANameACopyOfItsOwnWithOrWithoutExchangeAndUnnamedFiles(usesExchange: Bool, usesUnnamedFiles: Bool) throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let content = LinkTestTree.content(seed: 50, count: 70_000)
        try tree.write("dir/a", content, mode: 0o604)
        try tree.link("dir/a", "dir/b")
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_111_111_111, tv_nsec: 222)]
        #expect(utimensat(AT_FDCWD, tree.path("dir/a"), &times, 0) == 0)
        let shared = try FileStatus(statusOf: tree.path("dir/a"))
        var separator = Separator()
        separator.usesExchange = usesExchange
        separator.usesUnnamedFiles = usesUnnamedFiles

        let outcome = try separator.execute(
            [SeparationItem.commandLine(Array(tree.path("dir/b").utf8))], command: .split, roots: [], dryRun: false,
            catalog: catalog)

        #expect(outcome.skipped.isEmpty, "\(outcome.skipped)")
        #expect(outcome.separated == [Array(tree.path("dir/b").utf8)])
        #expect(outcome.bytesCopied == 70_000)
        let a = try FileStatus(statusOf: tree.path("dir/a")), b = try FileStatus(statusOf: tree.path("dir/b"))
        #expect(a.id == shared.id && b.id != shared.id)
        #expect(a.linkCount == 1 && b.linkCount == 1)
        #expect(b.permissions == 0o604 && b.userID == shared.userID && b.groupID == shared.groupID)
        #expect(b.modificationTime == 1_111_111_111_000_000_222)
        #expect(try tree.read("dir/b") == content)
        #expect(try tree.temporaryNames().isEmpty)
        let runID = try #require(outcome.runID)
        let entries = try catalog.journalEntries(runID: runID)
        #expect(entries.map(\.state) == [.done])
        #expect(entries.first?.kind == .split)
        #expect(entries.first?.before.id == shared.id)
        #expect(entries.first?.after?.id == b.id)
        #expect(try catalog.journalRun(id: runID)?.command == .split)
    }

    @Test func recoverySettlesSplitsKilledBeforeAndAfterTheSwapAndMarksTheUndoneLink() throws {
        let tree = try LinkTestTree()
        defer { tree.remove() }
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let content = LinkTestTree.content(seed: 52, count: 2000)
        try tree.write("dir/a", content)
        try tree.link("dir/a", "dir/b")
        try tree.link("dir/a", "dir/c")
        let directory = try FileStatus(statusOf: tree.path("dir"))
        let shared = try FileStatus(statusOf: tree.path("dir/a"))
        let linkRun = try catalog.beginJournalRun(
            command: .link, roots: [], isDryRun: false, process: Self.deadProcess, workingDirectory: [], startedAt: 1)
        for position in 0..<2 {
            try catalog.recordJournalEntry(
                JournalEntry(
                    runID: linkRun, position: position, kind: .link, state: .done, recordedAt: 1,
                    path: Array(tree.path(position == 0 ? "dir/b" : "dir/c").utf8), rootLength: 0, directory: directory.id,
                    keeperPath: [], before: shared, after: shared, temporaryName: []),
                settling: [])
        }
        let undoRun = try catalog.beginJournalRun(
            command: .undo, roots: [], isDryRun: false, process: Self.deadProcess, workingDirectory: [], startedAt: 2,
            undoneRunID: linkRun)
        // b: the copy got its temporary name; the swap was not done.
        try tree.write("dir/.dupelink.4002.1.tmp", content)
        let copyOfB = try FileStatus(statusOf: tree.path("dir/.dupelink.4002.1.tmp"))
        // c: the copy was swapped in; the temporary name (now the shared inode) was not removed.
        try tree.write("dir/.dupelink.4002.2.tmp", content)
        let copyOfC = try FileStatus(statusOf: tree.path("dir/.dupelink.4002.2.tmp"))
        #expect(dl_renameat2(AT_FDCWD, tree.path("dir/.dupelink.4002.2.tmp"), AT_FDCWD, tree.path("dir/c"), 2) == 0)
        for (position, name, copy) in [(0, "b", copyOfB), (1, "c", copyOfC)] {
            try catalog.recordJournalEntry(
                JournalEntry(
                    runID: undoRun, position: position, kind: .split, state: .pending, recordedAt: 2,
                    path: Array(tree.path("dir/\(name)").utf8), rootLength: 0, directory: directory.id,
                    keeperPath: [], before: shared, after: copy,
                    temporaryName: Array(".dupelink.4002.\(position + 1).tmp".utf8),
                    undoes: JournalEntryID(runID: linkRun, position: position)),
                settling: [])
        }

        let report = try JournalRecovery.recover(catalog: catalog)

        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.removedNames.count == 2)
        #expect(try tree.temporaryNames().isEmpty)
        #expect(try Self.inode(tree, "dir/b") == shared.id.inode)
        #expect(try Self.inode(tree, "dir/c") == copyOfC.id.inode)
        for name in ["a", "b", "c"] { #expect(try tree.read("dir/\(name)") == content) }
        #expect(try catalog.journalEntries(runID: undoRun).map(\.state) == [.failed, .done])
        #expect(try catalog.journalEntries(runID: linkRun).map(\.state) == [.done, .undone])
        #expect(Set(report.crashedRuns) == [linkRun, undoRun])
    }
}
