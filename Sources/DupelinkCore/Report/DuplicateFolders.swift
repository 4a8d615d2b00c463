/// Folders whose whole subtree is identical to another folder's: the same names, and for each
/// file the same content (a member of the same duplicate class), so that one could replace the
/// other. Computed from the walk and the classes the scan found, with no extra reads.
///
/// Only a fresh walk knows every file of a folder; a saved scan or a reviewed report keeps class
/// members only, so callers ask this of scans they walked. Empty files and empty folders count
/// by name (a folder with an empty file the other lacks is not identical) unless
/// `ignoringEmpty`; symbolic links count by name and target (never followed); a folder holding
/// anything whose contents the scan does not know (a special file, a file outside the size
/// range, an entry that could not be examined) is never identical to another.
public struct DuplicateFolders: Hashable, Sendable {
    /// The identical folders, by index in the scan's path table, in path order.
    public var directories: [Int32]
    /// The files in each folder's subtree.
    public var files: Int
    /// The bytes of those files (apparent sizes).
    public var bytes: Int64

    /// The classes of identical folders, most bytes first. A class whose folders' parents are all
    /// identical too is left out: the parents' class says it. Touches no disk.
    public static func find(in scan: ScanResult, ignoringEmpty: Bool = false) -> [DuplicateFolders] {
        let table = scan.table
        let count = table.directories.count
        guard count > 1 else { return [] }
        let (signature, fileCount, byteCount) = signatures(of: scan, ignoringEmpty: ignoringEmpty)

        var groups: [Digest: [Int32]] = [:]
        for index in 0..<count where fileCount[index] > 0 {
            if let digest = signature[index] { groups[digest, default: []].append(Int32(index)) }
        }
        let identical = groups.values.filter { $0.count > 1 }
        let groupOf = Dictionary(
            identical.enumerated().flatMap { group, members in members.map { ($0, group) } }, uniquingKeysWith: { a, _ in a })
        var result: [DuplicateFolders] = []
        for members in identical {
            // Reported by the parents' class when every parent is in one identical class.
            let parents = members.map { table.directories[Int($0)].parent }
            if parents.allSatisfy({ $0 >= 0 }), let first = groupOf[parents[0]],
                parents.allSatisfy({ groupOf[$0] == first }), Set(parents).count == parents.count
            {
                continue
            }
            let sorted = members.sorted { table.path(ofDirectory: $0).lexicographicallyPrecedes(table.path(ofDirectory: $1)) }
            result.append(DuplicateFolders(directories: sorted, files: fileCount[Int(members[0])], bytes: byteCount[Int(members[0])]))
        }
        return result.sorted { ($0.bytes, $0.files) > ($1.bytes, $1.files) }
    }

    /// Every folder's signature (nil for a folder holding a file unlike any other, or one not
    /// wholly read), with the files and bytes below it.
    private static func signatures(
        of scan: ScanResult, ignoringEmpty: Bool
    ) -> (signature: [Digest?], fileCount: [Int], byteCount: [Int64]) {
        let table = scan.table
        let count = table.directories.count
        // Each file's content: its class, or none (a file unlike any other spoils its folders).
        var content = [Int32](repeating: -1, count: scan.files.count)
        for (index, duplicateClass) in scan.classes.enumerated() {
            for member in duplicateClass.members {
                for name in member.names { content[Int(name)] = Int32(index) }
            }
        }
        var filesIn = [[Int32]](repeating: [], count: count)
        for (index, record) in scan.files.enumerated() { filesIn[Int(record.directory)].append(Int32(index)) }
        var children = [[Int32]](repeating: [], count: count)
        for (index, directory) in table.directories.enumerated() where directory.parent >= 0 {
            children[Int(directory.parent)].append(Int32(index))
        }

        // Bottom up (children come after their parents in the table): a folder's signature is the
        // digest of its entries sorted by name, files with their class, folders with theirs.
        var signature = [Digest?](repeating: nil, count: count)
        var fileCount = [Int](repeating: 0, count: count)
        var byteCount = [Int64](repeating: 0, count: count)
        for index in stride(from: count - 1, through: 0, by: -1) {
            var entries: [(name: ArraySlice<UInt8>, kind: UInt64, id: Digest)] = []
            let omitted = table.omitted[Int32(index)] ?? OmittedFiles()
            var complete = omitted.unknown == 0
            for file in filesIn[index] {
                let record = scan.files[Int(file)]
                guard content[Int(file)] >= 0 else {
                    complete = false
                    break
                }
                entries.append((table.name(ofFile: record), 0, Digest(high: UInt64(content[Int(file)]), low: 0)))
                fileCount[index] += 1
                byteCount[index] += record.status.size
            }
            for child in children[index] where complete {
                guard let childSignature = signature[Int(child)] else {
                    complete = false
                    break
                }
                // Asked to: a folder with no file of content is as if it were not there.
                if ignoringEmpty && fileCount[Int(child)] == 0 { continue }
                entries.append((table.name(ofDirectory: child), 1, childSignature))
                fileCount[index] += fileCount[Int(child)]
                byteCount[index] += byteCount[Int(child)]
            }
            // An empty folder gets a signature (it can match another), but is never reported.
            guard complete else { continue }
            entries.sort { $0.name.lexicographicallyPrecedes($1.name) }
            signature[index] = folderSignature(entries, omitted: omitted, ignoringEmpty: ignoringEmpty)
        }
        return (signature, fileCount, byteCount)
    }

    /// The digest of a folder's entries, sorted by name: files with their class, folders with
    /// their signature, and what the walk left out (empty files unless `ignoringEmpty`, and
    /// symbolic links by name and target).
    private static func folderSignature(
        _ entries: [(name: ArraySlice<UInt8>, kind: UInt64, id: Digest)], omitted: OmittedFiles, ignoringEmpty: Bool
    ) -> Digest {
        var hasher = CanonicalHasher()
        hasher.append(count: entries.count)
        if !ignoringEmpty {
            hasher.append(UInt64(omitted.emptyFiles))
            hasher.append(omitted.emptyNames.high)
            hasher.append(omitted.emptyNames.low)
        }
        // Symbolic links count by name and target.
        hasher.append(UInt64(omitted.symbolicLinks))
        hasher.append(omitted.linkNames.high)
        hasher.append(omitted.linkNames.low)
        for entry in entries {
            hasher.append(bytes: Array(entry.name))
            hasher.append(entry.kind)
            hasher.append(entry.id.high)
            hasher.append(entry.id.low)
        }
        return hasher.finalize()
    }
}
