import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// `undo` and `split` give the copy they make a name's own attributes back (`user.*` from the
/// journal, everything else from the file it held), in an order that keeps each (a capability
/// survives the chown), and never a privilege the shared file lacks now, whatever the journal says.
@Suite struct AttributeRestoreTests {
    static let isRoot = getuid() == 0

    func tool(_ program: String, _ arguments: String...) throws {
        let status = run(program, arguments)
        try #require(status == 0, "\(program) \(arguments.joined(separator: " ")) exited \(status)")
    }

    /// The attributes and flags of a file, read as dupelink reads them.
    func attributes(_ path: [UInt8]) throws -> FileAttributes {
        let descriptor = try FileDescriptor.open(
            FilePath(String(decoding: path, as: UTF8.self)), .readOnly, options: [.noFollow])
        defer { try? descriptor.close() }
        return try FileAttributes.read(from: descriptor)
    }

    func names(_ attributes: FileAttributes) -> [String] {
        attributes.extended.map { String(decoding: $0.name, as: UTF8.self) }
    }

    func value(_ attributes: FileAttributes, _ name: String) -> String? {
        attributes.extended.first { $0.name.elementsEqual(name.utf8) }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test func undoGivesBackTheUserAttributesThatIgnoreXattrsLetGo() throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 30_000, seed: 71)
        try tree.write("a", bytes)
        try tree.write("b", bytes)
        try tool("/usr/bin/setfattr", "-n", "user.comment", "-v", "holiday", tree.rootString + "/b")
        try tool("/usr/bin/setfattr", "-n", "user.rating", "-v", "5", tree.rootString + "/b")
        let link = try CLI.run("link", "--ignore-xattrs", "--catalog", catalog, tree.rootString)
        #expect(link.status == 0, "\(link.standardError)")
        try #require(try tree.status("a").st_ino == tree.status("b").st_ino)
        // The kept copy's (none) now show under both names.
        #expect(try attributes(tree.path("b")).extended.isEmpty)

        let undo = try CLI.run("undo", "--catalog", catalog, "1")
        #expect(undo.status == 0, "\(undo.standardError)")
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
        let restored = try attributes(tree.path("b"))
        #expect(names(restored) == ["user.comment", "user.rating"])
        #expect(value(restored, "user.comment") == "holiday" && value(restored, "user.rating") == "5")
        #expect(try attributes(tree.path("a")).extended.isEmpty, "the kept file keeps its own")
        #expect(try tree.read("b") == bytes)
    }

    @Test(.enabled(if: isRoot, "setting a capability needs root"))
    func splitKeepsACapabilityAnACLAndAFlagThroughTheChown() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 20_000, seed: 72)
        try tree.write("bin/tool", bytes, mode: 0o750)
        try tree.link("bin/tool", "bin/tool-copy")
        #expect(withCPath(tree.path("bin/tool")) { chown($0, 65534, 65534) } == 0)
        try tool("/usr/bin/setfacl", "-m", "u:daemon:r", tree.rootString + "/bin/tool")
        try tool("/usr/sbin/setcap", "cap_net_raw+ep", tree.rootString + "/bin/tool")
        let flagged = run("/usr/bin/chattr", ["+d", tree.rootString + "/bin/tool"]) == 0
        let before = try attributes(tree.path("bin/tool"))
        let status = try tree.status("bin/tool")

        let split = try CLI.run("split", "--no-catalog", tree.rootString + "/bin/tool-copy")
        #expect(split.status == 0, "\(split.standardError)")
        let copy = try tree.status("bin/tool-copy")
        #expect(copy.st_ino != status.st_ino && copy.st_nlink == 1)
        #expect(copy.st_uid == 65534 && copy.st_gid == 65534)
        #expect(copy.st_mode & 0o7777 == status.st_mode & 0o7777)
        let after = try attributes(tree.path("bin/tool-copy"))
        #expect(names(after) == names(before))
        #expect(after.extended == before.extended, "capability and ACL byte for byte")
        if flagged { #expect(after.flags == before.flags) }
        #expect(try tree.read("bin/tool-copy") == bytes)
    }

    @Test func splitInADirectoryWithADefaultACLGivesTheCopyNoACLItsFileLacked() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 10_000, seed: 73)
        try tree.makeDirectory("shared")
        try tool("/usr/bin/setfacl", "-d", "-m", "u:nobody:rw", tree.rootString + "/shared")
        try tree.write("shared/plain", bytes)
        // Inherited from the directory; removed, so the file has none.
        try tool("/usr/bin/setfacl", "-b", tree.rootString + "/shared/plain")
        try tree.link("shared/plain", "shared/plain-2")
        #expect(try !attributes(tree.path("shared/plain")).hasAccessACL)

        let split = try CLI.run("split", "--no-catalog", tree.rootString + "/shared/plain-2")
        #expect(split.status == 0, "\(split.standardError)")
        #expect(try tree.status("shared/plain-2").st_ino != tree.status("shared/plain").st_ino)
        let copy = try attributes(tree.path("shared/plain-2"))
        #expect(!copy.hasAccessACL, "a copy made in the directory would have inherited u:nobody:rw")
        #expect(try tree.status("shared/plain-2").st_mode & 0o7777 == tree.status("shared/plain").st_mode & 0o7777)
    }

    /// Edits the journal of `catalog` as a user who could write it would.
    func editJournal(_ catalog: String, _ sql: String) throws {
        try tool("/usr/bin/python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", catalog, sql)
    }

    @Test(.enabled(if: isRoot, "the privilege rules matter for root's undo"))
    func undoNeverMakesASetIDFileOrARootFileTheJournalAsksFor() throws {
        for (edit, reason) in [
            ("UPDATE journalEntry SET beforeMode = beforeMode | 2048", "set-user-ID"),  // S_ISUID
            ("UPDATE journalEntry SET beforeUserId = 0, beforeGroupId = 0", "gives it to root"),
        ] {
            let tree = try TestTree()
            let state = try TestTree()
            let catalog = state.rootString + "/catalog.sqlite"
            let bytes = patternBytes(count: 12_000, seed: 74)
            for name in ["keep", "copy"] {
                try tree.write(name, bytes, mode: 0o755)
                #expect(withCPath(tree.path(name)) { chown($0, 65534, 65534) } == 0)
            }
            let link = try CLI.run("link", "--catalog", catalog, tree.rootString)
            #expect(link.status == 0, "\(link.standardError)")
            try #require(try tree.status("keep").st_ino == tree.status("copy").st_ino)
            try editJournal(catalog, edit)

            let undo = try CLI.run("undo", "--catalog", catalog, "1")
            #expect(undo.status == 1, "\(edit): \(undo.standardError)")
            #expect(undo.standardError.contains(reason), "\(undo.standardError)")
            #expect(undo.standardError.contains(tree.rootString + "/copy") || undo.standardError.contains(tree.rootString + "/keep"))
            // Nothing was separated: no name became root's or set-ID.
            for name in ["keep", "copy"] {
                let status = try tree.status(name)
                #expect(status.st_mode & 0o6000 == 0 && status.st_uid == 65534, "\(edit): \(name)")
            }
            #expect(try tree.status("keep").st_ino == tree.status("copy").st_ino)
        }
    }

    @Test(.enabled(if: isRoot, "chown needs root"))
    func ignoreOwnerNeverJoinsSetIDFilesOfDifferentOwners() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 8_000, seed: 75)
        try tree.write("root-tool", bytes, mode: 0o755)
        try tree.write("user-tool", bytes, mode: 0o755)
        // chown clears set-ID bits: set them after.
        #expect(withCPath(tree.path("user-tool")) { chown($0, 65534, 65534) } == 0)
        for name in ["root-tool", "user-tool"] { #expect(withCPath(tree.path(name)) { chmod($0, 0o4555) } == 0) }
        let result = try CLI.run("link", "--no-catalog", "--ignore-owner", "--format", "json", tree.rootString)
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.refusals.map(\.reason) == ["owner-differs"])
        #expect(try tree.status("root-tool").st_ino != tree.status("user-tool").st_ino)
        #expect(try tree.status("user-tool").st_uid == 65534)
    }
}
