import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// One run per catalog at a time: a second run exits 4 or waits; a killed holder never blocks.
///
/// The first run is made to hold its lock for as long as the test needs, without sleeping: it
/// prints an fdupes report several times larger than a pipe holds, and the test does not read it
/// until it wants the run to finish.
@Suite struct ConcurrentRunTests {
    /// A tree whose fdupes report is about 240 KiB: 1000 identical one-byte files with long names.
    static func treeWithALongReport() throws -> TestTree {
        let tree = try TestTree()
        let padding = String(repeating: "n", count: 200)
        for index in 0..<1000 { try tree.write("\(padding)\(index)", [7]) }
        return tree
    }

    /// Starts a `scan` that holds the lock of `catalog` until its report is read.
    static func startHolder(catalog: String, tree: TestTree, cacheHome: String) throws -> PipedCLI {
        let holder = try PipedCLI(["scan", "--format", "fdupes", "--catalog", catalog, tree.rootString], cacheHome: cacheHome)
        // The report has started, so the lock is held; the rest cannot fit in the pipe.
        holder.waitForOutput(bytes: 1)
        return holder
    }

    @Test func aSecondRunExitsFourNamingTheCatalogAndTheHoldersPid() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)

        let other = try TestTree()
        try other.write("a", [1, 2, 3])
        try other.write("b", [1, 2, 3])
        let second = try CLI.run("link", "--catalog", catalog, other.rootString)
        #expect(second.status == 4)
        #expect(second.standardError == """
            dupelink: the catalog \(catalog) is in use by another dupelink run (pid \(holder.pid)); \
            try again when it has finished, or wait for it with --wait SECONDS

            """)
        #expect(second.output.isEmpty)
        // Locked out, it did nothing.
        #expect(try other.status("a").st_ino != other.status("b").st_ino)
        #expect(try CLI.run("catalog", "info", "--catalog", catalog).status == 4)

        let first = holder.finish()
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.output.split(separator: "\n").count == 1000)
    }

    @Test func withWaitTheSecondRunGoesOnOnceTheFirstFinishes() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)

        let waiter = try PipedCLI(["scan", "--wait", "60", "--catalog", catalog, tree.rootString], cacheHome: cache.rootString)
        #expect(waiter.waitForError(
            containing: "dupelink: waiting up to 60 s for another dupelink run (pid \(holder.pid)) to finish with the catalog \(catalog)\n"))
        #expect(holder.finish().status == 0)
        let second = waiter.finish()
        #expect(second.status == 0, "\(second.standardError)")
        // It found what the first run found, so it updated the first run's scan.
        #expect(second.output.contains("Saved in the catalog as scan 1."))
        // The lock file names the last holder.
        #expect(try String(contentsOfFile: catalog + ".lock", encoding: .utf8) == "\(waiter.pid)\n")
    }

    @Test func aWaitThatRunsOutExitsFour() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let second = try CLI.run("scan", "--wait", "0.3", "--quiet", "--catalog", catalog, tree.rootString)
        #expect(second.status == 4)
        // --quiet hides the "waiting" line, not the reason for stopping.
        #expect(second.standardError == """
            dupelink: the catalog \(catalog) is in use by another dupelink run (pid \(holder.pid)) after waiting 0.3 s; \
            try again when it has finished, or wait for it with --wait SECONDS

            """)
        #expect(holder.finish().status == 0)
    }

    @Test func sigtermWhileWaitingEndsTheWaitWithStatus130() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let waiter = try PipedCLI(
            ["link", "--wait", "600", "--summary-json", "-", "--catalog", catalog, tree.rootString], cacheHome: cache.rootString)
        #expect(waiter.waitForError(containing: "waiting up to 600 s"))
        kill(waiter.pid, SIGTERM)
        // Should the signal be ignored, fail (status 137) rather than hang for ten minutes.
        waiter.killIfStillRunning(after: 30)
        let stopped = waiter.finish()
        #expect(stopped.status == 130)
        #expect(stopped.standardError.contains("dupelink: interrupted while waiting for the catalog \(catalog)\n"))
        #expect(stopped.standardError.contains("\"exitStatus\":130"))
        #expect(holder.finish().status == 0)
    }

    @Test func aKilledHolderDoesNotBlockTheNextRun() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 4)
        #expect(holder.killNow() == 128 + SIGKILL)
        // The dead holder's pid is still in the lock file; it does not matter.
        #expect(try String(contentsOfFile: catalog + ".lock", encoding: .utf8) == "\(holder.pid)\n")
        let next = try CLI.run("scan", "--format", "json", "--catalog", catalog, tree.rootString)
        #expect(next.status == 0, "\(next.standardError)")
        #expect(try JSONReport.decode(next.standardOutput).classes.first?.files.count == 1000)
    }

    @Test func aLockHeldByAnotherProgramCountsAndEndsWithIt() throws {
        let cache = try TestTree()
        let tree = try TestTree()
        try tree.write("a", [1])
        let catalog = cache.rootString + "/catalog.sqlite"
        // util-linux flock holds the lock (and prints its pid) until its standard input closes.
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        #expect(PipedCLI.makePipe(&input) && PipedCLI.makePipe(&output))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addclose(&actions, input[1])
        posix_spawn_file_actions_addclose(&actions, output[0])
        let argv = ["/usr/bin/flock", "--exclusive", catalog + ".lock", "/bin/sh", "-c", "echo locked; exec cat"]
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid = pid_t()
        try #require(posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0)
        close(input[0])
        close(output[1])
        var byte: UInt8 = 0
        #expect(read(output[0], &byte, 1) == 1)

        let blocked = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        #expect(blocked.status == 4)
        #expect(blocked.standardError.contains("(pid unknown)"))
        close(input[1])
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        close(output[0])
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
    }

    @Test func noCatalogTakesNoLock() throws {
        let tree = try Self.treeWithALongReport()
        let cache = try TestTree()
        let defaultCatalog = cache.rootString + "/dupelink/catalog.sqlite"
        let holder = try Self.startHolder(catalog: defaultCatalog, tree: tree, cacheHome: cache.rootString)
        let other = try TestTree()
        try other.write("a", [1])
        // The same default catalog: locked out without --no-catalog, free with it.
        let locked = try PipedCLI(["scan", other.rootString], cacheHome: cache.rootString).finish()
        #expect(locked.status == 4)
        #expect(locked.standardError.contains(defaultCatalog))
        let free = try PipedCLI(["scan", "--no-catalog", other.rootString], cacheHome: cache.rootString).finish()
        #expect(free.status == 0, "\(free.standardError)")
        #expect(holder.finish().status == 0)
    }

    /// The message a run locked out of `catalog` by `holder` prints.
    static func lockedOut(_ catalog: String, holder: pid_t) -> String {
        """
        dupelink: the catalog \(catalog) is in use by another dupelink run (pid \(holder)); \
        try again when it has finished, or wait for it with --wait SECONDS

        """
    }

    @Test func undoSplitAndHistoryExitFourWhileAnotherRunHoldsTheCatalogAndChangeNothing() throws {
        let pair = try ExitStatusTests.treeWithAPair()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let linked = try CLI.run("link", "--catalog", catalog, pair.rootString)
        try #require(linked.status == 0, "\(linked.standardError)")
        let before = try (pair.status("a"), pair.status("b"))
        try #require(before.0.st_ino == before.1.st_ino && before.1.st_nlink == 2)
        let journal = try CLI.run("history", "--format", "json", "--catalog", catalog).output

        let tree = try Self.treeWithALongReport()
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        for arguments in [["undo", "1"], ["undo", "--dry-run", "1"], ["split", pair.rootString + "/b"], ["history"]] {
            let result = try CLI.run((arguments + ["--catalog", catalog]).map { Array($0.utf8) })
            #expect(result.status == 4, "\(arguments): \(result.standardError)")
            #expect(result.standardError == Self.lockedOut(catalog, holder: holder.pid), "\(arguments)")
            #expect(result.output.isEmpty, "\(arguments): \(result.output)")
            // Nothing was separated, and no temporary name was left.
            let after = try (pair.status("a"), pair.status("b"))
            #expect(after.0.st_ino == before.0.st_ino && after.1.st_ino == before.0.st_ino && after.1.st_nlink == 2, "\(arguments)")
            #expect(after.1.st_ctim.tv_nsec == before.1.st_ctim.tv_nsec && after.1.st_ctim.tv_sec == before.1.st_ctim.tv_sec)
            #expect(try FileManager.default.contentsOfDirectory(atPath: pair.rootString).sorted() == ["a", "b", "c"])
        }
        #expect(holder.finish().status == 0)
        // Nothing was journaled by the runs that were locked out.
        #expect(try CLI.run("history", "--format", "json", "--catalog", catalog).output == journal)
        let undo = try CLI.run("undo", "--catalog", catalog, "1")
        #expect(undo.status == 0, "\(undo.standardError)")
        #expect(try pair.status("a").st_ino != pair.status("b").st_ino)
    }

    @Test(arguments: ["undo", "split", "history"])
    func withWaitUndoSplitAndHistoryGoOnOnceTheHolderFinishes(command: String) throws {
        let pair = try ExitStatusTests.treeWithAPair()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        try #require(try CLI.run("link", "--catalog", catalog, pair.rootString).status == 0)
        let tree = try Self.treeWithALongReport()
        let holder = try Self.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let operand = command == "undo" ? ["1"] : command == "split" ? [pair.rootString + "/b"] : []
        let waiter = try PipedCLI([command, "--wait", "60", "--catalog", catalog] + operand, cacheHome: cache.rootString)
        #expect(waiter.waitForError(
            containing: "dupelink: waiting up to 60 s for another dupelink run (pid \(holder.pid)) to finish with the catalog \(catalog)\n"))
        // Still waiting: nothing separated yet.
        #expect(try pair.status("a").st_ino == pair.status("b").st_ino)
        #expect(holder.finish().status == 0)
        let result = waiter.finish()
        #expect(result.status == 0, "\(result.standardError)")
        if command != "history" { #expect(try pair.status("a").st_ino != pair.status("b").st_ino) }
    }
}
