import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Ctrl-C and SIGTERM during `link`: the replacement in progress finishes, nothing is lost, no
/// temporary name stays, and the exit status says so.
@Suite struct InterruptTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func signalDuringLinkLosesNothingAndLeavesNoTemporaryName(signal: Int32) throws {
        let tree = try TestTree()
        let pairs = 3000
        var contents: [String: [UInt8]] = [:]
        for index in 0..<pairs {
            let bytes = patternBytes(count: 200 + index, seed: UInt64(index))
            for name in ["a/\(index)", "b/\(index)"] {
                try tree.write(name, bytes)
                contents[name] = bytes
            }
        }
        let running = try CLI.start(["link", "--format", "json", tree.rootString].map { Array($0.utf8) })
        // Wait until linking has started (some pair shares an inode), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        var started = false
        while !started && Date() < deadline {
            for index in stride(from: 0, to: pairs, by: 97) {
                if let a = try? tree.status("a/\(index)"), let b = try? tree.status("b/\(index)"), a.st_ino == b.st_ino {
                    started = true
                    break
                }
            }
        }
        running.signal(signal)
        let result = try running.wait()
        try #require(started, "linking never started")
        // Either the signal arrived while linking (130), or the run had already finished (0).
        #expect(result.status == 130 || result.status == 0, "\(result.standardError)")
        if result.status == 130 {
            #expect(result.standardError.contains("interrupted"))
        }
        for (name, bytes) in contents {
            #expect(try tree.read(name) == bytes, "\(name) lost or changed")
        }
        let leftovers = FileManager.default.enumerator(atPath: tree.rootString)?.allObjects.compactMap { $0 as? String }
            .filter { $0.contains(".dupelink") } ?? []
        #expect(leftovers.isEmpty)
        // Whatever was linked is reported: the JSON is complete even when interrupted.
        let report = try JSONReport.decode(result.standardOutput)
        let linkedPairs = (0..<pairs).filter { (try? tree.status("a/\($0)").st_ino == tree.status("b/\($0)").st_ino) == true }
        #expect(report.replacements?.count == linkedPairs.count)
    }
}
