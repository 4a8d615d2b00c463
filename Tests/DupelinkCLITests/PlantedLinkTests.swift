import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A user who can write a directory inside root's backup tree can hard-link a live file from
/// outside (`/etc/shadow`, where `protected_hardlinks` is off) into it. That inode must never be
/// kept for root's backup copy, nor lose or gain a name: nothing outside the roots changes.
@Suite struct PlantedLinkTests {
    @Test(.enabled(if: getuid() == 0, "giving a directory to another user needs root"),
        arguments: [true, false])
    func anInodeWithNamesOutsideIsNeverKeptWhenAnotherUserCouldHavePlantedItsName(userOwnsDirectory: Bool) throws {
        let outside = try TestTree()
        let tree = try TestTree()
        let bytes = patternBytes(count: 5_000, seed: 81)
        try outside.write("shadow", bytes, mode: 0o600)
        try tree.write("etc/shadow", bytes, mode: 0o600)
        try tree.makeDirectory("home/alice")
        if userOwnsDirectory {
            #expect(withCPath(tree.path("home/alice")) { chown($0, 65534, 65534) } == 0)
        }
        // The planted name: another name of the live file, inside the tree.
        try withCPath(outside.path("shadow")) { from in
            try withCPath(tree.path("home/alice/planted")) { to in
                guard Glibc.link(from, to) == 0 else { throw POSIXFailure(operation: "link", code: errno) }
            }
        }
        let live = try outside.status("shadow")
        let backup = try tree.status("etc/shadow")

        let result = try CLI.run("link", "--no-catalog", tree.rootString)
        if userOwnsDirectory {
            #expect(result.status == 1, "\(result.standardError)")
            #expect(result.standardError.contains("planted"), "\(result.standardError)")
            #expect(result.standardError.contains(tree.rootString + "/home/alice/planted"))
            // Nothing changed: not the live file's link count, not the backup copy.
            #expect(try outside.status("shadow").st_nlink == 2)
            #expect(try tree.status("etc/shadow").st_ino == backup.st_ino)
            #expect(try tree.status("home/alice/planted").st_ino == live.st_ino)
        } else {
            // A name in a directory only root can write was put there by root: linked as ever,
            // keeping the inode that has names outside (so space is really freed).
            #expect(result.status == 0, "\(result.standardError)")
            #expect(try tree.status("etc/shadow").st_ino == live.st_ino)
        }
    }
}
