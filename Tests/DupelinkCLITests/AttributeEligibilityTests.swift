import DupelinkCore
import DupelinkTestSupport
import Foundation
import CLinux
import Glibc
import Testing

/// Every name of an inode shares its extended attributes, ACLs, capabilities, security labels and
/// inode flags, so `link` must keep apart identical files that differ in any of them, say why,
/// and go on with the rest. Each test runs the real binary on a real tree and checks the disk.
@Suite struct AttributeEligibilityTests {
    static let isRoot = getuid() == 0

    /// Runs a tool that sets attributes; the test cannot go on without it.
    func tool(_ program: String, _ arguments: String...) throws {
        let status = run(program, arguments)
        try #require(status == 0, "\(program) \(arguments.joined(separator: " ")) exited \(status)")
    }

    /// Links the tree and returns the JSON report and the exit status.
    func link(_ tree: TestTree, _ options: String...) throws -> (report: JSONReport, status: Int32, error: String) {
        let arguments = ["link", "--no-catalog", "--format", "json"] + options + [tree.rootString]
        let result = try CLI.run(arguments.map { Array($0.utf8) })
        return (try JSONReport.decode(result.standardOutput), result.status, result.standardError)
    }

    func sameInode(_ tree: TestTree, _ a: String, _ b: String) throws -> Bool {
        try tree.status(a).st_ino == tree.status(b).st_ino
    }

    /// A tree with the pair `a`, `b` and an unrelated pair `c`, `d` that must always be linked.
    func pairTree(seed: UInt64) throws -> TestTree {
        let tree = try TestTree()
        let bytes = patternBytes(count: 9000, seed: seed)
        for name in ["a", "b"] { try tree.write(name, bytes) }
        let other = patternBytes(count: 7000, seed: seed + 1000)
        for name in ["c", "d"] { try tree.write(name, other) }
        return tree
    }

    @Test func userAttributeOnOneSideOnlyIsRefusedAndNamed() throws {
        let tree = try pairTree(seed: 1)
        try tool("/usr/bin/setfattr", "-n", "user.comment", "-v", "holiday", tree.rootString + "/b")
        let (report, status, _) = try link(tree)
        #expect(status == 0)
        #expect(report.refusals.map(\.reason) == ["xattrs-differ"])
        #expect(report.refusals.first?.message == "not linked: extended attributes differ (user.comment)")
        #expect(report.refusals.first?.reference != nil)
        #expect(try !sameInode(tree, "a", "b"))
        #expect(try sameInode(tree, "c", "d"))
        #expect(report.summary.refusedFiles == 1)
    }

    @Test func sameNamesWithDifferentValuesAreRefused() throws {
        let tree = try pairTree(seed: 2)
        try tool("/usr/bin/setfattr", "-n", "user.tag", "-v", "one", tree.rootString + "/a")
        try tool("/usr/bin/setfattr", "-n", "user.tag", "-v", "two", tree.rootString + "/b")
        let (report, _, _) = try link(tree)
        #expect(report.refusals.map(\.reason) == ["xattrs-differ"])
        #expect(try !sameInode(tree, "a", "b"))
        #expect(try tree.read("a") == tree.read("b"))
    }

    @Test func equalUserAttributesAreLinkedAndKept() throws {
        let tree = try pairTree(seed: 3)
        for name in ["a", "b"] { try tool("/usr/bin/setfattr", "-n", "user.tag", "-v", "same", tree.rootString + "/" + name) }
        let (report, status, _) = try link(tree)
        #expect(status == 0 && report.refusals.isEmpty)
        #expect(try sameInode(tree, "a", "b"))
        #expect(getxattr(tree.rootString + "/b", "user.tag", nil, 0) == 4)
    }

    @Test func ignoreXattrsLinksAUserDifferenceButNeverACapability() throws {
        let tree = try pairTree(seed: 4)
        try tool("/usr/bin/setfattr", "-n", "user.comment", "-v", "x", tree.rootString + "/b")
        let (report, status, _) = try link(tree, "--ignore-xattrs")
        #expect(status == 0 && report.refusals.isEmpty)
        #expect(try sameInode(tree, "a", "b"))

        guard Self.isRoot else { return }
        let capped = try pairTree(seed: 5)
        try tool("/usr/sbin/setcap", "cap_net_raw+ep", capped.rootString + "/b")
        let (cappedReport, _, _) = try link(capped, "--ignore-xattrs", "--ignore-mode")
        #expect(cappedReport.refusals.map(\.reason) == ["capabilities-differ"])
        #expect(try !sameInode(capped, "a", "b"))
        #expect(getxattr(capped.rootString + "/a", "security.capability", nil, 0) < 0)
    }

    @Test func anAccessACLOnOneSideIsRefused() throws {
        let tree = try pairTree(seed: 6)
        try tool("/usr/bin/setfacl", "-m", "u:nobody:rw", tree.rootString + "/b")
        let (report, _, _) = try link(tree, "--ignore-mode")
        #expect(report.refusals.map(\.reason) == ["acls-differ"])
        #expect(report.refusals.first?.message.contains("system.posix_acl_access") == true)
        #expect(try !sameInode(tree, "a", "b"))
    }

    @Test func aDirectorysDefaultACLDoesNotMatterButAFilesInheritedACLDoes() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 5000, seed: 7)
        try tree.write("plain/a", bytes)
        try tree.write("shared/b", bytes)
        // A default ACL set after b was made: b itself has no ACL, so the pair links.
        try tool("/usr/bin/setfacl", "-d", "-m", "u:nobody:rw", tree.rootString + "/shared")
        var (report, _, _) = try link(tree)
        #expect(report.refusals.isEmpty)
        #expect(try sameInode(tree, "plain/a", "shared/b"))

        // A file made in that folder now inherits an access ACL: it is not linked with a plain copy.
        let other = patternBytes(count: 6000, seed: 8)
        try tree.write("plain/c", other)
        try tree.write("shared/inherited", other)
        (report, _, _) = try link(tree, "--ignore-mode")
        #expect(report.refusals.map(\.reason) == ["acls-differ"])
        #expect(try !sameInode(tree, "plain/c", "shared/inherited"))
    }

    @Test(.enabled(if: isRoot, "setting capabilities and security labels needs root"))
    func capabilitiesAreComparedOnBothSides() throws {
        // On one side only: the plain copy must not gain the capability.
        let one = try pairTree(seed: 9)
        try tool("/usr/sbin/setcap", "cap_net_raw+ep", one.rootString + "/b")
        var (report, _, _) = try link(one)
        #expect(report.refusals.map(\.reason) == ["capabilities-differ"])
        #expect(report.refusals.first?.message == "not linked: capabilities differ (security.capability)")
        #expect(try !sameInode(one, "a", "b"))
        #expect(getxattr(one.rootString + "/a", "security.capability", nil, 0) < 0)

        // On both sides, different.
        let two = try pairTree(seed: 10)
        try tool("/usr/sbin/setcap", "cap_net_raw+ep", two.rootString + "/a")
        try tool("/usr/sbin/setcap", "cap_net_bind_service+ep", two.rootString + "/b")
        (report, _, _) = try link(two)
        #expect(report.refusals.map(\.reason) == ["capabilities-differ"])
        #expect(try !sameInode(two, "a", "b"))

        // On both sides, equal: linked, and the capability stays.
        let equal = try pairTree(seed: 11)
        for name in ["a", "b"] { try tool("/usr/sbin/setcap", "cap_net_raw+ep", equal.rootString + "/" + name) }
        (report, _, _) = try link(equal)
        #expect(report.refusals.isEmpty)
        #expect(try sameInode(equal, "a", "b"))
        #expect(getxattr(equal.rootString + "/b", "security.capability", nil, 0) > 0)
    }

    @Test(.enabled(if: isRoot, "setting a security label by hand needs root"))
    func aSecurityLabelSetByHandIsCompared() throws {
        let tree = try pairTree(seed: 12)
        try tool("/usr/bin/setfattr", "-n", "security.selinux", "-v", "system_u:object_r:shadow_t:s0", tree.rootString + "/b")
        let (report, _, _) = try link(tree, "--ignore-xattrs")
        #expect(report.refusals.map(\.reason) == ["security-labels-differ"])
        #expect(report.refusals.first?.message.contains("security.selinux") == true)
        #expect(try !sameInode(tree, "a", "b"))
    }

    @Test(.enabled(if: isRoot, "chattr +i and +a need root"))
    func immutableAndAppendOnlyFilesAreNeverLinkedOnEitherSide() throws {
        for (flag, reason) in [("+i", "immutable"), ("+a", "append-only")] {
            for side in ["a", "b"] {
                let tree = try pairTree(seed: 13)
                guard run("/usr/bin/chattr", [flag, tree.rootString + "/" + side]) == 0 else {
                    try Test.cancel("chattr \(flag) is refused on \(tree.rootString) (a filesystem without inode flags)")
                }
                // Even with a third copy beside it, the flagged file is neither kept nor replaced.
                try tree.write("e", try tree.read(side == "a" ? "b" : "a"))
                let before = try tree.status(side)
                let (report, status, _) = try link(tree, "--ignore-xattrs", "--ignore-mode", "--ignore-owner")
                #expect(status == 0, "the run goes on")
                #expect(report.refusals.map(\.reason) == [reason], "\(flag) on \(side)")
                #expect(report.refusals.first?.message == "not linked: \(reason == "immutable" ? "immutable file" : "append-only file")")
                let after = try tree.status(side)
                #expect(after.st_ino == before.st_ino && after.st_nlink == 1)
                #expect(try sameInode(tree, side == "a" ? "b" : "a", "e"))
                #expect(try sameInode(tree, "c", "d"))
                _ = run("/usr/bin/chattr", ["-i", "-a", tree.rootString + "/" + side])
            }
        }
    }

    @Test(.enabled(if: isRoot, "chattr needs root on most filesystems"))
    func anotherDifferingFlagSuchAsNodumpIsRefused() throws {
        let tree = try pairTree(seed: 14)
        guard run("/usr/bin/chattr", ["+d", tree.rootString + "/b"]) == 0 else {
            try Test.cancel("chattr +d is refused on \(tree.rootString) (a filesystem without inode flags)")
        }
        let (report, _, _) = try link(tree, "--ignore-xattrs")
        #expect(report.refusals.map(\.reason) == ["flags-differ"])
        #expect(report.refusals.first?.message.contains("flags d") == true)
        #expect(try !sameInode(tree, "a", "b"))
    }

    @Test func aJSONReportCarriesEachFilesAttributesDigest() throws {
        let tree = try pairTree(seed: 15)
        for name in ["a", "b"] { try tool("/usr/bin/setfattr", "-n", "user.k", "-v", "v", tree.rootString + "/" + name) }
        let result = try CLI.run("scan", "--no-catalog", "--format", "json", tree.rootString)
        let report = try JSONReport.decode(result.standardOutput)
        let digests = report.classes.flatMap(\.files).compactMap(\.attributesDigest)
        #expect(digests.count == 4)
        let expected = FileAttributes(extended: [.init(name: Array("user.k".utf8), value: Array("v".utf8))], flags: 0)
        let plain = FileAttributes(extended: [], flags: 0)
        #expect(Set(digests) == [expected.digest.description, plain.digest.description])
    }
}

/// `--ignore-mode` and `--ignore-owner` never widen access: the planner refuses a pair when the
/// kept copy's owner, group and mode would let someone read or write what they could not.
@Suite struct RelaxedRulesNeverWidenAccessTests {
    @Test func ignoreModeNeverHandsAPrivateFilesNameToAWorldWritableInode() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 6000, seed: 30)
        try tree.write("private", bytes, mode: 0o600)
        try tree.write("open", bytes, mode: 0o666)
        // The world-writable copy is older, so it would be kept.
        var old = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(withCPath(tree.path("open")) { utimensat(AT_FDCWD, $0, &old, 0) } == 0)
        let result = try CLI.run("link", "--no-catalog", "--ignore-mode", "--format", "json", tree.rootString)
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.refusals.map(\.reason) == ["access-widens"])
        #expect(report.refusals.first?.message.contains("others could read and write it") == true)
        #expect(try tree.status("private").st_ino != tree.status("open").st_ino)
        #expect(try tree.status("private").st_mode & 0o777 == 0o600)
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func ignoreOwnerNeverHandsAUsersNameToARootOwnedGroupWritableInode() throws {
        let tree = try TestTree()
        let bytes = patternBytes(count: 6000, seed: 31)
        try tree.write("users", bytes, mode: 0o664)
        try tree.write("roots", bytes, mode: 0o664)
        #expect(withCPath(tree.path("users")) { chown($0, 65534, 65534) } == 0)
        // root:staff (gid 50) 0664, older: without the rule it is kept, staff can write the
        // user's name and the user no longer can.
        #expect(withCPath(tree.path("roots")) { chown($0, 0, 50) } == 0)
        var old = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(withCPath(tree.path("roots")) { utimensat(AT_FDCWD, $0, &old, 0) } == 0)
        let result = try CLI.run("link", "--no-catalog", "--ignore-owner", "--format", "json", tree.rootString)
        #expect(result.status == 3)
        let report = try JSONReport.decode(result.standardOutput)
        #expect(report.refusals.map(\.reason) == ["access-widens"])
        #expect(report.refusals.first?.message.contains("group 50 could write it") == true)
        #expect(try tree.status("users").st_ino != tree.status("roots").st_ino)
        #expect(try tree.status("users").st_uid == 65534)
    }
}

/// Setting an attribute or a flag changes a file's change time, so a saved scan made before it is
/// never applied to that file.
@Suite struct AttributeChangedAfterCompareTests {
    func scanThenChangeThenLink(_ change: (String) throws -> Bool) throws {
        let tree = try TestTree()
        let folder = try TestTree()
        let catalog = folder.rootString + "/catalog.sqlite"
        let bytes = patternBytes(count: 8000, seed: 40)
        for name in ["a", "b"] { try tree.write(name, bytes) }
        #expect(try CLI.run("scan", "--catalog", catalog, tree.rootString).status == 0)
        guard try change(tree.rootString + "/b") else { return }
        let result = try CLI.run("link", "--scan", "1", "--catalog", catalog)
        #expect(result.status == 1 || result.status == 3, "\(result.standardError)")
        #expect(result.standardError.contains("changed since it was compared"))
        #expect(try tree.status("a").st_ino != tree.status("b").st_ino)
    }

    @Test func anAttributeSetAfterCompareStopsTheSwap() throws {
        try scanThenChangeThenLink { path in
            #expect(run("/usr/bin/setfattr", ["-n", "user.late", "-v", "1", path]) == 0)
            return true
        }
    }

    @Test(.enabled(if: getuid() == 0, "chattr needs root"))
    func aFlagSetAfterCompareStopsTheSwap() throws {
        try scanThenChangeThenLink { path in
            run("/usr/bin/chattr", ["+d", path]) == 0
        }
    }
}
