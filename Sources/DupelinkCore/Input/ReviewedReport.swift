import Foundation

/// A JSON report read back to be applied (`dupelink link --from`), after a person reviewed it and
/// perhaps removed names or whole classes.
///
/// Everything is checked before anything is touched, and the report is refused as a whole when
/// something is wrong: an unknown `schemaVersion`, a class whose names do not all have its size, a
/// path listed twice, a path that is not absolute or not under one of the report's roots, a name
/// without its fingerprint or its `attributesDigest` (reports written before those fields
/// existed), or one inode
/// given two fingerprints or put in two classes. A class left with fewer than two names is simply
/// not linked. The fingerprints are what the linker re-checks right before it changes a name: a
/// file that changed since the scan is skipped, never trusted.
public enum ReviewedReport {
    /// The `schemaVersion` this dupelink reads.
    public static let schemaVersion = 1

    /// Reads a JSON report and returns it as a saved scan, ready for `SavedScan.scanResult()`.
    ///
    /// Touches no disk.
    /// - Parameters:
    ///   - data: the report's bytes.
    ///   - file: the report's path, for messages.
    /// - Throws: `DupelinkError(.invalidInput)` naming the report or the offending path, with the
    ///   reason, when the report is not JSON, not a dupelink report, of another schema version, or
    ///   fails one of the checks above.
    public static func savedScan(from data: [UInt8], file: [UInt8]) throws(DupelinkError) -> SavedScan {
        let report = try decode(data, file: file)
        let roots = report.roots.map(\.bytes)
        for (root, value) in zip(roots, report.roots) {
            try checkRoot(root, value: value, file: file)
        }
        let normalizedRoots = roots.map { root in
            var root = root
            while root.count > 1 && root.last == UInt8(ascii: "/") { root.removeLast() }
            return root
        }
        var seenPaths = Set<[UInt8]>()
        var classOfInode: [FileID: Int] = [:]
        var classes: [SavedClass] = []
        for (classIndex, reportClass) in report.classes.enumerated() {
            classes.append(
                try savedClass(
                    reportClass, index: classIndex, roots: normalizedRoots, file: file, seenPaths: &seenPaths,
                    classOfInode: &classOfInode))
        }
        return SavedScan(
            id: report.scanID ?? 0, startedAt: 0, savedAt: 0, roots: roots, statistics: report.statistics,
            classes: classes)
    }

    /// Checks that a report's root is an absolute, canonical path: a root decides what may be
    /// linked, and `/srv/a/../b` would let names of /srv/b through.
    private static func checkRoot(_ root: [UInt8], value: JSONReport.PathValue, file: [UInt8]) throws(DupelinkError) {
        try checkPathValue(value.path, base64: value.pathBase64, file: file)
        guard root.first == UInt8(ascii: "/") else {
            throw DupelinkError(
                .invalidInput, path: root, operation: "apply \(PathText.display(file))",
                detail: "the report's root is not an absolute path; scan again with absolute paths")
        }
        let components = root.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        let inner = components.last?.isEmpty == true ? components.dropLast() : components[...]
        guard !inner.contains(where: { $0.isEmpty || $0.elementsEqual([0x2E]) || $0.elementsEqual([0x2E, 0x2E]) })
            || root == [UInt8(ascii: "/")]
        else {
            throw DupelinkError(
                .invalidInput, path: root, operation: "apply \(PathText.display(file))",
                detail: "the report's root is not canonical (it has a '.', '..' or empty component); scan again with canonical paths")
        }
    }

    /// One class of the report as a saved class: every name under a root, listed once, of the
    /// class's size, its inode in no other class, each inode with one fingerprint and one
    /// attributes digest.
    private static func savedClass(
        _ reportClass: JSONReport.Class, index classIndex: Int, roots: [[UInt8]], file: [UInt8],
        seenPaths: inout Set<[UInt8]>, classOfInode: inout [FileID: Int]
    ) throws(DupelinkError) -> SavedClass {
        let label = "class \(classIndex + 1)"
        guard reportClass.size > 0 else {
            throw invalid(file: file, "\(label) has size \(reportClass.size); a class holds files of at least 1 byte")
        }
        var digest: Digest? = nil
        if let text = reportClass.digest {
            guard let parsed = Digest(hex: text) else {
                throw invalid(file: file, "\(label) has digest '\(text)', which is not 32 hexadecimal digits")
            }
            digest = parsed
        }
        var members: [SavedMember] = []
        var memberOfInode: [FileID: Int] = [:]
        for reportFile in reportClass.files {
            try checkPathValue(reportFile.path, base64: reportFile.pathBase64, file: file)
            let path = reportFile.pathBytes
            guard path.first == UInt8(ascii: "/") else {
                throw DupelinkError(.invalidInput, path: path, detail: "the path is not absolute")
            }
            guard roots.contains(where: { ScanTableBuilder.path(path, isUnder: $0) || path == $0 }) else {
                throw DupelinkError(.invalidInput, path: path, detail: "the path is not under any root of the report")
            }
            guard seenPaths.insert(path).inserted else {
                throw DupelinkError(.invalidInput, path: path, detail: "the path is listed twice")
            }
            let (status, directory) = try fingerprint(of: reportFile, path: path)
            guard status.size == reportClass.size else {
                throw DupelinkError(
                    .invalidInput, path: path,
                    detail: "its size (\(status.size) bytes) is not its class's (\(reportClass.size) bytes): the names of a class must all be the same size")
            }
            if let other = classOfInode[status.id], other != classIndex {
                throw DupelinkError(
                    .invalidInput, path: path, detail: "its inode \(status.id) is also in class \(other + 1)")
            }
            classOfInode[status.id] = classIndex
            let name = SavedName(path: path, directory: directory)
            let attributes = try attributeState(reportFile.attributesDigest, path: path)
            if let position = memberOfInode[status.id] {
                guard members[position].attributes == attributes else {
                    throw DupelinkError(
                        .invalidInput, path: path,
                        detail: "its inode \(status.id) is listed with two different attributesDigest values")
                }
                guard members[position].status == status else {
                    throw DupelinkError(
                        .invalidInput, path: path,
                        detail: "its inode \(status.id) is listed with two different fingerprints")
                }
                members[position].names.append(name)
            } else {
                memberOfInode[status.id] = members.count
                members.append(SavedMember(status: status, names: [name], attributes: attributes))
            }
        }
        return SavedClass(size: reportClass.size, digest: digest, members: members)
    }

    /// A file's `attributesDigest` as the state its attributes were in when the report was written.
    private static func attributeState(_ value: String?, path: [UInt8]) throws(DupelinkError) -> AttributeState {
        switch value {
        case nil:
            throw DupelinkError(
                .invalidInput, path: path,
                detail: "it has no attributesDigest: the report was written by a dupelink that did not compare extended attributes; scan again")
        case JSONReport.unreadableAttributes:
            return .unreadable("its attributes could not be read when the report was written")
        case let text?:
            guard let parsed = Digest(hex: text) else {
                throw DupelinkError(
                    .invalidInput, path: path, detail: "its attributesDigest '\(text)' is not 32 hexadecimal digits")
            }
            return .digest(parsed)
        }
    }

    /// Decodes the report, checking the schema version before the rest, so a newer report gets
    /// a message about its version rather than about a field.
    private static func decode(_ data: [UInt8], file: [UInt8]) throws(DupelinkError) -> JSONReport {
        struct Header: Decodable { var schemaVersion: Int? }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(data))
        } catch {
            // The decoder does not say where; the syntax check does.
            if let problem = JSONSyntax.firstError(in: data) { throw invalid(file: file, "it is not valid JSON: \(problem)") }
            throw invalid(file: file, "it is not a JSON object (\(describe(error)))")
        }
        guard let version = header.schemaVersion else {
            throw invalid(file: file, "it is not a dupelink JSON report: it has no schemaVersion")
        }
        guard version == schemaVersion else {
            throw invalid(file: file, "its schemaVersion is \(version); this dupelink reads version \(schemaVersion)")
        }
        do {
            return try JSONDecoder().decode(JSONReport.self, from: Data(data))
        } catch {
            if let problem = JSONSyntax.firstError(in: data) { throw invalid(file: file, "it is not valid JSON: \(problem)") }
            throw invalid(file: file, "it is not a dupelink JSON report (\(describe(error)))")
        }
    }

    /// The inode's fingerprint and the directory's identity, all of which must be present.
    private static func fingerprint(of file: JSONReport.File, path: [UInt8]) throws(DupelinkError) -> (FileStatus, FileID) {
        guard let size = file.size, let modificationTimeCount = file.modificationTimeNs, let changeTimeCount = file.changeTimeNs,
            let mode = file.mode, let userID = file.uid, let groupID = file.gid,
            let directoryDevice = file.directoryDevice, let directoryInode = file.directoryInode
        else {
            let fields: [(String, Bool)] = [
                ("size", file.size == nil), ("modificationTimeNs", file.modificationTimeNs == nil),
                ("changeTimeNs", file.changeTimeNs == nil), ("mode", file.mode == nil), ("uid", file.uid == nil),
                ("gid", file.gid == nil), ("directoryDevice", file.directoryDevice == nil),
                ("directoryInode", file.directoryInode == nil),
            ]
            let missing = fields.filter(\.1).map(\.0).joined(separator: ", ")
            throw DupelinkError(
                .invalidInput, path: path,
                detail: "it has no fingerprint (missing \(missing)), so it cannot be checked; scan again with this dupelink")
        }
        // The decimal strings are exact where a tool that reads numbers as doubles (jq 1.6)
        // rounded the nanosecond counts; they win when present.
        func exact(_ text: String?, _ field: String, or count: Int64) throws(DupelinkError) -> Int64 {
            guard let text else { return count }
            guard let value = JSONReport.nanoseconds(fromDecimalTime: text) else {
                throw DupelinkError(
                    .invalidInput, path: path, detail: "its \(field) '\(text)' is not seconds with nine decimals")
            }
            // Equal as doubles: all a double-based tool can have kept of the count.
            guard Double(value) == Double(count) else {
                throw DupelinkError(
                    .invalidInput, path: path, detail: "its \(field) and \(field)Ns disagree; edit neither")
            }
            return value
        }
        let modificationTime = try exact(file.modificationTime, "modificationTime", or: modificationTimeCount)
        let changeTime = try exact(file.changeTime, "changeTime", or: changeTimeCount)
        let status = FileStatus(
            id: FileID(device: file.device, inode: file.inode), mode: mode, linkCount: file.links, userID: userID,
            groupID: groupID, size: size, blocks: 0, modificationTime: modificationTime, changeTime: changeTime)
        guard status.kind == .regular else {
            throw DupelinkError(.invalidInput, path: path, detail: "its mode \(String(mode, radix: 8)) is not a regular file's")
        }
        return (status, FileID(device: directoryDevice, inode: directoryInode))
    }

    /// A `pathBase64` must decode: the text form of such a path is lossy and never used instead.
    /// A `pathBase64` must be valid and say what `path` says: the reviewer reads `path`, and the
    /// linker would act on `pathBase64`.
    private static func checkPathValue(_ path: String, base64: String?, file: [UInt8]) throws(DupelinkError) {
        guard let base64 else { return }
        guard let data = Data(base64Encoded: base64) else {
            throw invalid(file: file, "the pathBase64 of '\(path)' is not valid base64")
        }
        guard String(decoding: Array(data), as: UTF8.self) == path else {
            throw invalid(
                file: file,
                "the pathBase64 of '\(path)' names another path ('\(PathText.display(Array(data)))'); a reviewed name must be the name applied")
        }
    }

    private static func invalid(file: [UInt8], _ reason: String) -> DupelinkError {
        DupelinkError(.invalidInput, path: file, operation: "apply the report", detail: reason)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            return "no \"\(key.stringValue)\" at \(codingPath(context.codingPath))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(codingPath(context.codingPath)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }

    private static func codingPath(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the top level" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
