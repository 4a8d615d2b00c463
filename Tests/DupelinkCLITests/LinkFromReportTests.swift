import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `dupelink link --from FILE.json`: a reviewed, perhaps hand-edited report applied on its own.
@Suite struct LinkFromReportTests {
    /// A tree with a class of three (`a`), and two classes of two (`b`, `c`), and its JSON report.
    func scannedTree() throws -> (tree: TestTree, report: EditableReport, contents: [String: [UInt8]]) {
        let tree = try TestTree()
        let contents = [
            "a": patternBytes(count: 12_000, seed: 41), "b": patternBytes(count: 6_000, seed: 42),
            "c": patternBytes(count: 2_000, seed: 43),
        ]
        try tree.write("a1", contents["a"] ?? [])
        try tree.write("p/a2", contents["a"] ?? [])
        try tree.write("p/q/a3", contents["a"] ?? [])
        try tree.write("b1", contents["b"] ?? [])
        try tree.write("p/b2", contents["b"] ?? [])
        try tree.write("c1", contents["c"] ?? [])
        try tree.write("p/q/c2", contents["c"] ?? [])
        let scan = try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString)
        #expect(scan.status == 0, "\(scan.standardError)")
        return (tree, try EditableReport(scan.standardOutput), contents)
    }

    @Test func linkFromAppliesOnlyWhatIsLeftOfAHandEditedReport() throws {
        let (tree, original, contents) = try scannedTree()
        let store = try TestTree()
        var report = original
        // Keep p/q/a3 separate: remove it from its class of three.
        let a = try #require(report.classIndex(holding: "/a1"))
        report.setFiles(report.files(ofClass: a).filter { ($0["path"] as? String)?.hasSuffix("/p/q/a3") != true }, ofClass: a)
        // Keep the b files separate: remove their class.
        let b = try #require(report.classIndex(holding: "/b1"))
        report.classes.remove(at: b)
        let file = try report.write(to: store.rootString + "/reviewed.json")

        let a3Inode = try tree.status("p/q/a3").st_ino
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("Linked 2 files"), "\(result.output)")
        #expect(try tree.status("a1").st_ino == tree.status("p/a2").st_ino)
        #expect(try tree.status("p/q/a3").st_ino == a3Inode && tree.status("p/q/a3").st_nlink == 1)
        #expect(try tree.status("b1").st_ino != tree.status("p/b2").st_ino)
        #expect(try tree.status("c1").st_ino == tree.status("p/q/c2").st_ino)
        #expect(try tree.read("p/a2") == contents["a"] && tree.read("p/q/c2") == contents["c"])
    }

    @Test func aClassLeftWithOneNameIsSkipped() throws {
        let (tree, original, _) = try scannedTree()
        let store = try TestTree()
        var report = original
        let b = try #require(report.classIndex(holding: "/b1"))
        report.setFiles(Array(report.files(ofClass: b).prefix(1)), ofClass: b)
        let before = try TreeSnapshot(tree.root)
        let result = try CLI.run("link", "--from", try report.write(to: store.rootString + "/r.json"), "--dry-run")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.output.contains("b1"))
        #expect(result.output.contains("Dry run: would link 3 files"))
        #expect(try TreeSnapshot(tree.root) == before)
    }

    /// Hand edits that must make `link --from` refuse the whole report, and what it must say.
    enum Malformation: String, CaseIterable, CustomTestStringConvertible {
        case duplicatePath, pathOutsideTheRoots, relativePath, mixedSizes, missingFingerprint, wrongSchemaVersion, notJSON,
            dotDotComponent

        var testDescription: String { rawValue }

        var message: String {
            switch self {
            case .duplicatePath: "the path is listed twice"
            case .pathOutsideTheRoots: "the path is not under any root of the report"
            case .relativePath: "the path is not absolute"
            case .mixedSizes: "the names of a class must all be the same size"
            case .missingFingerprint: "it has no fingerprint (missing modificationTimeNs, changeTimeNs)"
            case .wrongSchemaVersion: "its schemaVersion is 2; this dupelink reads version 1"
            case .notJSON: "it is not valid JSON: 'c' where a value was expected at byte 0 (line 1, column 1)"
            case .dotDotComponent: "has an empty, '.' or '..' component"
            }
        }
    }

    @Test(arguments: Malformation.allCases)
    func malformedReportsAreRefusedBeforeAnyChange(_ malformation: Malformation) throws {
        let (tree, original, _) = try scannedTree()
        let outside = try TestTree()
        try outside.write("a-outside", patternBytes(count: 12_000, seed: 41))
        let store = try TestTree()
        var report = original
        let a = try #require(report.classIndex(holding: "/a1"))
        var files = report.files(ofClass: a)
        let file = store.rootString + "/bad.json"
        switch malformation {
        case .duplicatePath:
            files.append(files[0])
        case .pathOutsideTheRoots:
            files[1]["path"] = outside.rootString + "/a-outside"
        case .relativePath:
            files[1]["path"] = "a1"
        case .mixedSizes:
            // A file of class c put into class a: its recorded size gives it away.
            let c = try #require(report.classIndex(holding: "/c1"))
            files.append(report.files(ofClass: c)[0])
            var cFiles = report.files(ofClass: c)
            cFiles.removeFirst()
            report.setFiles(cFiles, ofClass: c)
        case .missingFingerprint:
            files[2]["modificationTimeNs"] = nil
            files[2]["changeTimeNs"] = nil
        case .wrongSchemaVersion:
            report.object["schemaVersion"] = 2
        case .notJSON:
            break
        case .dotDotComponent:
            files[1]["path"] = tree.rootString + "/p/../a1"
        }
        report.setFiles(files, ofClass: a)
        if malformation == .notJSON {
            try Data("classes: a1 a2\n".utf8).write(to: URL(fileURLWithPath: file))
        } else {
            _ = try report.write(to: file)
        }
        let treeBefore = try TreeSnapshot(tree.root)
        let outsideBefore = try TreeSnapshot(outside.root)
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 2)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains(malformation.message), "\(result.standardError)")
        #expect(result.standardError.contains("nothing was changed"))
        #expect(try TreeSnapshot(tree.root) == treeBefore)
        #expect(try TreeSnapshot(outside.root) == outsideBefore)
    }

    @Test func aNonUTF8PathSurvivesScanToJSONToLinkFrom() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let bytes = patternBytes(count: 9_000, seed: 44)
        let odd: [UInt8] = Array("d/caf".utf8) + [0xE9] + Array("/x".utf8) + [0xFF]
        try tree.write(bytes: odd, bytes)
        try tree.write("plain", bytes)
        let scan = try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString)
        let file = store.rootString + "/report.json"
        try Data(scan.standardOutput).write(to: URL(fileURLWithPath: file))
        let decoded = try JSONReport.decode(scan.standardOutput)
        #expect(decoded.classes.first?.files.contains { $0.pathBytes == tree.path(odd) && $0.pathBase64 != nil } == true)

        let result = try CLI.run("link", "--from", file, "--format", "json")
        #expect(result.status == 0, "\(result.standardError)")
        let linked = try JSONReport.decode(result.standardOutput)
        #expect(linked.replacements?.count == 1)
        #expect(try TestTree.status(tree.path(odd)).st_ino == tree.status("plain").st_ino)
        #expect(try TestTree.read(tree.path(odd)) == bytes)
    }

    @Test func aNameMovedIntoAnotherClassOfTheSameSizeIsRefusedBeforeAnyChange() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let same = patternBytes(count: 8_000, seed: 45)
        var other = same
        other[4_000] ^= 0xFF  // same size, same head and tail: only the middle differs
        try tree.write("s1", same)
        try tree.write("s2", same)
        try tree.write("o1", other)
        try tree.write("o2", other)
        var report = try EditableReport(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        let s = try #require(report.classIndex(holding: "/s1"))
        let o = try #require(report.classIndex(holding: "/o1"))
        // The reviewer moves o2 into the s class by mistake: sizes and fingerprints all still hold.
        var sFiles = report.files(ofClass: s)
        var oFiles = report.files(ofClass: o)
        sFiles.append(oFiles.removeLast())
        report.setFiles(sFiles, ofClass: s)
        report.setFiles(oFiles, ofClass: o)
        let file = try report.write(to: store.rootString + "/moved.json")
        let before = try TreeSnapshot(tree.root)
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 2)
        #expect(result.standardError.contains("the report puts different files in one class"), "\(result.standardError)")
        #expect(result.standardError.contains("nothing was changed"))
        #expect(try TreeSnapshot(tree.root) == before)
        #expect(try tree.read("s1") == same && tree.read("o2") == other)
    }

    @Test func aModeEditedInTheReportIsRefusedBeforeAnyChange() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let bytes = patternBytes(count: 4_000, seed: 46)
        try tree.write("shared", bytes, mode: 0o644)
        try tree.write("private", bytes, mode: 0o600)
        var report = try EditableReport(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        let index = try #require(report.classIndex(holding: "/private"))
        // Claim the private copy is world-readable, so the planner would link it to the shared one.
        report.setFiles(report.files(ofClass: index).map { file in
            var file = file
            file["mode"] = 0o100644
            return file
        }, ofClass: index)
        let file = try report.write(to: store.rootString + "/forged.json")
        let before = try TreeSnapshot(tree.root)
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(tree.rootString)/private: its owner, group, mode"), "\(result.standardError)")
        #expect(result.standardError.contains("owner, group, mode or link count is not what the report says"))
        #expect(try TreeSnapshot(tree.root) == before)
    }

    @Test func aFileChangedSinceTheReportIsSkippedAndReported() throws {
        let (tree, report, contents) = try scannedTree()
        let store = try TestTree()
        let file = try report.write(to: store.rootString + "/report.json")
        // Same bytes, new times: the report's fingerprint no longer holds, so it is not trusted.
        try tree.write("p/q/a3", contents["a"] ?? [])
        let a3Inode = try tree.status("p/q/a3").st_ino
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 1)
        #expect(result.standardError.contains("\(tree.rootString)/p/q/a3: changed since it was compared"), "\(result.standardError)")
        #expect(try tree.status("p/q/a3").st_ino == a3Inode && tree.status("p/q/a3").st_nlink == 1)
        #expect(try tree.status("a1").st_ino == tree.status("p/a2").st_ino)
        #expect(try tree.status("b1").st_ino == tree.status("p/b2").st_ino)
    }

    @Test func aReportWithoutAttributesDigestIsRefusedAndOneWhoseDigestsLieLinksNothingOfThatClass() throws {
        let (tree, original, _) = try scannedTree()
        let store = try TestTree()
        let before = try TreeSnapshot(tree.root)
        // Written by a dupelink that did not read attributes: refused as a whole.
        var old = original
        for index in old.classes.indices {
            old.setFiles(old.files(ofClass: index).map { var file = $0; file["attributesDigest"] = nil; return file }, ofClass: index)
        }
        let refused = try CLI.run("link", "--from", try old.write(to: store.rootString + "/old.json"))
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("it has no attributesDigest"), "\(refused.standardError)")
        #expect(try TreeSnapshot(tree.root) == before)

        // Every file of class b edited to one made-up digest: the plan joins them, and the
        // linker, reading the real attributes under the leases, skips each.
        var edited = original
        let b = try #require(edited.classIndex(holding: "/b1"))
        let madeUp = String(repeating: "ab", count: 16)
        edited.setFiles(edited.files(ofClass: b).map { var file = $0; file["attributesDigest"] = madeUp; return file }, ofClass: b)
        let result = try CLI.run("link", "--from", try edited.write(to: store.rootString + "/edited.json"))
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("extended attributes or flags are not those of the scan or report"), "\(result.standardError)")
        #expect(try tree.status("b1").st_ino != tree.status("p/b2").st_ino)
        #expect(try tree.status("a1").st_ino == tree.status("p/a2").st_ino)
        #expect(try tree.status("c1").st_ino == tree.status("p/q/c2").st_ino)
    }

    @Test func fromReadsOnlyARegularFileAndNeverBlocksOnAFIFO() throws {
        let store = try TestTree()
        let fifo = store.rootString + "/report.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Opened without blocking and refused: no writer ever comes.
        for path in [fifo, "/dev/zero", store.rootString] {
            let result = try CLI.run("link", "--from", path)
            #expect(result.status == 2, "\(path): \(result.standardError)")
            #expect(result.standardError.contains("\(path): not a regular file"), "\(result.standardError)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/jq"), "jq is not installed"))
    func aReportPassedThroughJqStillApplies() throws {
        let (tree, report, _) = try scannedTree()
        let store = try TestTree()
        let file = try report.write(to: store.rootString + "/report.json")
        // jq 1.6 reads numbers as doubles: a nanosecond count of today loses its last digits.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/jq")
        process.arguments = [".", file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let edited = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let through = store.rootString + "/through-jq.json"
        #expect(FileManager.default.createFile(atPath: through, contents: edited))
        let result = try CLI.run("link", "--from", through)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try tree.status("a1").st_ino == tree.status("p/q/a3").st_ino)
        #expect(try tree.status("b1").st_ino == tree.status("p/b2").st_ino)
    }

    @Test(arguments: [true, false])
    func aChangedFileOfATwoFileClassIsSkippedAndTheRestLinked(rewritten: Bool) throws {
        let (tree, report, contents) = try scannedTree()
        let store = try TestTree()
        let file = try report.write(to: store.rootString + "/report.json")
        // Class c has two files; one is rewritten with other bytes, or only touched, since.
        let bytes = contents["c"] ?? []
        try tree.write("p/q/c2", rewritten ? bytes.map { $0 ^ 0xFF } : bytes)
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("\(tree.rootString)/p/q/c2: changed since it was compared"), "\(result.standardError)")
        #expect(!result.standardError.contains("though neither changed"), "\(result.standardError)")
        #expect(try tree.status("c1").st_nlink == 1 && tree.status("p/q/c2").st_nlink == 1)
        #expect(try tree.status("a1").st_ino == tree.status("p/a2").st_ino)
        #expect(try tree.status("b1").st_ino == tree.status("p/b2").st_ino)
    }

    @Test func aScanOfARelativeRootStoresItAbsoluteAndItsReportAppliesFromAnywhere() throws {
        let tree = try TestTree()
        let store = try TestTree()
        let bytes = patternBytes(count: 7_000, seed: 121)
        try tree.write("photos/a", bytes)
        try tree.write("photos/b", bytes)
        // `./photos/./` from inside the tree: stored as the absolute path.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["scan", "--no-catalog", "--format", "json", "./photos/./"]
        process.currentDirectoryURL = URL(fileURLWithPath: tree.rootString)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let report = try JSONReport.decode(Array(json))
        #expect(report.roots.map(\.path) == [tree.rootString + "/photos"])
        #expect(report.classes.first?.files.map(\.path).sorted() == [tree.rootString + "/photos/a", tree.rootString + "/photos/b"])
        let file = store.rootString + "/report.json"
        #expect(FileManager.default.createFile(atPath: file, contents: json))
        let result = try CLI.run("link", "--from", file)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try tree.status("photos/a").st_ino == tree.status("photos/b").st_ino)
    }
}
