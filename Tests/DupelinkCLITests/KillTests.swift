import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `SIGKILL` during `link`, at seeded random moments: no name is ever missing or holds other
/// content, and the next run recovers, completes, and leaves no temporary name.
@Suite struct KillTests {
    /// SplitMix64: a small seeded generator, so every trial's moment is the same on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let longRun = ProcessInfo.processInfo.environment["DUPELINK_LONG_TESTS"] == "1"

    /// `source`: `walk` kills a scanning `link`, `scan` a `link --scan ID`, `from` a `link --from
    /// FILE`; all are journaled, and the next run recovers what the killed one left.
    @Test(arguments: ["walk", "scan", "from"])
    func killedLinkRunsLoseNothingAndTheNextRunCompletesWithoutTemporaryNames(source: String) throws {
        let trials = Self.longRun ? 100 : (source == "walk" ? 10 : 20)
        let pairs = 300
        var generator = SeededGenerator(state: 20_261_127)
        var killedWhileLinking = 0, finishedFirst = 0, leftoversSeen = 0
        for trial in 0..<trials {
            let tree = try TestTree()
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            // An earlier run, so the catalog exists before the one that is killed.
            #expect(try CLI.run("history", "--catalog", catalog).status == 0)
            var contents: [String: [UInt8]] = [:]
            for index in 0..<pairs {
                let bytes = patternBytes(count: 100 + index, seed: UInt64(trial * 1000 + index))
                for name in ["a/\(index)", "b/\(index)"] {
                    try tree.write(name, bytes)
                    contents[name] = bytes
                }
                // Look-alikes beside the tree, which no run may touch.
                try state.write("outside/\(index)", bytes)
            }
            let outsideBefore = try TreeSnapshot(state.path("outside"))
            // The moment: after a random number of pairs is seen linked, plus a random number of
            // extra polls; target 0 may fall before linking starts.
            let target = Int.random(in: 0..<pairs, using: &generator)
            let extraPolls = Int.random(in: 0..<400, using: &generator)
            var arguments = ["link", "--quiet", "--catalog", catalog]
            switch source {
            case "scan":
                let scan = try CLI.run("scan", "--quiet", "--catalog", catalog, tree.rootString)
                try #require(scan.status == 0, "\(scan.standardError)")
                arguments += ["--scan", "1"]
            case "from":
                let scan = try CLI.run("scan", "--quiet", "--no-catalog", "--format", "json", tree.rootString)
                try #require(scan.status == 0, "\(scan.standardError)")
                let report = state.rootString + "/report.json"
                try #require(FileManager.default.createFile(atPath: report, contents: Data(scan.standardOutput)))
                arguments += ["--from", report]
            default:
                arguments += [tree.rootString]
            }
            let running = try CLI.start(arguments.map { Array($0.utf8) })
            let deadline = Date().addingTimeInterval(30)
            var linked = 0
            var exited = false
            while linked < target && Date() < deadline && !exited {
                linked = (0..<pairs).reduce(0) { count, index in
                    (try? tree.status("a/\(index)").st_ino == tree.status("b/\(index)").st_ino) == true ? count + 1 : count
                }
                exited = kill(running.pid, 0) != 0 || Self.hasExited(running.pid)
            }
            for poll in 0..<extraPolls { _ = try? tree.status("a/\(poll % pairs)") }
            running.signal(SIGKILL)
            let killed = try running.wait()
            if killed.status == 128 + SIGKILL { killedWhileLinking += 1 } else { finishedFirst += 1 }

            // Nothing lost: every name is there with its content.
            for (name, bytes) in contents {
                #expect(try tree.read(name) == bytes, "trial \(trial): \(name) lost or changed")
            }
            leftoversSeen += Self.temporaryNames(tree).count
            #expect(try TreeSnapshot(state.path("outside")) == outsideBefore, "trial \(trial): a file outside the tree changed")
            // The catalog the killed run left opens and reads, before any run recovers it.
            do {
                let afterKill = try Catalog.open(at: Array(catalog.utf8))
                _ = try afterKill.journalRuns()
                _ = try afterKill.pendingJournalEntries()
            }

            let again = try CLI.run("link", "--quiet", "--catalog", catalog, tree.rootString)
            // 0 when it linked what the killed run had not, 3 when that run had linked it all.
            #expect(again.status == 0 || again.status == 3, "trial \(trial): \(again.standardError)")
            #expect(Self.temporaryNames(tree).isEmpty, "trial \(trial): temporary names left")
            for index in 0..<pairs {
                #expect(try tree.status("a/\(index)").st_ino == tree.status("b/\(index)").st_ino)
                #expect(try tree.read("b/\(index)") == contents["b/\(index)"])
            }
            #expect(try TreeSnapshot(state.path("outside")) == outsideBefore, "trial \(trial): a file outside the tree changed")
            // The catalog opens, and the killed run is no longer pending.
            let opened = try Catalog.open(at: Array(catalog.utf8))
            #expect(try opened.pendingJournalEntries().isEmpty)
            #expect(try opened.journalRuns().allSatisfy { $0.status != .running })
        }
        print("kill trials (\(source)): \(trials); killed while running: \(killedWhileLinking); finished before the kill: \(finishedFirst); temporary names left by a kill and removed by the next run: \(leftoversSeen)")
    }

    @Test func killedUndoRunsLoseNothingAndTheNextUndoCompletesWithoutTemporaryNames() throws {
        let trials = Self.longRun ? 40 : 4
        let pairs = 150
        var generator = SeededGenerator(state: 20_261_128)
        var killedWhileRunning = 0, leftoversSeen = 0
        for trial in 0..<trials {
            let tree = try TestTree()
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            var contents: [String: [UInt8]] = [:]
            for index in 0..<pairs {
                let bytes = patternBytes(count: 3000 + index, seed: UInt64(trial * 1000 + index))
                for name in ["a/\(index)", "b/\(index)"] {
                    try tree.write(name, bytes)
                    contents[name] = bytes
                }
                try state.write("outside/\(index)", bytes)
            }
            let outsideBefore = try TreeSnapshot(state.path("outside"))
            let link = try CLI.run("link", "--quiet", "--catalog", catalog, tree.rootString)
            try #require(link.status == 0, "\(link.standardError)")
            let target = Int.random(in: 0..<pairs, using: &generator)
            let extraPolls = Int.random(in: 0..<400, using: &generator)
            let running = try CLI.start(["undo", "--quiet", "--catalog", catalog, "1"].map { Array($0.utf8) })
            let deadline = Date().addingTimeInterval(30)
            var separated = 0
            while separated < target && Date() < deadline && !Self.hasExited(running.pid) {
                separated = (0..<pairs).reduce(0) { count, index in
                    (try? tree.status("a/\(index)").st_ino != tree.status("b/\(index)").st_ino) == true ? count + 1 : count
                }
            }
            for poll in 0..<extraPolls { _ = try? tree.status("a/\(poll % pairs)") }
            running.signal(SIGKILL)
            if try running.wait().status == 128 + SIGKILL { killedWhileRunning += 1 }

            for (name, bytes) in contents {
                #expect(try tree.read(name) == bytes, "trial \(trial): \(name) lost or changed")
            }
            leftoversSeen += Self.temporaryNames(tree).count
            #expect(try TreeSnapshot(state.path("outside")) == outsideBefore, "trial \(trial): a file outside the tree changed")
            do {
                let afterKill = try Catalog.open(at: Array(catalog.utf8))
                _ = try afterKill.journalRuns()
                _ = try afterKill.pendingJournalEntries()
            }

            let again = try CLI.run("undo", "--quiet", "--catalog", catalog, "1")
            // 0 when it linked what the killed run had not, 3 when that run had linked it all.
            #expect(again.status == 0 || again.status == 3, "trial \(trial): \(again.standardError)")
            #expect(Self.temporaryNames(tree).isEmpty, "trial \(trial): temporary names left")
            for index in 0..<pairs {
                #expect(try tree.status("a/\(index)").st_ino != tree.status("b/\(index)").st_ino)
                #expect(try tree.status("b/\(index)").st_nlink == 1)
                #expect(try tree.read("b/\(index)") == contents["b/\(index)"])
            }
            #expect(try TreeSnapshot(state.path("outside")) == outsideBefore, "trial \(trial): a file outside the tree changed")
            let opened = try Catalog.open(at: Array(catalog.utf8))
            #expect(try opened.pendingJournalEntries().isEmpty)
            #expect(try opened.journalEntries(runID: 1).allSatisfy { $0.state == .undone })
        }
        print("undo kill trials: \(trials); killed while running: \(killedWhileRunning); temporary names left by a kill and removed by the next run: \(leftoversSeen)")
    }

    @Test func aUserFileNamedLikeATemporaryNameIsNeverRemoved() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let mine = Array("a user's own file".utf8)
        try tree.write("d/.dupelink.1.1.tmp", mine)
        try tree.write("d/.dupelink.\(getpid()).7.tmp", mine + [1])
        let bytes = patternBytes(count: 5000, seed: 70)
        try tree.write("d/x", bytes)
        try tree.write("d/y", bytes)
        // A run killed at once (whatever it got to), then two complete runs, each recovering first.
        let running = try CLI.start(["link", "--quiet", "--catalog", catalog, tree.rootString].map { Array($0.utf8) })
        running.signal(SIGKILL)
        _ = try running.wait()
        for _ in 0..<2 {
            let result = try CLI.run("link", "--catalog", catalog, tree.rootString)
            // 0 when it linked, 3 when an earlier run already had: neither is a failure.
            #expect(result.status == 0 || result.status == 3, "\(result.standardError)")
        }
        #expect(try tree.read("d/.dupelink.1.1.tmp") == mine)
        #expect(try tree.read("d/.dupelink.\(getpid()).7.tmp") == mine + [1])
        #expect(try tree.status("d/x").st_ino == tree.status("d/y").st_ino)
    }

    static func hasExited(_ pid: pid_t) -> Bool {
        // A zombie still answers kill(pid, 0); its /proc state says Z.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    static func temporaryNames(_ tree: TestTree) -> [String] {
        (FileManager.default.enumerator(atPath: tree.rootString)?.allObjects.compactMap { $0 as? String } ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".dupelink.") }
    }
}
