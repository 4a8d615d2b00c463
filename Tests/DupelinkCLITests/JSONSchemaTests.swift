import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The JSON schemas published under `man/schemas/` describe what dupelink really prints: real
/// outputs of a real tree (a non-UTF-8 name, a refusal, a warning, links, a journal) are
/// validated with Debian's `python3-jsonschema` (draft 2020-12).
@Suite struct JSONSchemaTests {
    static let python = "/usr/bin/python3"
    static var validatorAvailable: Bool {
        run(python, ["-c", "import jsonschema; jsonschema.Draft202012Validator"]) == 0
    }

    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("man/schemas").path

    /// Validates each JSON document (one per line when `lines`) in `file` against `schema`;
    /// returns the validator's complaints, empty when all is well.
    func validate(_ file: String, against schema: String, lines: Bool = false) throws -> String {
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            text = open(sys.argv[2]).read()
            documents = [json.loads(l) for l in text.splitlines() if l.strip()] if sys.argv[3] == "lines" else [json.loads(text)]
            errors = [e for d in documents for e in Draft202012Validator(schema).iter_errors(d)]
            for e in errors[:5]: print(list(e.absolute_path), e.message)
            sys.exit(1 if errors or not documents else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-c", script, Self.schemas + "/" + schema, file, lines ? "lines" : "one"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? "" : "\(schema) on \(file): \(text)"
    }

    @Test(.enabled(if: validatorAvailable, "/usr/bin/python3 has no jsonschema (apt-get install python3-jsonschema)"))
    func everyPublishedSchemaDescribesRealOutput() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 9_000, seed: 141)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tree.write("private", bytes, mode: 0o600)
        try tree.write(bytes: [0x6E, 0xFF], [1, 2, 3])
        try tree.write("n-copy", [1, 2, 3])
        // Two identical folders, for `duplicateFolders`.
        for folder in ["f1", "f2"] { try tree.write(folder + "/x", patternBytes(count: 2_000, seed: 142)) }
        // Two folders alike but for one file, for `nearlyIdenticalFolders`.
        for name in ["p", "q", "r"] {
            let content = patternBytes(count: 3_000, seed: 143 + UInt64(name.utf8.first!))
            for folder in ["g1", "g2"] { try tree.write(folder + "/" + name, content) }
        }
        try tree.write("g2/own", patternBytes(count: 1_234, seed: 149))
        func save(_ name: String, _ arguments: String...) throws -> String {
            let result = try CLI.run(arguments.map { Array($0.utf8) })
            let path = state.rootString + "/" + name
            #expect(FileManager.default.createFile(atPath: path, contents: Data(result.standardOutput)))
            return path
        }
        let summary = state.rootString + "/runs.jsonl"
        let outputs: [(file: String, schema: String)] = [
            (try save("scan.json", "scan", "--format", "json", "--summary-json", summary, "--catalog", catalog, tree.rootString, tree.rootString + "/missing"), "report.schema.json"),
            (try save("dry.json", "link", "--dry-run", "--format", "json", "--summary-json", summary, "--catalog", catalog, tree.rootString), "report.schema.json"),
            (try save("link.json", "link", "--format", "json", "--summary-json", summary, "--catalog", catalog, tree.rootString), "report.schema.json"),
            (try save("report.json", "report", "--format", "json", "--catalog", catalog), "report.schema.json"),
            (try save("history.json", "history", "--format", "json", "--catalog", catalog), "history.schema.json"),
            (try save("info.json", "catalog", "info", "--format", "json", "--catalog", catalog), "catalog-info.schema.json"),
            (try save("list.json", "report", "--list", "--format", "json", "--catalog", catalog), "scan-list.schema.json"),
            (try save("directories.json", "report", "--by-directory", "--format", "json", "--catalog", catalog, "1"), "directories.schema.json"),
        ]
        #expect(try String(contentsOfFile: outputs[0].file, encoding: .utf8).contains("\"duplicateFolders\""))
        #expect(try String(contentsOfFile: outputs[0].file, encoding: .utf8).contains("\"nearlyIdenticalFolders\""))
        for (file, schema) in outputs {
            let complaints = try validate(file, against: schema)
            #expect(complaints.isEmpty, "\(complaints)")
        }
        let lines = try validate(summary, against: "summary-line.schema.json", lines: true)
        #expect(lines.isEmpty, "\(lines)")
        // The schemas are not vacuous: a report missing its summary is rejected.
        let broken = state.rootString + "/broken.json"
        let text = try String(contentsOfFile: state.rootString + "/link.json", encoding: .utf8)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        object["summary"] = nil
        #expect(FileManager.default.createFile(atPath: broken, contents: try JSONSerialization.data(withJSONObject: object)))
        #expect(try !validate(broken, against: "report.schema.json").isEmpty)
    }
}
