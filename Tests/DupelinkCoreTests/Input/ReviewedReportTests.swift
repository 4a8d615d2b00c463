import DupelinkTestSupport
import Foundation
import Testing

@_spi(Stages) @testable import DupelinkCore

/// A JSON report read back for `link --from`: what is accepted, and every way it is refused.
@Suite struct ReviewedReportTests {
    /// A real tree with two classes, its JSON report as a Foundation object, and its root.
    func report() throws -> (tree: TestTree, object: [String: Any]) {
        let tree = try TestTree()
        try tree.write("a1", patternBytes(count: 3_000, seed: 61))
        try tree.write("d/a2", patternBytes(count: 3_000, seed: 61))
        try tree.link("d/a2", "d/a2-link")
        try tree.write("b1", patternBytes(count: 1_000, seed: 62))
        try tree.write("d/e/b2", patternBytes(count: 1_000, seed: 62))
        // The real pipeline, which reads attributes: a report without attributesDigest is refused.
        let scan = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        let json = JSONReport(ScanReport(scan: scan, plan: LinkPlanner.plan(scan, options: LinkOptions())))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.encoded())) as? [String: Any])
        return (tree, object)
    }

    func encode(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    /// The index of the class holding the name that ends with `suffix`.
    func classIndex(_ object: [String: Any], holding suffix: String) -> Int {
        let classes = (object["classes"] as? [[String: Any]]) ?? []
        return classes.indices.first { index in
            (classes[index]["files"] as? [[String: Any]] ?? []).contains { ($0["path"] as? String)?.hasSuffix(suffix) == true }
        } ?? -1
    }

    func files(_ object: [String: Any], _ index: Int) -> [[String: Any]] {
        ((object["classes"] as? [[String: Any]]) ?? [])[index]["files"] as? [[String: Any]] ?? []
    }

    func setFiles(_ object: inout [String: Any], _ index: Int, _ files: [[String: Any]]) {
        var classes = (object["classes"] as? [[String: Any]]) ?? []
        classes[index]["files"] = files
        object["classes"] = classes
    }

    @Test func anUneditedReportReadsBackAsTheScanItDescribes() throws {
        let (tree, object) = try report()
        let saved = try ReviewedReport.savedScan(from: try encode(object), file: Array("r.json".utf8))
        let a = classIndex(object, holding: "/a1")
        #expect(saved.roots == [tree.root])
        #expect(saved.classes[a].nameCount == 3 && saved.classes[1 - a].nameCount == 2)
        // The two names of one inode are one member.
        #expect(saved.classes[a].members.map(\.names.count).sorted() == [1, 2])
        let status = try tree.status("d/a2")
        let member = try #require(saved.classes[a].members.first { $0.names.count == 2 })
        #expect(member.status.id == FileID(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)))
        #expect(member.status.modificationTime == Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
        #expect(member.status.changeTime == Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec))
        let directory = try tree.status("d")
        #expect(member.names[0].directory == FileID(device: UInt64(directory.st_dev), inode: UInt64(directory.st_ino)))
        let rebuilt = try saved.scanResult()
        #expect(rebuilt.classes.map(\.nameCount) == saved.classes.map(\.nameCount))
    }

    /// Edits that make the whole report refused, with the words the refusal must contain.
    static let refusals: [(String, String)] = [
        ("relativeRoot", "the report's root is not an absolute path"),
        ("inodeInTwoClasses", "is also in class"),
        ("twoFingerprintsForOneInode", "listed with two different fingerprints"),
        ("badBase64", "is not valid base64"),
        ("badDigest", "is not 32 hexadecimal digits"),
        ("notARegularFile", "is not a regular file's"),
        ("twoIdentitiesForOneDirectory", "this directory is given two identities"),
        ("noSchemaVersion", "it has no schemaVersion"),
        ("missingField", "it is not a dupelink JSON report"),
        ("noAttributesDigest", "it has no attributesDigest"),
        ("timeFieldsDisagree", "its changeTime and changeTimeNs disagree"),
        ("badDecimalTime", "its modificationTime '12.5' is not seconds with nine decimals"),
        ("dotDotInRoot", "the report's root is not canonical"),
        ("doubleSlashInRoot", "the report's root is not canonical"),
        ("pathBase64NamesAnotherPath", "names another path"),
        ("badAttributesDigest", "its attributesDigest 'zz' is not 32 hexadecimal digits"),
        ("twoAttributesDigestsForOneInode", "listed with two different attributesDigest values"),
    ]

    @Test(arguments: refusals)
    func editsThatBreakTheReportAreRefused(_ edit: String, _ message: String) throws {
        var (tree, object) = try report()
        let aIndex = classIndex(object, holding: "/a1")
        let bIndex = classIndex(object, holding: "/b1")
        var a = files(object, aIndex)
        var b = files(object, bIndex)
        switch edit {
        case "relativeRoot": object["roots"] = [["path": "relative/root"]]
        case "inodeInTwoClasses":
            var copy = a[0]
            copy["path"] = tree.rootString + "/d/e/elsewhere"
            var classes = (object["classes"] as? [[String: Any]]) ?? []
            classes[bIndex]["size"] = 3_000  // sizes agree; only the inode is shared
            object["classes"] = classes
            for index in b.indices { b[index]["size"] = 3_000 }
            b.append(copy)
        case "twoFingerprintsForOneInode":
            let link = try #require(a.firstIndex { ($0["path"] as? String)?.hasSuffix("a2-link") == true })
            a[link]["modificationTimeNs"] = 5
            a[link]["modificationTime"] = "0.000000005"
        case "badBase64": a[0]["pathBase64"] = "%%%"
        case "badDigest":
            var classes = (object["classes"] as? [[String: Any]]) ?? []
            classes[aIndex]["digest"] = "xyz"
            object["classes"] = classes
        case "notARegularFile": a[0]["mode"] = 0o040755
        case "twoIdentitiesForOneDirectory":
            // d/a2 and d/a2-link lie in one directory; give the second another identity.
            let link = try #require(a.firstIndex { ($0["path"] as? String)?.hasSuffix("a2-link") == true })
            a[link]["directoryInode"] = 12345
        case "noSchemaVersion": object["schemaVersion"] = nil
        case "missingField": object["statistics"] = nil
        case "noAttributesDigest": b[1]["attributesDigest"] = nil
        case "timeFieldsDisagree": b[0]["changeTimeNs"] = 1_000
        case "badDecimalTime": b[0]["modificationTime"] = "12.5"
        case "dotDotInRoot": object["roots"] = [["path": tree.rootString + "/d/.."]]
        case "doubleSlashInRoot": object["roots"] = [["path": tree.rootString + "//d"]]
        case "pathBase64NamesAnotherPath":
            // The reviewer reads b1; the bytes say d/e/b2's neighbour.
            b[0]["pathBase64"] = Data((tree.rootString + "/d/e/other").utf8).base64EncodedString()
        case "badAttributesDigest": b[0]["attributesDigest"] = "zz"
        case "twoAttributesDigestsForOneInode":
            let link = try #require(a.firstIndex { ($0["path"] as? String)?.hasSuffix("a2-link") == true })
            a[link]["attributesDigest"] = String(repeating: "0", count: 32)
        default: Issue.record("unknown edit \(edit)")
        }
        let topLevel = ["badDigest", "relativeRoot", "noSchemaVersion", "missingField", "dotDotInRoot", "doubleSlashInRoot"]
        if !topLevel.contains(edit) {
            setFiles(&object, aIndex, a)
            setFiles(&object, bIndex, b)
        }
        let data = try encode(object)
        do {
            let saved = try ReviewedReport.savedScan(from: data, file: Array("r.json".utf8))
            _ = try saved.scanResult()
            Issue.record("\(edit) was accepted")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.description.contains(message), "\(edit): \(error.description)")
        }
    }
}
