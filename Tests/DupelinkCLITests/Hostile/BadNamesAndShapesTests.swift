import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Names of any bytes, names of the longest length, loops of symbolic links and of bind mounts,
/// unreadable directories: the walk ends, finds every class and nothing else, and reports nothing
/// twice.
@Suite struct BadNamesAndShapesTests {
    static let seeds: [UInt64] = Hostile.longRun ? [1, 2, 3, 4, 5] : [1]

    /// A random name of 1 to `maximum` bytes: any byte but `/` and NUL, never `.` or `..`.
    static func randomName(maximum: Int, using generator: inout SeededGenerator) -> [UInt8] {
        while true {
            let length = Int.random(in: 1...maximum, using: &generator)
            let name = (0..<length).map { _ in
                var byte: UInt8
                repeat { byte = UInt8.random(in: 1...255, using: &generator) } while byte == UInt8(ascii: "/")
                return byte
            }
            if name != [0x2E] && name != [0x2E, 0x2E] { return name }
        }
    }

    @Test(arguments: seeds)
    func tenThousandRandomByteNamesYieldEveryClassAndNothingElse(seed: UInt64) throws {
        let tree = try TestTree()
        var generator = SeededGenerator(seed: seed)
        let directories = (0..<40).map { _ in Self.randomName(maximum: 60, using: &generator) }
        var used = Set<[UInt8]>()
        var paths: [[UInt8]] = []
        for index in 0..<10_000 {
            let directory = directories[index % directories.count]
            var relative: [UInt8]
            repeat {
                relative = directory + [UInt8(ascii: "/")] + Self.randomName(maximum: 200, using: &generator)
            } while !used.insert(relative).inserted
            // About one file in three shares its content with another.
            let content = UInt64.random(in: 0..<7_000, using: &generator)
            paths.append(try tree.write(bytes: relative, patternBytes(count: 1 + Int(content % 3000), seed: content)))
        }
        let expected = try Hostile.referenceClasses(paths)
        let result = try #require(try Hostile.run([Array("scan".utf8), Array("--format".utf8), Array("json".utf8), Array("--".utf8), tree.root]))
        #expect(result.status == 0, "\(result.standardError.prefix(2000))")
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.summary.filesScanned == 10_000)
        #expect(Hostile.classSets(report) == expected)
        #expect(report.classes.flatMap(\.files).count == expected.reduce(0) { $0 + $1.count }, "a name listed twice")
        print("random names, seed \(seed): 10000 names, \(expected.count) classes found by reading, \(report.classes.count) reported")

        // Linking them keeps every name's content.
        let before = try paths.map { try TestTree.read($0) }
        let link = try #require(try Hostile.run([Array("link".utf8), Array("--quiet".utf8), Array("--".utf8), tree.root]))
        #expect(link.status == 0, "\(link.standardError.prefix(2000))")
        for (path, bytes) in zip(paths, before) { #expect(try TestTree.read(path) == bytes) }
        for names in expected {
            #expect(Set(try names.map { try TestTree.status($0).st_ino }).count == 1)
        }
    }

    @Test func namesOfExactly255BytesAreScannedAndLinked() throws {
        let tree = try TestTree()
        let longDirectory = Array(repeating: UInt8(ascii: "d"), count: 255)
        let longName = [0xFF] + Array(repeating: UInt8(ascii: "n"), count: 253) + [0xFE]
        let bytes = patternBytes(count: 9000, seed: 255)
        let a = try tree.write(bytes: longDirectory + [UInt8(ascii: "/")] + longName, bytes)
        let b = try tree.write(bytes: longDirectory + [UInt8(ascii: "/")] + Array(repeating: UInt8(ascii: "m"), count: 255), bytes)
        let c = try tree.write(bytes: longName, bytes)
        let scan = try #require(try Hostile.run([Array("scan".utf8), Array("--format".utf8), Array("json".utf8), tree.root]))
        #expect(scan.status == 0)
        #expect(Hostile.classSets(try JSONReport.decode(scan.standardOutput)) == [[a, b, c]])
        let link = try #require(try Hostile.run([Array("link".utf8), Array("--quiet".utf8), tree.root]))
        #expect(link.status == 0, "\(link.standardError)")
        #expect(Set(try [a, b, c].map { try TestTree.status($0).st_ino }).count == 1)
        for path in [a, b, c] { #expect(try TestTree.read(path) == bytes) }
        #expect(KillTests.temporaryNames(tree).isEmpty)
    }

    @Test func symbolicLinkLoopsEndTheWalkAndNothingIsListedTwice() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 11)
        let files = [try tree.write("d/x", bytes), try tree.write("d/e/y", bytes)]
        try tree.symlink("b", "d/a")
        try tree.symlink("a", "d/b")
        try tree.symlink(".", "d/self")
        try tree.symlink("..", "d/e/up")
        try tree.symlink(tree.rootString, "d/e/root")
        try tree.symlink("loop/loop", "d/loop")
        let result = try #require(try Hostile.run(Hostile.arguments("scan", "--format", "json", tree.rootString), seconds: 30))
        #expect(result.status == 0, "\(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        #expect(Hostile.classSets(report) == [Set(files)])
        #expect(report.summary.filesScanned == 2)
    }

    @Test(.enabled(if: getuid() == 0, "bind mounts need root"))
    func aBindMountOfTheTreeInsideItselfIsWalkedOnce() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 4000, seed: 12)
        let files = [try tree.write("x", bytes), try tree.write("sub/y", bytes), try tree.write("sub/z/w", bytes)]
        try tree.makeDirectory("sub/loop")
        guard run("/bin/mount", ["--bind", tree.rootString, tree.rootString + "/sub/loop"]) == 0 else {
            try Test.cancel("cannot bind-mount here")
        }
        defer { run("/bin/umount", ["-l", tree.rootString + "/sub/loop"]) }
        let result = try #require(try Hostile.run(Hostile.arguments("scan", "--format", "json", tree.rootString), seconds: 30))
        #expect(result.status == 0 || result.status == 1, "\(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        let listed = report.classes.flatMap(\.files).map(\.inode)
        #expect(listed.count == Set(listed).count, "an inode listed twice: \(report.classes.flatMap(\.files).map(\.path))")
        #expect(report.classes.count == 1 && listed.count == 3)
        #expect(report.summary.filesScanned == 3)
        // link over the loop: nothing lost, the three files become one inode.
        let link = try #require(try Hostile.run(Hostile.arguments("link", "--quiet", tree.rootString), seconds: 30))
        #expect(link.status == 0, "\(link.standardError)")
        #expect(Set(try files.map { try TestTree.status($0).st_ino }).count == 1)
        for path in files { #expect(try TestTree.read(path) == bytes) }
    }

    @Test(.enabled(if: getuid() == 0, "dropping to nobody needs root"))
    func unreadableDirectoriesAndFilesAreWarnedWithPathAndReasonAndTheRestIsFound() throws {
        let tree = try TestTree()
        #expect(chmod(tree.root.map { CChar(bitPattern: $0) } + [0], 0o755) == 0)
        let bytes = patternBytes(count: 6000, seed: 13)
        let readable = [try tree.write("open/a", bytes), try tree.write("open/b", bytes)]
        try tree.write("shut/c", bytes)
        try tree.write("shut/inner/d", bytes)
        try tree.write("blind/e", bytes)
        try tree.write("open/secret", bytes, mode: 0o000)
        #expect(chmod(tree.path("shut").map { CChar(bitPattern: $0) } + [0], 0o000) == 0)
        // Listable but not searchable: names are seen, nothing under them can be opened.
        #expect(chmod(tree.path("blind").map { CChar(bitPattern: $0) } + [0], 0o644) == 0)
        let result = try #require(try Hostile.run(Hostile.arguments("scan", "--no-catalog", "--format", "json", tree.rootString), asNobody: true))
        #expect(result.status == 1)
        let report = try JSONReport.decode(result.standardOutput)
        #expect(Hostile.classSets(report) == [Set(readable)])
        for name in ["shut", "open/secret", "blind"] {
            #expect(result.standardError.contains(tree.rootString + "/" + name), "no warning for \(name): \(result.standardError)")
        }
        #expect(result.standardError.contains("Permission denied"))
        #expect(report.warnings.count >= 3)
        for warning in report.warnings { #expect(warning.message.contains("Permission denied"), "\(warning.message)") }
    }
}
