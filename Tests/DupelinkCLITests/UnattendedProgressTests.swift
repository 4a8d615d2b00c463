import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Progress a person can watch on an unattended run: SIGUSR1 prints a line when standard error is
/// not a terminal (as `dd` does), `--progress plain` prints one every few seconds, and the log and
/// the summary line say each stage's time. A second run waiting for the catalog (`--wait`) is held
/// for as long as the test needs by a first one that cannot finish writing its report
/// (`ConcurrentRunTests.startHolder`), so the signals arrive while it runs.
@Suite struct UnattendedProgressTests {
    /// Standard error so far, polled until it contains `text` or `seconds` pass.
    func waitForError(_ run: RunningCLI, containing text: String, seconds: Double = 20) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var error = ""
        while Date() < deadline {
            error = (try? String(contentsOfFile: run.directory + "/err", encoding: .utf8)) ?? ""
            if error.contains(text) { break }
            usleep(20_000)
        }
        return error
    }

    func otherTree() throws -> TestTree {
        let other = try TestTree()
        try other.write("a", patternBytes(count: 30_000, seed: 980))
        try other.write("b", patternBytes(count: 30_000, seed: 980))
        return other
    }

    static let waiting = "dupelink: waiting for another dupelink run to finish with the catalog"

    @Test func sigusr1PrintsOneProgressLineWhenStandardErrorIsNotATerminal() throws {
        let tree = try ConcurrentRunTests.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let holder = try ConcurrentRunTests.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let other = try otherTree()
        let waiter = try CLI.start(["scan", "--wait", "60", "--catalog", catalog, other.rootString].map { Array($0.utf8) })
        let announced = waitForError(waiter, containing: "waiting up to")
        #expect(announced.contains("waiting up to 60 s"), "\(announced)")
        usleep(300_000)
        // Nothing unasked: standard error is a file.
        #expect(!waitForError(waiter, containing: Self.waiting, seconds: 0.1).contains(Self.waiting))
        waiter.signal(SIGUSR1)
        let answered = waitForError(waiter, containing: Self.waiting)
        #expect(answered.contains(Self.waiting), "\(answered)")
        #expect(holder.finish().status == 0)
        let result = try waiter.wait()
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("Found 1 class"))
        #expect(result.standardError.components(separatedBy: Self.waiting).count - 1 == 1, "one line for one signal: \(result.standardError)")
    }

    @Test func plainProgressPrintsALineEveryIntervalAndTheStageTimesAtTheEnd() throws {
        let tree = try ConcurrentRunTests.treeWithALongReport()
        let cache = try TestTree()
        let catalog = cache.rootString + "/catalog.sqlite"
        let summary = cache.rootString + "/runs.jsonl"
        let holder = try ConcurrentRunTests.startHolder(catalog: catalog, tree: tree, cacheHome: cache.rootString)
        let other = try otherTree()
        let waiter = try CLI.start(
            ["scan", "--wait", "60", "--catalog", catalog, "--progress", "plain", "--progress-interval", "0.2",
             "--summary-json", summary, other.rootString].map { Array($0.utf8) })
        _ = waitForError(waiter, containing: Self.waiting)
        usleep(1_000_000)
        #expect(holder.finish().status == 0)
        let result = try waiter.wait()
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix(Self.waiting) }.count >= 3, "a line every 0.2 s while it waited about a second: \(lines)")
        let done = try #require(lines.last, "\(lines)")
        #expect(done.hasPrefix("dupelink: done: walk ") && done.contains(", head/tail ") && done.contains(", content "), "\(lines)")
        // The summary line says where the time went.
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        let stages = try #require(record["stageSeconds"] as? [String: Double])
        #expect(stages.keys.sorted() == ["attributes", "content", "headTail", "walk"])
        #expect(stages.values.allSatisfy { $0 >= 0 && $0 < 60 })
    }
}
