import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The systemd service and timer shipped under `man/systemd/` are valid units (checked by
/// `systemd-analyze verify` against the built binary) and hardened (`systemd-analyze security`).
@Suite struct SystemdUnitTests {
    static let analyzer = "/usr/bin/systemd-analyze"
    static let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("man/systemd").path

    func analyze(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyzer)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer), "systemd-analyze is not installed (apt-get install systemd)"))
    func theShippedUnitsVerifyAndAreHardened() throws {
        let folder = try TestTree()
        for name in ["dupelink-backup.service", "dupelink-backup.timer"] {
            // The binary where this build put it, so `verify` finds what ExecStart names.
            let text = try String(contentsOfFile: Self.units + "/" + name, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/dupelink", with: CLI.binary)
            #expect(FileManager.default.createFile(atPath: folder.rootString + "/" + name, contents: Data(text.utf8)))
        }
        let verify = try analyze(["verify", "--man=no", "./dupelink-backup.service", "./dupelink-backup.timer"], in: folder.rootString)
        #expect(verify.status == 0, "\(verify.output)")
        let security = try analyze(["security", "--offline=true", "./dupelink-backup.service"], in: folder.rootString)
        let line = security.output.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let score = line.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }
        let exposure = try #require(score, "\(security.output.suffix(400))")
        #expect(exposure <= 2.0, "exposure \(exposure): \(line)")
        print("systemd-analyze security: \(line)")
    }

    @Test func theInstallScriptPutsEverythingUnderThePrefix() throws {
        let prefix = try TestTree()
        let script = Self.units + "/../../Scripts/install.sh"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, prefix.rootString]
        process.environment = ProcessInfo.processInfo.environment.merging(["DUPELINK_BINARY": CLI.binary]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for path in [
            "bin/dupelink", "share/man/man1/dupelink.1", "share/bash-completion/completions/dupelink",
            "share/zsh/site-functions/_dupelink", "share/fish/vendor_completions.d/dupelink.fish",
            "lib/systemd/system/dupelink-backup.service", "lib/systemd/system/dupelink-backup.timer",
        ] {
            #expect(FileManager.default.fileExists(atPath: prefix.rootString + "/" + path), "\(path)")
        }
        let service = try String(contentsOfFile: prefix.rootString + "/lib/systemd/system/dupelink-backup.service", encoding: .utf8)
        #expect(service.contains("ExecStart=\(prefix.rootString)/bin/dupelink link"))
        let installed = try CLI.run("--version")
        #expect(installed.status == 0)
    }
}
