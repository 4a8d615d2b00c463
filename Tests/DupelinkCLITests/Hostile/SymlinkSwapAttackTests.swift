import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A live symbolic-link swap attack on `link`: while the real binary links a few thousand pairs
/// spread over many directories, another thread renames directories inside the root away and puts
/// in their place symbolic links to an outside folder holding look-alike files (same names, same
/// content), and back, as fast as it can. Nothing outside the root may change, and nothing inside
/// may lose its content.
@Suite struct SymlinkSwapAttackTests {
    static let seeds: [UInt64] = Hostile.longRun ? Array(1...40) : [1, 2, 3]
    static let directories = 60
    static let pairsPerDirectory = 40

    /// The tree: pair (d, i) is d<d>/f<i> and, in a neighbouring directory, d<e>/g<d>-<i>; the
    /// outside folder holds the very same names and bytes, directory for directory.
    static func makeTree(seed: UInt64) throws -> (base: TestTree, contents: [[UInt8]: [UInt8]]) {
        let base = try TestTree()
        var contents: [[UInt8]: [UInt8]] = [:]
        for d in 0..<directories {
            for i in 0..<pairsPerDirectory {
                let bytes = patternBytes(count: 64 + (d * 41 + i) % 300, seed: seed &* 1_000_003 &+ UInt64(d * 1000 + i))
                let e = (d + 1 + i % 3) % directories
                for name in ["d\(d)/f\(i)", "d\(e)/g\(d)-\(i)"] {
                    contents[try base.write("root/" + name, bytes)] = bytes
                    try base.write("outside/" + name, bytes)
                }
            }
        }
        try base.makeDirectory("away")
        return (base, contents)
    }

    /// Renames a random directory of the root away, puts a symbolic link to its outside
    /// look-alike in its place, removes the link and puts the directory back, round after round.
    static func attack(_ base: TestTree, seed: UInt64) -> RacingThread {
        let root = base.path("root"), away = base.path("away"), outside = base.path("outside")
        let directories = Self.directories
        return RacingThread { round in
            var generator = SeededGenerator(seed: seed &* 7919 &+ UInt64(round))
            let d = Int.random(in: 0..<directories, using: &generator)
            let name = Array("/d\(d)".utf8)
            withCPath(root + name) { real in
                withCPath(away + name) { hidden in
                    withCPath(outside + name) { lookAlike in
                        guard rename(real, hidden) == 0 else { return }
                        if symlink(lookAlike, real) == 0 { unlink(real) }
                        rename(hidden, real)
                    }
                }
            }
        }
    }

    @Test(arguments: seeds)
    func linkUnderALiveSymlinkSwapChangesNothingOutsideAndLosesNothing(seed: UInt64) throws {
        let (base, contents) = try Self.makeTree(seed: seed)
        let root = base.path("root")
        let outsideBefore = try TreeSnapshot(base.path("outside"))
        let opens = try OpenWatcher(root: base.path("outside"), countingDirectories: true)
        let attacker = Self.attack(base, seed: seed)
        let running = try CLI.start(Hostile.arguments("link", "--format", "json", base.rootString + "/root"))
        let result = try Hostile.wait(for: running, seconds: 120)
        let rounds = attacker.stop()
        guard let result else { return }

        // Nothing outside changed, or was even opened: not a name, inode, link count, time or
        // byte, directories included.
        // (Opens first: the snapshot opens every file.)
        let opened = opens.openedFiles()
        #expect(opened.isEmpty, "seed \(seed): \(opened.count) files outside the root opened, such as \(opened.prefix(3))")
        #expect(try TreeSnapshot(base.path("outside")) == outsideBefore, "seed \(seed): the outside folder changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.rootString + "/away").isEmpty)
        // Nothing inside lost content, and no temporary name is left.
        for (path, bytes) in contents {
            #expect((try? TestTree.read(path)) == bytes, "seed \(seed): \(String(decoding: path, as: UTF8.self)) lost or changed")
        }
        let leftovers = (FileManager.default.enumerator(atPath: base.rootString + "/root")?.allObjects ?? [])
            .compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent.hasPrefix(".dupelink.") }
        #expect(leftovers.isEmpty, "seed \(seed): temporary names left: \(leftovers)")
        #expect(result.status == 0 || result.status == 1, "seed \(seed): status \(result.status): \(result.standardError.prefix(2000))")
        // Every replacement reported names two paths inside the root holding one inode now.
        let report = try JSONReport.decode(result.standardOutput)
        for replacement in report.replacements ?? [] {
            #expect(replacement.keeper.bytes.starts(with: root + [UInt8(ascii: "/")]))
            #expect(replacement.duplicate.bytes.starts(with: root + [UInt8(ascii: "/")]))
        }
        print("symlink swap, seed \(seed): \(rounds) swaps; status \(result.status); \(report.replacements?.count ?? 0) of \(contents.count / 2) pairs linked; \(report.warnings.count) warnings")
    }

    @Test(arguments: seeds)
    func scanUnderALiveSymlinkSwapOpensNoFileOutsideTheRoot(seed: UInt64) throws {
        let (base, contents) = try Self.makeTree(seed: seed)
        let opens = try OpenWatcher(root: base.path("outside"), countingDirectories: true)
        let attacker = Self.attack(base, seed: seed)
        let result = try Hostile.run(Hostile.arguments("scan", "--no-catalog", "--format", "json", base.rootString + "/root"), seconds: 120)
        let rounds = attacker.stop()
        guard let result else { return }
        let opened = opens.openedFiles()
        #expect(opened.isEmpty, "seed \(seed): \(opened.count) files outside the root opened, such as \(opened.prefix(3))")
        #expect(result.status == 0 || result.status == 1, "seed \(seed): \(result.standardError.prefix(2000))")
        let report = try JSONReport.decode(result.standardOutput)
        let root = base.path("root") + [UInt8(ascii: "/")]
        for file in report.classes.flatMap(\.files) { #expect(file.pathBytes.starts(with: root)) }
        Hostile.verifyClasses(report)
        print("symlink swap during scan, seed \(seed): \(rounds) swaps; status \(result.status); \(report.classes.count) of \(contents.count / 2) classes; \(opened.count) files or directories outside opened; \(report.warnings.count) warnings")
    }
}
