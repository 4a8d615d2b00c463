import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// `--format html`: one self-contained page, and a review in a real browser (headless Chromium
/// driven over the DevTools protocol by `Tests/Browser/drive-report.py`) whose downloaded plan
/// `link --from` applies to exactly the files left selected.
@Suite struct HTMLReportTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/drive-report.py").path
    /// Where the browser test leaves its screenshot and plan, kept after the run (under `.build`,
    /// which git ignores).
    static let outputFolder = FileManager.default.currentDirectoryPath + "/.build/test-output/html-report"

    /// The JSON the page carries in the script element `id`, unescaped by a JSON decoder.
    func embedded(_ id: String, in page: String) throws -> Data {
        let start = try #require(page.range(of: "<script type=\"application/json\" id=\"\(id)\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        return Data(page[start.upperBound..<end.lowerBound].utf8)
    }

    @Test func thePageIsSelfContainedAndCarriesTheJSONReportSafely() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5_000, seed: 801)
        // A name that would end the script element, and one that is not UTF-8.
        try tree.write("a/</script><!--x", bytes)
        try tree.write(bytes: Array("a/caf".utf8) + [0xE9], bytes)
        try tree.write("b/copy", bytes)
        let result = try CLI.run("scan", "--no-catalog", "--format", "html", tree.rootString)
        #expect(result.status == 0, "\(result.standardError)")
        let page = result.output
        #expect(page.hasPrefix("<!doctype html>") && page.hasSuffix("</html>\n"))
        #expect(page.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
        // Nothing is fetched: no external script, style, font or image.
        for reference in ["src=", "href=\"http", "url(", "@import", "//cdn", "<link "] {
            #expect(!page.contains(reference), "the page refers to something outside it: \(reference)")
        }
        // Exactly three script elements open and close: the name did not end one.
        #expect(page.components(separatedBy: "<script").count - 1 == 3)
        #expect(page.components(separatedBy: "</script>").count - 1 == 3)
        let report = try JSONReport.decode(Array(try embedded("dupelink-report", in: page)))
        let json = try JSONReport.decode(try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString).standardOutput)
        #expect(report.classes.map { $0.files.map(\.pathBytes) } == json.classes.map { $0.files.map(\.pathBytes) })
        let paths = Set(report.classes.flatMap { $0.files.map(\.pathBytes) })
        #expect(paths.contains(tree.path("a/</script><!--x")))
        #expect(paths.contains(tree.path(Array("a/caf".utf8) + [0xE9])), "the non-UTF-8 name is carried exactly")
        // The page's own data: one role letter per name, the copy kept marked.
        let data = try #require(try JSONSerialization.jsonObject(with: try embedded("dupelink-page", in: page)) as? [String: Any])
        let roles = try #require(data["roles"] as? [String])
        #expect(roles.count == 1 && roles[0].count == 3 && roles[0].filter { $0 == "k" }.count == 1 && roles[0].filter { $0 == "r" }.count == 2)
    }

    @Test func htmlIsRefusedWhereItMeansNothing() throws {
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        #expect(try CLI.run("scan", "--catalog", catalog, state.rootString).status == 0)
        #expect(try CLI.run("report", "--list", "--format", "html", "--catalog", catalog).status == 64)
        #expect(try CLI.run("report", "--by-directory", "--format", "html", "--catalog", catalog).status == 64)
    }

    @Test(.enabled(if: chromium != nil, "no Chromium (apt-get install chromium)"))
    func aReviewInTheBrowserLinksExactlyTheFilesLeftSelected() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let contents = (0..<3).map { patternBytes(count: 20_000 + $0 * 1_000, seed: 810 + UInt64($0)) }
        try tree.write("photos/a1", contents[0])
        try tree.write("backup/a2", contents[0])
        for name in ["b1", "b2", "b3"] { try tree.write("music/" + name, contents[1]) }
        let oddName = Array("docs/caf".utf8) + [0xE9]
        try tree.write(bytes: oddName, contents[2])
        try tree.write("docs/c2", contents[2])

        let scan = try CLI.run("scan", "--format", "html", "--catalog", catalog, tree.rootString)
        #expect(scan.status == 0, "\(scan.standardError)")
        try FileManager.default.createDirectory(atPath: Self.outputFolder, withIntermediateDirectories: true)
        let page = Self.outputFolder + "/report.html"
        #expect(FileManager.default.createFile(atPath: page, contents: Data(scan.standardOutput)))

        // A person unchecks the class of photos/a1 and the name music/b3, and downloads the plan.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            Self.driver, "--page", page, "--out", Self.outputFolder, "--chromium", try #require(Self.chromium),
            "--uncheck-class", tree.rootString + "/photos/a1", "--uncheck-file", tree.rootString + "/music/b3",
            "--screenshot", Self.outputFolder + "/page.png", "--download",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(complaint)")
        let result = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any], "\(complaint)")
        let plan = try #require(result["plan"] as? String)
        #expect(FileManager.default.fileExists(atPath: Self.outputFolder + "/page.png"))

        // The plan is a report of the same schema, fingerprints kept, and nothing else changed.
        let reviewed = try JSONReport.decode(Array(try Data(contentsOf: URL(fileURLWithPath: plan))))
        #expect(reviewed.classes.count == 2)
        if JSONSchemaTests.validatorAvailable {
            #expect(try JSONSchemaTests().validate(plan, against: "report.schema.json") == "")
        }
        for path in ["photos/a1", "backup/a2", "music/b1", "music/b2", "music/b3", "docs/c2"] {
            #expect(try tree.status(path).st_nlink == 1, "nothing is linked before link --from: \(path)")
        }
        let link = try CLI.run("link", "--from", plan, "--catalog", catalog)
        #expect(link.status == 0, "\(link.output) \(link.standardError)")

        func inode(_ relative: [UInt8]) throws -> ino_t { try TestTree.status(tree.path(relative)).st_ino }
        func inode(_ relative: String) throws -> ino_t { try inode(Array(relative.utf8)) }
        // The unchecked class and the unchecked name are as they were; the rest is linked.
        #expect(try inode("photos/a1") != inode("backup/a2"))
        #expect(try inode("music/b1") == inode("music/b2"))
        #expect(try inode("music/b3") != inode("music/b1"))
        #expect(try tree.status("music/b3").st_nlink == 1)
        #expect(try inode(oddName) == inode("docs/c2"), "the name that is not UTF-8 went through the browser intact")
        for (index, path) in [(0, "photos/a1"), (0, "backup/a2"), (1, "music/b3"), (1, "music/b1"), (2, "docs/c2")] {
            #expect(try tree.read(path) == contents[index])
        }
    }
}
