import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// The `scan` command end to end: the real binary on real trees.
@Suite struct ScanCommandTests {
    @Test func byDirectoryRanksTheDirectoriesByTheBytesLinkingFreesInThem() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        for (index, size) in [30_000, 90_000].enumerated() {
            let bytes = patternBytes(count: size, seed: UInt64(300 + index))
            try tree.write("photos/p\(index)", bytes)
            try tree.write("backup/photos/p\(index)", bytes)
        }
        let small = patternBytes(count: 5_000, seed: 310)
        try tree.write("notes", small)
        try tree.write("photos/notes", small)
        // The originals are older: they are the copies kept.
        for name in ["photos/p0", "photos/p1", "notes"] {
            var old = [timespec(tv_sec: 946_684_800, tv_nsec: 0), timespec(tv_sec: 946_684_800, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, tree.rootString + "/" + name, &old, 0) == 0)
        }
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        let csv = try CLI.run("report", "--by-directory", "--format", "csv", "--catalog", catalog)
        #expect(csv.status == 0, "\(csv.standardError)")
        let backup = try tree.allocatedBytes("backup/photos/p0") + tree.allocatedBytes("backup/photos/p1")
        let notes = try tree.allocatedBytes("photos/notes")
        // The backup's copies and the second notes are the names replaced.
        #expect(csv.output == "bytes,files,path\n\(backup),2,\(tree.rootString)/backup/photos\n\(notes),1,\(tree.rootString)/photos\n", "\(csv.output)")
        let text = try CLI.run("report", "--by-directory", "--top", "1", "--catalog", catalog)
        #expect(text.output.contains("\(ByteSize.format(backup))  2 files  \(tree.rootString)/backup/photos"))
        #expect(text.output.contains("... and 1 more directory"))
    }

    @Test func identicalFoldersAreReportedOnceAtTheirTopBeforeTheirFiles() throws {
        let tree = try TestTree()
        for (index, name) in ["p1", "p2", "sub/p3"].enumerated() {
            let bytes = patternBytes(count: 3_000 * (index + 1), seed: UInt64(400 + index))
            try tree.write("a/Photos/2019/" + name, bytes)
            try tree.write("backup/Photos/2019/" + name, bytes)
            // Nearly identical: the same files, and one of its own (and no sub folder alike).
            try tree.write("near/2019/" + name.replacingOccurrences(of: "sub/", with: ""), bytes)
        }
        try tree.write("near/2019/extra", patternBytes(count: 777, seed: 499))
        // Same contents under another name: not the same folder.
        try tree.write("renamed/2019/p1", patternBytes(count: 3_000, seed: 400))
        try tree.write("renamed/2019/p2-renamed", patternBytes(count: 6_000, seed: 401))
        try tree.write("renamed/2019/p3", patternBytes(count: 9_000, seed: 402))
        let result = try CLI.run("scan", "--no-catalog", tree.rootString)
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "Identical folders (the same names, every file byte-identical):"), "\(result.output)")
        #expect(Array(lines[(start + 1)...(start + 4)]) == [
            "  2 folders of 3 files, 17.6 KiB each:",
            "    \(tree.rootString)/a",
            "    \(tree.rootString)/backup",
            "",
        ], "\(result.output)")
        // Before the classes of their files.
        let firstClass = try #require(lines.firstIndex { $0.hasSuffix("reclaimable:") })
        #expect(start < firstClass)
        #expect(!result.output.contains("    \(tree.rootString)/near"))
        #expect(!result.output.contains("    \(tree.rootString)/renamed"))
        // The same in JSON.
        let json = try JSONReport.decode(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        let folders = try #require(json.duplicateFolders)
        #expect(folders.map { $0.paths.map(\.path) } == [[tree.rootString + "/a", tree.rootString + "/backup"]])
        #expect(folders.first?.files == 3 && folders.first?.bytes == 18_000)
    }

    @Test func identicalFoldersCountEmptyFilesAndFoldersUnlessAskedAndLinksByTarget() throws {
        let tree = try TestTree()
        for (index, pair) in [("x", "y"), ("p", "q"), ("s", "t"), ("u", "v")].enumerated() {
            let bytes = patternBytes(count: 4_000 + index, seed: 900 + UInt64(index))
            try tree.write(pair.0 + "/a", bytes)
            try tree.write(pair.1 + "/a", bytes)
        }
        // x and y: the same empty file on both sides.
        try tree.write("x/empty", [])
        try tree.write("y/empty", [])
        // p has an empty file q lacks; u has an empty folder v lacks; s has a symbolic link t
        // lacks. w and z have the same link (same name, same target), m and n links with one
        // name and two targets.
        try tree.write("p/empty", [])
        try tree.makeDirectory("u/nothing")
        try tree.symlink("a", "s/link")
        for (index, pair) in [("w", "z"), ("m", "n")].enumerated() {
            let bytes = patternBytes(count: 5_000 + index, seed: 910 + UInt64(index))
            try tree.write(pair.0 + "/a", bytes)
            try tree.write(pair.1 + "/a", bytes)
        }
        try tree.symlink("../x/a", "w/link")
        try tree.symlink("../x/a", "z/link")
        try tree.symlink("../x/a", "m/link")
        try tree.symlink("../y/a", "n/link")
        func identical(_ arguments: String...) throws -> Set<[String]> {
            let words: [String] = ["scan", "--no-catalog", "--format", "json"] + arguments + [tree.rootString]
            let result = try CLI.run(words.map { Array($0.utf8) })
            let json = try JSONReport.decode(result.standardOutput)
            let prefix = tree.rootString.count + 1
            var sets = Set<[String]>()
            for folders in json.duplicateFolders ?? [] {
                sets.insert(folders.paths.map { (value: JSONReport.PathValue) -> String in String(value.path.dropFirst(prefix)) })
            }
            return sets
        }
        #expect(try identical() == [["x", "y"], ["w", "z"]])
        #expect(try identical("--folders-ignore-empty") == [["x", "y"], ["p", "q"], ["u", "v"], ["w", "z"]])
    }

    @Test func nearlyIdenticalFoldersAreShownWithWhatDiffersUpToTheThreshold() throws {
        let tree = try TestTree()
        for (index, name) in ["a", "b", "d", "f", "g", "sub/e"].enumerated() {
            let bytes = patternBytes(count: 2_000 * (index + 1), seed: UInt64(600 + index))
            try tree.write("Photos/2019/" + name, bytes)
            try tree.write("Backup/Photos/2019/" + name, bytes)
        }
        // One name with other contents on each side, one file of its own on each side.
        try tree.write("Photos/2019/c", patternBytes(count: 5_000, seed: 700))
        try tree.write("Backup/Photos/2019/c", patternBytes(count: 5_000, seed: 701))
        try tree.write("Photos/2019/only-here", patternBytes(count: 900, seed: 702))
        try tree.write("Backup/Photos/2019/extra", patternBytes(count: 901, seed: 703))
        let matching = (1...6).reduce(0) { $0 + 2_000 * $1 }
        let result = try CLI.run("scan", "--no-catalog", tree.rootString)
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "Nearly identical folders (the same but for a few files):"), "\(result.output)")
        // The topmost pair only: Photos/2019 and Backup/Photos/2019 are said by their parents' line.
        #expect(Array(lines[(start + 1)...(start + 4)]) == [
            "  \(tree.rootString)/Backup/Photos",
            "  \(tree.rootString)/Photos",
            "    6 files match (\(ByteSize.format(Int64(matching)))); 2 of the first and 2 of the second have no match in the other.",
            "",
        ], "\(result.output)")
        #expect(!lines.contains("  \(tree.rootString)/Photos/2019"), "\(result.output)")
        let json = try JSONReport.decode(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        let pairs = try #require(json.nearlyIdenticalFolders)
        #expect(pairs.count == 1)
        #expect(pairs.first?.paths.map(\.path) == [tree.rootString + "/Backup/Photos", tree.rootString + "/Photos"])
        #expect(pairs.first.map { [$0.matchingFiles, $0.onlyInFirst, $0.onlyInSecond] } == [6, 2, 2])
        #expect(pairs.first?.matchingBytes == Int64(matching))
        // Four files differ: a threshold of 3 (or 0) shows none.
        for threshold in ["3", "0"] {
            let strict = try CLI.run("scan", "--no-catalog", "--nearly-identical", threshold, tree.rootString)
            #expect(strict.status == 0 && !strict.output.contains("Nearly identical"), "\(strict.output)")
        }
        let four = try CLI.run("scan", "--no-catalog", "--nearly-identical", "4", tree.rootString)
        #expect(four.output.contains("Nearly identical folders"))
        #expect(try CLI.run("scan", "--no-catalog", "--nearly-identical=-1", tree.rootString).status == 64)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func statsNameTheStorageBelowEachFilesystem() throws {
        let mount: Mounted
        do { mount = try Mounted("tmpfs") } catch let skip as Mounted.Skip { try Test.cancel("\(skip.reason)") }
        let disk = try TestTree(base: "/var/tmp")
        let bytes = patternBytes(count: 3_000, seed: 950)
        try Data(bytes).write(to: URL(fileURLWithPath: mount.path("a")))
        try disk.write("b", bytes)
        let result = try CLI.run("scan", "--no-catalog", "--stats", "--format", "json", mount.point, disk.rootString)
        #expect(result.status == 0)
        #expect(result.standardError.contains("stats: storage: tmpfs from tmpfs: memory, because tmpfs is memory; read with"),
            "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any]
        let storage = try #require((json?["statistics"] as? [String: Any])?["storage"] as? [[String: Any]])
        #expect(storage.count == 2)
        #expect(storage.first?["kind"] as? String == "memory" && storage.first?["filesystem"] as? String == "tmpfs")
        #expect(storage.last?["device"] as? Int == Int(try disk.status("b").st_dev))
    }

    @Test(.enabled(if: getuid() == 0, "loop-mounting btrfs needs root"))
    func aBtrfsSubvolumesAnonymousDeviceIsFoundByItsMount() throws {
        // btrfs gives its files a device number the mount table does not list; the mount id finds
        // the mount, and the loop device leads to the disk holding the image.
        let mount: Mounted
        do { mount = try Mounted("btrfs") } catch let skip as Mounted.Skip { try Test.cancel("\(skip.reason)") }
        let bytes = patternBytes(count: 3_000, seed: 955)
        for name in ["a", "b"] { try Data(bytes).write(to: URL(fileURLWithPath: mount.path(name))) }
        let result = try CLI.run("scan", "--no-catalog", "--format", "json", mount.point)
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any]
        let storage = try #require(((json?["statistics"] as? [String: Any])?["storage"] as? [[String: Any]])?.first)
        #expect(storage["filesystem"] as? String == "btrfs", "\(storage)")
        #expect((storage["source"] as? String)?.hasPrefix("/dev/loop") == true, "\(storage)")
        #expect(storage["kind"] as? String != "unknown" && (storage["evidence"] as? String)?.contains("serves") == true, "\(storage)")
    }

    @Test func dropCacheLeavesInTheCacheOnlyWhatWasCachedBefore() throws {
        let tree = try TestTree(base: "/var/tmp")
        let bytes = patternBytes(count: 4 << 20, seed: 960)
        for name in ["cold-a", "cold-b", "warm-c"] { try tree.write(name, bytes) }
        func cached(_ name: String) throws -> Int? {
            let descriptor = open(tree.rootString + "/" + name, O_RDONLY)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            return Syscalls.cachedPages(FileDescriptor(rawValue: descriptor), offset: 0, length: 0)
        }
        func evict(_ name: String) throws {
            let descriptor = open(tree.rootString + "/" + name, O_RDONLY)
            try #require(descriptor >= 0)
            fsync(descriptor)
            posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
            close(descriptor)
        }
        guard try cached("warm-c") != nil else { try Test.cancel("the kernel has no cachestat (Linux 6.5)") }
        let pages = (4 << 20) / Int(sysconf(Int32(_SC_PAGESIZE)))
        // Without the flag the scan leaves what it read cached; with it, only what was cached.
        for (flag, expected) in [(nil, pages), ("--drop-cache", 0)] as [(String?, Int)] {
            try evict("cold-a")
            try evict("cold-b")
            _ = try tree.read("warm-c")
            #expect(try cached("cold-a") == 0 && cached("warm-c") == pages)
            let words: [String] = ["scan", "--no-catalog"] + (flag.map { [$0] } ?? []) + [tree.rootString]
            let result = try CLI.run(words.map { Array($0.utf8) })
            #expect(result.status == 0 && result.output.contains("Found 1 class"), "\(result.output)")
            #expect(try cached("cold-a") == expected && cached("cold-b") == expected, "\(flag ?? "no flag")")
            #expect(try cached("warm-c") == pages, "a file cached before stays cached")
        }
    }

    @Test func topListsTheLargestClassesAndSaysHowManyMore() throws {
        let tree = try TestTree()
        for (index, size) in [40_000, 400_000, 4_000].enumerated() {
            let bytes = patternBytes(count: size, seed: UInt64(200 + index))
            try tree.write("c\(index)/a", bytes)
            try tree.write("c\(index)/b", bytes)
        }
        let result = try CLI.run("scan", "--no-catalog", "--top", "1", tree.rootString)
        #expect(result.status == 0)
        #expect(result.output.contains("\(tree.rootString)/c1/a  (would be kept)"), "\(result.output)")
        #expect(!result.output.contains("\(tree.rootString)/c0/"), "only the largest class: \(result.output)")
        let rest = try tree.allocatedBytes("c0/a") + tree.allocatedBytes("c2/a")
        #expect(result.output.contains("... and 2 more classes (\(ByteSize.format(rest)) reclaimable); --top 0 lists every class."))
        // Not on a terminal, every class is listed by default; JSON always lists all.
        let all = try CLI.run("scan", "--no-catalog", tree.rootString)
        #expect(all.output.contains("/c0/a") && all.output.contains("/c2/a") && !all.output.contains("more class"))
        let json = try JSONReport.decode(try CLI.run("scan", "--no-catalog", "--top", "1", "--format", "json", tree.rootString).standardOutput)
        #expect(json.classes.count == 3)
    }

    @Test func scanPrintsClassesAndSummaryAndChangesNothing() throws {
        let tree = try TestTree()
        let photo = patternBytes(count: 300_000, seed: 1)
        try tree.write("2023/beach.jpg", photo)
        try tree.write("backup/beach.jpg", photo)
        try tree.write("2023/other.jpg", patternBytes(count: 300_000, seed: 2))
        let before = try tree.status("backup/beach.jpg")
        // Reclaimable by blocks (what df will show): 300,000 bytes rounded up to the block.
        let reclaimable = ByteSize.format(try tree.allocatedBytes("backup/beach.jpg"))
        let result = try CLI.run("scan", tree.rootString)
        #expect(result.status == 0)
        // The summary first, then each class with the copy that would be kept marked.
        #expect(result.output == """
            Scanned 3 files (879 KiB).
            Found 1 class of identical files: 1 duplicate, \(reclaimable) reclaimable by hard-linking.

            2 files of 293 KiB, \(reclaimable) reclaimable:
              \(tree.rootString)/2023/beach.jpg  (would be kept)
              \(tree.rootString)/backup/beach.jpg

            Where the space is (bytes linking would free in each directory):
              \(reclaimable)  1 file  \(tree.rootString)/backup

            Saved in the catalog as scan 1.

            """)
        let after = try tree.status("backup/beach.jpg")
        #expect(after.st_ino == before.st_ino && after.st_nlink == 1)
    }

    @Test func jsonRoundTripsNamesThatAreNotUTF8OrHoldNewlinesOrLeadingDashes() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5000, seed: 3)
        let oddNames: [[UInt8]] = [[0x62, 0xFF, 0x61, 0x64], Array("new\nline".utf8), Array("-rf".utf8)]
        for name in oddNames { try tree.write(bytes: name, bytes) }
        let result = try CLI.run(["scan".utf8, "--format".utf8, "json".utf8, "--".utf8].map(Array.init) + [tree.root])
        #expect(result.status == 0)
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.schemaVersion == 1)
        #expect(report.classes.count == 1)
        let paths = Set(report.classes[0].files.map(\.pathBytes))
        #expect(paths == Set(oddNames.map { tree.path($0) }))
        // The non-UTF-8 name carries its exact bytes; the others are plain strings.
        #expect(report.classes[0].files.filter { $0.pathBase64 != nil }.count == 1)
        // Two of the three copies freed, by blocks; 10,000 bytes by size.
        #expect(report.summary.reclaimableBytes == 2 * Int64(try TestTree.status(tree.path(oddNames[0])).st_blocks) * 512)
        #expect(report.summary.apparentReclaimableBytes == 10_000)
    }

    @Test func textOutputQuotesNamesThatWouldBreakALine() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 100, seed: 4)
        try tree.write(bytes: Array("a\nb".utf8), bytes)
        try tree.write(bytes: [0x63, 0xE9], bytes)
        let result = try CLI.run("scan", tree.rootString)
        #expect(result.output.contains("$'\(tree.rootString)/a\\nb'"))
        #expect(result.output.contains("$'\(tree.rootString)/c\\xe9'"))
    }

    @Test func fdupesAndCSVFormatsListEveryName() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 1000, seed: 5)
        try tree.write("x", bytes)
        try tree.write("y,z", bytes)
        try tree.write("p", patternBytes(count: 2000, seed: 6))
        try tree.write("q", patternBytes(count: 2000, seed: 6))
        let fdupes = try CLI.run("scan", "--format", "fdupes", tree.rootString)
        #expect(fdupes.output == "\(tree.rootString)/p\n\(tree.rootString)/q\n\n\(tree.rootString)/x\n\(tree.rootString)/y,z\n")
        let csv = try CLI.run("scan", "--format", "csv", tree.rootString)
        let lines = csv.output.split(separator: "\n")
        #expect(lines.first == "class,size,digest,device,inode,links,path")
        #expect(lines.count == 5)
        #expect(lines.last?.hasSuffix(",\"\(tree.rootString)/y,z\"") == true)
    }

    @Test func missingRootIsAFailureAndBadOptionsAreUsageErrors() throws {
        let tree = try TestTree()
        let missing = try CLI.run("scan", tree.rootString + "/nope")
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("\(tree.rootString)/nope: cannot scan: No such file or directory"))
        #expect(try CLI.run("scan", "--min-size", "lots", tree.rootString).status == 64)
        #expect(try CLI.run("scan").status == 64)
        #expect(try CLI.run("frobnicate").status == 64)
    }

    @Test(.enabled(if: getuid() == 0, "dropping to nobody needs root"))
    func unreadableFileIsAWarningWithItsPathAndExitStatusOne() throws {
        let tree = try TestTree()
        #expect(chmod(tree.root.map { CChar(bitPattern: $0) } + [0], 0o755) == 0)
        let bytes = patternBytes(count: 10_000, seed: 7)
        try tree.write("readable-1", bytes)
        try tree.write("readable-2", bytes)
        try tree.write("secret", bytes, mode: 0o600)
        let result = try CLI.run("scan", "--format", "fdupes", tree.rootString, asNobody: true)
        #expect(result.status == 1)
        #expect(result.standardError.contains("\(tree.rootString)/secret: cannot open: Permission denied"))
        #expect(result.output == "\(tree.rootString)/readable-1\n\(tree.rootString)/readable-2\n")
    }

    @Test func fifoInTheTreeDoesNotHangTheScan() throws {
        let tree = try TestTree()
        try tree.write("a", [1, 2, 3])
        try tree.write("b", [1, 2, 3])
        #expect(withCPath(tree.path("pipe")) { mkfifo($0, 0o666) } == 0)
        let result = try CLI.run("scan", "--format", "fdupes", tree.rootString)
        #expect(result.status == 0)
        #expect(result.output == "\(tree.rootString)/a\n\(tree.rootString)/b\n")
    }

    @Test func helpShowsExamplesAndExitStatuses() throws {
        let help = try CLI.run("--help")
        #expect(help.status == 0)
        #expect(help.output.contains("EXAMPLES:"))
        #expect(help.output.contains("EXIT STATUS:"))
        let scanHelp = try CLI.run("scan", "--help")
        for option in ["--format", "--min-size", "--max-size", "--exclude", "--one-file-system", "--no-hidden", "--jobs", "--quiet", "--stats"] {
            #expect(scanHelp.output.contains(option), "scan --help lacks \(option)")
        }
    }

    @Test func statsReportTheFloorAndBytesReadPerStage() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 1 << 20, seed: 8)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        let result = try CLI.run("scan", "--stats", "--format", "json", tree.rootString)
        #expect(result.standardError.contains("stats: floor (bytes that must be read in full): 2097152"))
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.statistics.floorBytes == 2 << 20)
        #expect(report.statistics.bytesReadContent == 2 << 20)
        #expect(report.statistics.bytesReadHeadTail == 4 * 4096)
    }
}

/// Progress goes to standard error only when it is a terminal.
@Suite struct ProgressTests {
    @Test func noProgressWhenStandardErrorIsNotATerminal() throws {
        let tree = try TestTree()
        for index in 0..<200 { try tree.write("f\(index)", patternBytes(count: 5000, seed: UInt64(index % 50))) }
        let result = try CLI.run("scan", tree.rootString)
        #expect(result.status == 0)
        #expect(!result.standardError.contains("\r"))
        #expect(result.standardError.isEmpty)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script(1) makes the terminal"))
    func progressLineWhenStandardErrorIsATerminal() throws {
        let tree = try TestTree()
        for index in 0..<200 { try tree.write("f\(index)", patternBytes(count: 5000, seed: UInt64(index % 50))) }
        // script(1) runs the command on a pseudo-terminal and copies what it printed to stdout.
        let command = "\(CLI.binary) scan --no-catalog \(tree.rootString) 2>&1 >/dev/null"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("\r\u{1B}[K"))
        #expect(output.contains("walking:") || output.contains("reading") || output.contains("comparing"))
        // --quiet draws nothing, even on a terminal.
        let quiet = Process()
        quiet.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        quiet.arguments = ["-qec", "\(CLI.binary) scan --quiet --no-catalog \(tree.rootString) 2>&1 >/dev/null", "/dev/null"]
        let quietPipe = Pipe()
        quiet.standardOutput = quietPipe
        quiet.standardInput = FileHandle.nullDevice
        try quiet.run()
        let quietOutput = String(decoding: quietPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        quiet.waitUntilExit()
        #expect(!quietOutput.contains("walking:"))
    }
}
