import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// Filesystems that say no: a read-only mount, a read-only directory, a filesystem that fills up
/// after the space check. Each refusal is reported, nothing is lost, no temporary name is left,
/// and the rest of the run still does its work.
@Suite struct FilesystemRefusalTests {
    @Test(.enabled(if: getuid() == 0, "mounting needs root"))
    func readOnlyMountRefusalsAreReportedAndTheWritableRootStillLinks() throws {
        let base = try TestTree()
        var contents: [[UInt8]: [UInt8]] = [:]
        for index in 0..<5 {
            for (root, seed) in [("source", 500), ("writable", 550)] {
                let bytes = patternBytes(count: 3000 + index, seed: UInt64(seed + index))
                for name in ["a\(index)", "b\(index)"] { contents[try base.write(root + "/" + name, bytes)] = bytes }
            }
        }
        try base.makeDirectory("frozen")
        guard run("/bin/mount", ["--bind", base.rootString + "/source", base.rootString + "/frozen"]) == 0 else {
            try Test.cancel("cannot bind-mount here")
        }
        defer { run("/bin/umount", ["-l", base.rootString + "/frozen"]) }
        try #require(run("/bin/mount", ["-o", "remount,bind,ro", base.rootString + "/frozen"]) == 0)
        let frozenBefore = try TreeSnapshot(base.path("frozen"))

        let result = try #require(try Hostile.run(Hostile.arguments(
            "link", "--no-catalog", "--format", "json", base.rootString + "/frozen", base.rootString + "/writable")))
        #expect(result.status == 1, "\(result.standardError)")
        #expect(try TreeSnapshot(base.path("frozen")) == frozenBefore)
        for index in 0..<5 {
            #expect(result.standardError.contains(base.rootString + "/frozen/"), "\(result.standardError)")
            #expect(try base.status("writable/a\(index)").st_ino == base.status("writable/b\(index)").st_ino)
        }
        #expect(result.standardError.contains("Read-only file system"), "\(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.replacements?.count == 5)
        #expect(report.warnings.count + report.refusals.count == 5)
        for (path, bytes) in contents { #expect(try TestTree.read(path) == bytes) }
        #expect(KillTests.temporaryNames(base).isEmpty)
    }

    @Test(.enabled(if: getuid() == 0, "dropping to nobody needs root"))
    func readOnlyDirectoryForNobodyIsReportedAndTheRestIsLinked() throws {
        let tree = try TestTree()
        var contents: [[UInt8]: [UInt8]] = [:]
        for index in 0..<4 {
            for (directory, seed) in [("locked", 600), ("open", 650)] {
                let bytes = patternBytes(count: 2000 + index, seed: UInt64(seed + index))
                for name in ["a\(index)", "b\(index)"] { contents[try tree.write(directory + "/" + name, bytes)] = bytes }
            }
        }
        #expect(run("/bin/chown", ["-R", "65534:65534", tree.rootString]) == 0)
        #expect(chmod(tree.path("locked").map { CChar(bitPattern: $0) } + [0], 0o555) == 0)
        let lockedBefore = try TreeSnapshot(tree.path("locked"))
        let result = try #require(try Hostile.run(Hostile.arguments("link", "--no-catalog", "--format", "json", tree.rootString), asNobody: true))
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains(tree.rootString + "/locked/"))
        #expect(result.standardError.contains("Permission denied"), "\(result.standardError)")
        let lockedAfter = try TreeSnapshot(tree.path("locked"))
        #expect(lockedAfter == lockedBefore, "before:\n\(lockedBefore)\nafter:\n\(lockedAfter)")
        for index in 0..<4 {
            #expect(try tree.status("open/a\(index)").st_ino == tree.status("open/b\(index)").st_ino)
        }
        for (path, bytes) in contents { #expect(try TestTree.read(path) == bytes) }
        #expect(KillTests.temporaryNames(tree).isEmpty)
    }

    /// `split` or `undo` on a small tmpfs: the space check passes, then, as soon as the first
    /// name is seen separated, the test fills the filesystem. The copies after that fail with "No
    /// space left on device": each is reported, every name keeps its content, and no temporary
    /// name is left.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"), arguments: ["split", "undo"])
    func filesystemFillingUpDuringACopyLosesNothingAndLeavesNoTemporaryName(command: String) throws {
        let mountPoint = try TestTree()
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=96m", "tmpfs", mountPoint.rootString]) == 0 else {
            try Test.cancel("cannot mount a tmpfs here")
        }
        defer { run("/bin/umount", ["-l", mountPoint.rootString]) }
        var attempts = 0, filledInTime = false
        while attempts < 5 && !filledInTime {
            attempts += 1
            _ = run("/bin/rm", ["-rf", mountPoint.rootString + "/tree", mountPoint.rootString + "/filler"])
            var contents: [Int: [UInt8]] = [:]
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            for index in 0..<6 {
                let bytes = patternBytes(count: 6 << 20, seed: UInt64(700 + index))
                try mountPoint.write("tree/a\(index)", bytes)
                if command == "split" {
                    try mountPoint.link("tree/a\(index)", "tree/b\(index)")
                } else {
                    try mountPoint.write("tree/b\(index)", bytes)
                }
                contents[index] = bytes
            }
            let arguments: [[UInt8]]
            if command == "split" {
                arguments = ["split", "--no-catalog"].map { Array($0.utf8) } + (0..<6).map { mountPoint.path("tree/b\($0)") }
            } else {
                let link = try CLI.run("link", "--quiet", "--catalog", catalog, mountPoint.rootString + "/tree")
                try #require(link.status == 0, "\(link.standardError)")
                arguments = Hostile.arguments("undo", "--catalog", catalog, "1")
            }
            let running = try CLI.start(arguments)
            var filled = false
            let deadline = Date().addingTimeInterval(60)
            while !KillTests.hasExited(running.pid) && Date() < deadline {
                if !filled, (0..<6).contains(where: { (try? mountPoint.status("tree/b\($0)").st_nlink) == 1 }) {
                    filled = true
                    let fd = open(mountPoint.rootString + "/filler", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
                    var space = statvfs()
                    statvfs(mountPoint.rootString, &space)
                    _ = posix_fallocate(fd, 0, off_t(space.f_bavail) * off_t(space.f_frsize))
                    close(fd)
                }
            }
            if !KillTests.hasExited(running.pid) { running.signal(SIGKILL); Issue.record("\(command) hung") }
            let result = try running.wait()
            for (index, bytes) in contents {
                #expect(try mountPoint.read("tree/a\(index)") == bytes)
                #expect(try mountPoint.read("tree/b\(index)") == bytes)
            }
            #expect(KillTests.temporaryNames(mountPoint).isEmpty, "\(KillTests.temporaryNames(mountPoint))")
            let separated = (0..<6).filter { (try? mountPoint.status("tree/b\($0)").st_nlink) == 1 }.count
            if separated < 6 {
                filledInTime = true
                print("disk full during \(command), attempt \(attempts): \(separated) of 6 names separated; \(result.standardError)")
                #expect(result.status == 1, "\(result.standardError)")
                #expect(result.standardError.contains("No space left on device"), "\(result.standardError)")
            } else {
                #expect(result.status == 0, "\(result.standardError)")
            }
        }
        #expect(filledInTime, "\(command) finished every copy before the filesystem could be filled, \(attempts) times")
    }
}
