import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The bytes decide, every time: whatever the catalog or a saved scan says, `link` compares each
/// pair right before it swaps, and says what that cost and which replacements ran without a lease.
@Suite struct FinalComparisonTests {
    /// How the pair reaches the linker after the scan that compared it.
    enum Route: String, CaseIterable, CustomTestStringConvertible {
        /// `link PATH` with the catalog that remembers the pair as compared and identical.
        case catalog
        /// `link --scan ID`: the saved scan applied.
        case savedScan
        var testDescription: String { rawValue }
    }

    static func setTimes(_ tree: TestTree, _ relative: String, seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        #expect(withCPath(tree.path(relative)) { utimensat(AT_FDCWD, $0, &times, 0) } == 0)
    }

    static func parse(_ line: Substring) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any])
    }

    @Test(arguments: Route.allCases)
    func aDuplicateWrittenThroughAMappingAfterTheScanIsNotLinked(route: Route) throws {
        // tmpfs: a write through a page already mapped writable stamps no time.
        let tree = try TestTree(base: "/dev/shm")
        let store = try TestTree()
        let catalog = store.rootString + "/catalog.sqlite"
        let content = patternBytes(count: 40_000, seed: 81)
        try tree.write("keep", content)
        Self.setTimes(tree, "keep", seconds: 1_600_000_000)
        try tree.write("dup", content)
        try tree.write("other-keep", patternBytes(count: 9_000, seed: 82))
        Self.setTimes(tree, "other-keep", seconds: 1_600_000_000)
        try tree.write("other-dup", patternBytes(count: 9_000, seed: 82))
        // A program has the duplicate mapped, and has touched the page it will write.
        let mapping = try SharedMapping(tree.path("dup"))
        defer { mapping.unmap() }
        mapping[30_000] = mapping[30_000]

        let scan = try CLI.run("scan", "--catalog", catalog, tree.rootString)
        try #require(scan.status == 0, "\(scan.standardError)")
        #expect(scan.output.contains("Saved in the catalog as scan 1."))
        let before = try tree.status("dup")
        mapping[30_001] = ~content[30_001]
        mapping.unmap()
        var changed = content
        changed[30_001] = ~content[30_001]
        let after = try tree.status("dup")
        try #require(try tree.read("dup") == changed)
        guard after.st_mtim.tv_sec == before.st_mtim.tv_sec, after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
            after.st_ctim.tv_sec == before.st_ctim.tv_sec, after.st_ctim.tv_nsec == before.st_ctim.tv_nsec
        else {
            try Test.cancel("this filesystem moved the times on a write through a shared mapping; the fingerprint check catches it")
        }

        // What linking the other pair frees, by blocks (9,000 bytes take 12 KiB of tmpfs pages).
        let freed = ByteSize.format(try tree.allocatedBytes("other-dup"))
        let arguments = route == .catalog
            ? ["link", "--stats", "--catalog", catalog, tree.rootString] : ["link", "--stats", "--scan", "1", "--catalog", catalog]
        let result = try CLI.run(arguments.map { Array($0.utf8) })

        #expect(result.status == 1, "\(result.standardError)")
        let keep = tree.rootString + "/keep"
        #expect(
            result.standardError.contains(
                "\(tree.rootString)/dup: changed since it was compared (content differs from the kept copy \(keep) now; not linked)"),
            "\(result.standardError)")
        #expect(try tree.status("dup").st_ino != tree.status("keep").st_ino)
        #expect(try tree.read("dup") == changed && tree.read("keep") == content)
        // The run went on.
        #expect(try tree.status("other-dup").st_ino == tree.status("other-keep").st_ino)
        #expect(result.output.contains("Linked 1 file, freed \(freed)."), "\(result.output)")
        #expect(result.standardError.contains("stats: bytes compared right before the swaps: 49000 "), "\(result.standardError)")
    }

    @Test func statsAndSummariesCountTheBytesComparedAndADryRunComparesNone() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 100 * 1024, seed: 83)
        for name in ["a", "b", "c", "d"] { try tree.write(name, bytes) }

        let dryRun = try CLI.run("link", "--dry-run", "--no-catalog", "--stats", "--format", "json", tree.rootString)
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        let planned = try JSONReport.decode(dryRun.standardOutput)
        #expect(planned.summary.bytesCompared == 0 && planned.summary.secondsComparing == 0)
        #expect(dryRun.standardError.contains("stats: bytes compared right before the swaps: 0 (0 B) in 0.000s"), "\(dryRun.standardError)")

        let result = try CLI.run("link", "--no-catalog", "--stats", "--summary-json", "-", "--format", "json", tree.rootString)
        #expect(result.status == 0, "\(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.summary.filesLinked == 3)
        #expect(report.summary.bytesCompared == Int64(3 * 100 * 1024))
        #expect((report.summary.secondsComparing ?? 0) > 0)
        #expect(report.summary.replacementsWithoutLease == 0)
        #expect(result.standardError.contains("stats: bytes compared right before the swaps: 307200 (300 KiB) in "), "\(result.standardError)")
        #expect(result.standardError.contains("stats: replacements without a lease: 0"), "\(result.standardError)")
        let line = try #require(result.standardError.split(separator: "\n").last { $0.hasPrefix("{") })
        let summary = try Self.parse(line)
        #expect(summary["bytesCompared"] as? Int == 3 * 100 * 1024)
        #expect(summary["replacementsWithoutLease"] as? Int == 0)
        #expect((summary["secondsComparing"] as? Double ?? 0) > 0)

        // A scan compares nothing before swaps: its figures are null, or absent from its report.
        let scan = try CLI.run("scan", "--no-catalog", "--summary-json", "-", "--format", "json", tree.rootString)
        let scanSummary = try Self.parse(try #require(scan.standardError.split(separator: "\n").last { $0.hasPrefix("{") }))
        #expect(scanSummary["bytesCompared"] is NSNull && scanSummary["replacementsWithoutLease"] is NSNull)
        #expect(try JSONReport.decode(scan.standardOutput).summary.bytesCompared == nil)
    }

    @Test(.enabled(if: getuid() == 0, "dropping to nobody needs root"))
    func replacementsRunWithoutALeaseAreCountedAndSaid() throws {
        // nobody may rename in the directory and (the files being writable by all) link to the
        // files, but owns neither file: Linux grants no lease then.
        let tree = try TestTree()
        #expect(withCPath(tree.root) { chmod($0, 0o755) } == 0)
        try tree.makeDirectory("shared")
        #expect(withCPath(tree.path("shared")) { chown($0, 65534, 65534) } == 0)
        let bytes = patternBytes(count: 30_000, seed: 84)
        for name in ["a", "b", "c"] { try tree.write("shared/\(name)", bytes, mode: 0o666) }

        let result = try CLI.run(
            "link", "--no-catalog", "--stats", "--summary-json", "-", tree.rootString + "/shared", asNobody: true)

        #expect(result.status == 0, "\(result.standardError)")
        #expect(try tree.status("shared/a").st_ino == tree.status("shared/b").st_ino)
        #expect(try tree.status("shared/a").st_ino == tree.status("shared/c").st_ino)
        #expect(result.output.contains("2 replacements ran without a lease"), "\(result.output)")
        #expect(result.standardError.contains("stats: replacements without a lease: 2"), "\(result.standardError)")
        #expect(result.standardError.contains("stats: bytes compared right before the swaps: 60000 "), "\(result.standardError)")
        let summary = try Self.parse(try #require(result.standardError.split(separator: "\n").last { $0.hasPrefix("{") }))
        #expect(summary["replacementsWithoutLease"] as? Int == 2)
    }
}
