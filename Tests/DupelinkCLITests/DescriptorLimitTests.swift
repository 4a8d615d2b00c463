import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Within the process's limits: under `ulimit -n 32`, with `--jobs 64` asking for far more
/// readers than that allows, every pair is found and linked, and no file is left out with "Too
/// many open files" (before, about a third of 3,000 pairs were linked and thousands of warnings
/// said the root could not be opened).
@Suite struct DescriptorLimitTests {
    @Test func aLinkUnderALowDescriptorLimitLinksEverything() throws {
        let tree = try TestTree()
        for directory in 0..<60 {
            for index in 0..<50 {
                let bytes = Array("\(directory)-\(index)".utf8) + patternBytes(count: 900, seed: UInt64(directory * 50 + index))
                try tree.write("d\(directory)/a\(index)", bytes)
                try tree.write("d\(directory)/b\(index)", bytes)
            }
        }
        let state = try TestTree()
        for (catalog, limit) in [(["--no-catalog"], 32), (["--catalog", state.rootString + "/catalog.sqlite"], 24)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // ulimit -n sets both the soft and the hard limit: the run cannot raise it.
            process.arguments = ["-c", "ulimit -n \(limit) && exec \"$0\" \"$@\"", CLI.binary, "link", "--jobs", "64"] + catalog + [tree.rootString]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let complaints = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if catalog == ["--no-catalog"] {
                #expect(process.terminationStatus == 0, "\(complaints)")
                #expect(text.contains("Linked 3000 files"), "\(text)")
            } else {
                // The first run linked everything; this one reads the whole tree under a tighter
                // limit with a catalog open, and finds nothing left to link (status 3).
                #expect(process.terminationStatus == 3, "\(complaints)")
                #expect(text.contains("Scanned 6000 files"), "every file walked and read: \(text)")
            }
            #expect(complaints.isEmpty, "no file left out: \(complaints.prefix(500))")
        }
        for directory in 0..<60 {
            for index in 0..<50 {
                #expect(try tree.status("d\(directory)/a\(index)").st_ino == tree.status("d\(directory)/b\(index)").st_ino)
            }
        }
    }

    @Test func theBudgetCutsReadersThenFanOutAndKeepsOneOfEach() {
        #expect(DescriptorBudget(spare: 1_000).readers(64, fanOut: 16) == (readers: 49, fanOut: 16))
        #expect(DescriptorBudget(spare: 1_000).walkThreads(8) == 8)
        let tight = DescriptorBudget(spare: 26)  // 10 beyond the reserve
        #expect(tight.readers(64, fanOut: 16) == (readers: 1, fanOut: 6))
        #expect(tight.walkThreads(64) == 1)
        let none = DescriptorBudget(spare: 3)
        #expect(none.readers(8, fanOut: 16) == (readers: 1, fanOut: 2))
        #expect(none.walkThreads(8) == 1)
    }
}
