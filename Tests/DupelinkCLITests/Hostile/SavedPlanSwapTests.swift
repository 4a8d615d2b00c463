import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A saved scan or a reviewed report applied after the tree was rearranged by someone who can
/// write to it: a directory between the root and the files, or the files' own directory, swapped
/// for a symbolic link to look-alikes outside, or for a real directory of look-alikes. The
/// look-alikes are never linked (nor, through a link, opened), the files in the rearranged
/// directory are left as they are, and the rest of the plan is applied.
@Suite struct SavedPlanSwapTests {
    enum Swap: String, CaseIterable, CustomTestStringConvertible {
        case middleDirectoryForSymlink, ownDirectoryForSymlink, middleDirectoryForRealDirectory
        var testDescription: String { rawValue }
    }
    enum Plan: String, CaseIterable, CustomTestStringConvertible {
        case savedScan, reviewedReport
        var testDescription: String { rawValue }
    }

    @Test(arguments: Swap.allCases, Plan.allCases)
    func aPlanAppliedAfterADirectorySwapLeavesTheLookAlikesAlone(swap: Swap, plan: Plan) throws {
        let base = try TestTree()
        let bytes = patternBytes(count: 7000, seed: 81), other = patternBytes(count: 5000, seed: 82)
        for name in ["top/sub/x", "top/sub/y"] {
            try base.write("root/" + name, bytes)
            try base.write("outside/" + name, bytes)
        }
        try base.write("root/other/p", other)
        try base.write("root/other/q", other)
        let catalog = base.rootString + "/catalog.sqlite"
        let scan = try #require(try Hostile.run(Hostile.arguments("scan", "--catalog", catalog, "--format", "json", base.rootString + "/root")))
        #expect(scan.status == 0, "\(scan.standardError)")
        let reportPath = base.rootString + "/report.json"
        try Data(scan.standardOutput).write(to: URL(fileURLWithPath: reportPath))
        let inside = try ["x", "y"].map { try base.status("root/top/sub/\($0)").st_ino }

        // Rearrange, as the tree's owner could between the scan and the run that applies it.
        func move(_ from: String, _ to: String) throws {
            let result = withCPath(base.path(from)) { old in withCPath(base.path(to)) { rename(old, $0) } }
            guard result == 0 else { throw POSIXFailure(operation: "rename \(from)", code: errno) }
        }
        try base.makeDirectory("away")
        switch swap {
        case .middleDirectoryForSymlink:
            try move("root/top", "away/top")
            try base.symlink(base.rootString + "/outside/top", "root/top")
        case .ownDirectoryForSymlink:
            try move("root/top/sub", "away/sub")
            try base.symlink(base.rootString + "/outside/top/sub", "root/top/sub")
        case .middleDirectoryForRealDirectory:
            try move("root/top", "away/top")
            try move("outside/top", "root/top")
        }
        let lookAlikes = swap == .middleDirectoryForRealDirectory ? "root/top/sub" : "outside/top/sub"
        let before = try TreeSnapshot(base.path(lookAlikes))
        let opens = try OpenWatcher(root: base.path("outside"), countingDirectories: true)

        let arguments = plan == .savedScan
            ? Hostile.arguments("link", "--catalog", catalog, "--scan", "1")
            : Hostile.arguments("link", "--no-catalog", "--from", reportPath)
        let result = try #require(try Hostile.run(arguments))
        let opened = opens.openedFiles()
        #expect(try TreeSnapshot(base.path(lookAlikes)) == before, "the look-alikes changed")
        if swap != .middleDirectoryForRealDirectory {
            #expect(opened.isEmpty, "opened outside the root: \(opened)")
        }
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains(base.rootString + "/root/top"), "\(result.standardError)")
        #expect(try base.status("root/other/p").st_ino == base.status("root/other/q").st_ino)
        // The real files, wherever they are now, are untouched.
        let moved = swap == .ownDirectoryForSymlink ? "away/sub" : "away/top/sub"
        #expect(try ["x", "y"].map { try base.status("\(moved)/\($0)").st_ino } == inside)
        for name in ["x", "y"] {
            #expect(try base.read("\(moved)/\(name)") == bytes)
            #expect(try base.status("\(moved)/\(name)").st_nlink == 1)
        }
        #expect(KillTests.temporaryNames(base).isEmpty)
    }
}
