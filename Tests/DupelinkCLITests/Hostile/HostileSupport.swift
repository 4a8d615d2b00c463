import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Helpers shared by the hostile end-to-end tests: runs with a deadline, and checks of a report
/// against what is on disk once nothing changes any more.
enum Hostile {
    static let longRun = ProcessInfo.processInfo.environment["DUPELINK_LONG_TESTS"] == "1"

    /// Runs `dupelink` and waits at most `seconds` for it; a run still going then is killed and
    /// recorded as a hang (status `nil`).
    static func run(_ arguments: [[UInt8]], seconds: Double = 60, asNobody: Bool = false) throws -> CLIResult? {
        try wait(for: CLI.start(arguments, asNobody: asNobody), seconds: seconds)
    }

    /// Waits at most `seconds` for a started run, polling; kills it and records an issue if it hangs.
    static func wait(for running: RunningCLI, seconds: Double = 60, whileWaiting: () -> Void = {}) throws -> CLIResult? {
        let deadline = Date().addingTimeInterval(seconds)
        while !KillTests.hasExited(running.pid) {
            if Date() > deadline {
                running.signal(SIGKILL)
                _ = try running.wait()
                Issue.record("dupelink did not finish within \(seconds) s")
                return nil
            }
            whileWaiting()
            usleep(1000)
        }
        return try running.wait()
    }

    /// Arguments as bytes.
    static func arguments(_ strings: String...) -> [[UInt8]] { strings.map { Array($0.utf8) } }

    /// Checks every class of a report against the disk, once nothing changes any more: the names
    /// of a class whose inode still has the fingerprint it had when compared (inode, size,
    /// modification and change time) must hold byte-identical content of the class's size. A name
    /// changed or gone since may be listed (it was identical when compared) and is not checked.
    /// Returns the number of names checked.
    @discardableResult
    static func verifyClasses(_ report: JSONReport, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        var checked = 0
        for (index, reported) in report.classes.enumerated() {
            var contents: [[UInt8]] = []
            for file in reported.files {
                guard let status = try? TestTree.status(file.pathBytes),
                    UInt64(status.st_ino) == file.inode, Int64(status.st_size) == file.size,
                    nanoseconds(status.st_mtim) == file.modificationTimeNs,
                    nanoseconds(status.st_ctim) == file.changeTimeNs,
                    let bytes = try? TestTree.read(file.pathBytes)
                else { continue }
                #expect(Int64(bytes.count) == reported.size, "class \(index): \(file.path) has another size", sourceLocation: sourceLocation)
                contents.append(bytes)
                checked += 1
            }
            #expect(Set(contents).count <= 1, "class \(index) holds different contents: \(reported.files.map(\.path))", sourceLocation: sourceLocation)
        }
        return checked
    }

    /// The classes of a report as sets of paths.
    static func classSets(_ report: JSONReport) -> Set<Set<[UInt8]>> {
        Set(report.classes.map { Set($0.files.map(\.pathBytes)) })
    }

    /// The classes a correct scan finds among `paths`, computed by reading every file: each set of
    /// two or more names with the same bytes.
    static func referenceClasses(_ paths: [[UInt8]]) throws -> Set<Set<[UInt8]>> {
        var byContent: [[UInt8]: Set<[UInt8]>] = [:]
        for path in paths {
            let bytes = try TestTree.read(path)
            if bytes.isEmpty { continue }
            byContent[bytes, default: []].insert(path)
        }
        return Set(byContent.values.filter { $0.count > 1 })
    }

    static func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }
}
