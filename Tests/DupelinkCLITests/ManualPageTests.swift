import DupelinkTestSupport
import Foundation
import Testing

/// An option is finished when `--help`, the man page and the README all mention it.
@Suite struct ManualPageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every long option (`--name`) that `dupelink <command> --help` lists.
    func longOptions(of command: String) throws -> Set<String> {
        let help = try CLI.run(command, "--help").output
        let pattern = try NSRegularExpression(pattern: "(?<![\\w-])--([a-z][a-z-]*)")
        let range = NSRange(help.startIndex..., in: help)
        return Set(pattern.matches(in: help, range: range).compactMap { Range($0.range(at: 1), in: help).map { String(help[$0]) } })
    }

    @Test(arguments: ["scan", "link", "dedupe"])
    func everyOptionInHelpIsInTheManualPageAndTheReadme(command: String) throws {
        let manual = try String(contentsOf: Self.repository.appendingPathComponent("man/dupelink.1"), encoding: .utf8)
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let options = try longOptions(of: command)
        #expect(options.count >= 15, "help lists too few options: \(options.sorted())")
        for option in options {
            // mdoc writes --name as "Fl -name".
            #expect(manual.contains("Fl -\(option)") || manual.contains(", -\(option)"), "man/dupelink.1 lacks --\(option)")
            #expect(readme.contains("--\(option)"), "README.md lacks --\(option)")
        }
    }

    @Test func manualPageDocumentsExitStatusesFilesAndSafety() throws {
        let manual = try String(contentsOf: Self.repository.appendingPathComponent("man/dupelink.1"), encoding: .utf8)
        for section in ["DESCRIPTION", "SAFETY", "\"EXIT STATUS\"", "FILES", "EXAMPLES", "HARD LINKS"] {
            #expect(manual.contains(".Sh \(section)") || manual.contains(".Sh \(section.replacingOccurrences(of: "\"", with: ""))"),
                "man page lacks \(section)")
        }
        for status in ["0", "1", "2", "64", "130"] { #expect(manual.contains(".It \(status)\n")) }
        #expect(manual.contains("OnCalendar="))
        #expect(manual.contains(".It Cm dedupe"), "man page lacks the dedupe command")
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("## Hard links or shared extents"))
    }
}
