import CLinux
import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// The attribute rules on the filesystems users keep duplicates on: each is made in the test
/// (a tmpfs, and loop-mounted ext4, XFS and btrfs images), or the case is skipped with the reason.
@Suite(.serialized) struct AttributeFilesystemTests {
    func tool(_ program: String, _ arguments: String...) throws {
        let status = run(program, arguments)
        try #require(status == 0, "\(program) \(arguments.joined(separator: " ")) exited \(status)")
    }

    func inode(_ path: String) throws -> ino_t { try TestTree.status(Array(path.utf8)).st_ino }

    @Test(.enabled(if: getuid() == 0, "mounting needs root"), arguments: ["tmpfs", "ext4", "xfs", "btrfs"])
    func attributesKeepFilesApartAndUndoGivesThemBack(filesystem: String) throws {
        let mount: Mounted
        do {
            mount = try Mounted(filesystem)
        } catch let skip as Mounted.Skip {
            try Test.cancel("\(skip.reason)")
        }
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let pairs = ["equal", "user", "acl", "capability", "flag"]
        for (seed, pair) in pairs.enumerated() {
            let bytes = patternBytes(count: 20_000 + seed, seed: UInt64(90 + seed))
            try FileManager.default.createDirectory(atPath: mount.path("tree/\(pair)"), withIntermediateDirectories: true)
            for side in ["a", "b"] {
                let file = mount.path("tree/\(pair)/\(side)")
                #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
            }
        }
        try tool("/usr/bin/setfattr", "-n", "user.tag", "-v", "same", mount.path("tree/equal/a"))
        try tool("/usr/bin/setfattr", "-n", "user.tag", "-v", "same", mount.path("tree/equal/b"))
        try tool("/usr/bin/setfattr", "-n", "user.comment", "-v", "holiday", mount.path("tree/user/b"))
        try tool("/usr/bin/setfacl", "-m", "u:nobody:rw", mount.path("tree/acl/b"))
        try tool("/usr/sbin/setcap", "cap_net_raw+ep", mount.path("tree/capability/b"))
        // Inode flags: tmpfs keeps only a few, and nodump is one of them on this kernel.
        let flags = run("/usr/bin/chattr", ["+d", mount.path("tree/flag/b")]) == 0
        if !flags { try FileManager.default.removeItem(atPath: mount.path("tree/flag")) }

        let result = try CLI.run(
            "link", "--ignore-xattrs", "--format", "json", "--catalog", catalog, mount.path("tree"))
        #expect(result.status == 0, "\(filesystem): \(result.standardError)")
        let report = try JSONReport.decode(result.standardOutput)
        let expected = ["acls-differ", "capabilities-differ"] + (flags ? ["flags-differ"] : [])
        #expect(report.refusals.map(\.reason).sorted() == expected, "\(filesystem)")
        #expect(try inode(mount.path("tree/equal/a")) == inode(mount.path("tree/equal/b")), "\(filesystem)")
        #expect(try inode(mount.path("tree/user/a")) == inode(mount.path("tree/user/b")), "\(filesystem): user.* relaxed")
        for pair in ["acl", "capability"] + (flags ? ["flag"] : []) {
            #expect(try inode(mount.path("tree/\(pair)/a")) != inode(mount.path("tree/\(pair)/b")), "\(filesystem): \(pair)")
        }

        // Undo gives the user.* attribute back to the name that had it.
        let undo = try CLI.run("undo", "--catalog", catalog, "1")
        #expect(undo.status == 0, "\(filesystem): \(undo.standardError)")
        #expect(try inode(mount.path("tree/user/a")) != inode(mount.path("tree/user/b")))
        var value = [CChar](repeating: 0, count: 64)
        let length = getxattr(mount.path("tree/user/b"), "user.comment", &value, value.count)
        let gotBack = length > 0 ? String(decoding: value[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        #expect(gotBack == "holiday", "\(filesystem)")
        #expect(getxattr(mount.path("tree/user/a"), "user.comment", nil, 0) < 0, "\(filesystem): the kept file keeps its own")
    }
}
