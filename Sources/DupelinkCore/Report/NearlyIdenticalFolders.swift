/// Two folders that would be identical but for a few files: most names in one have the same name
/// (relative path) and content in the other, and at most a threshold of files differ, are missing
/// on one side, or are unlike any other file. A person deciding by folder sees "Photos/2019 and
/// Backup/Photos/2019 match but for 3 files" where the file classes would show thousands of lines.
///
/// Computed from the walk and the classes the scan found, with no extra reads: every pair of
/// names in one class with the same file name votes for its parent folders, and for their parents
/// while the folder names agree, so a pair of folders gets one vote per relative path whose
/// content matches. Names of one class that share a file name are paired only when there are at
/// most `namesPaired` of them (a class of a thousand `LICENSE` files would cost a million pairs);
/// such files then count as differences.
public struct NearlyIdenticalFolders: Hashable, Sendable {
    /// The two folders, by index in the scan's path table, in path order.
    public var first: Int32
    public var second: Int32
    /// The files found under both, with the same relative path and the same content.
    public var matchingFiles: Int
    /// The bytes of those files (apparent sizes, counted once).
    public var matchingBytes: Int64
    /// The files under `first` (and `second`) that have no match in the other.
    public var onlyInFirst: Int
    public var onlyInSecond: Int

    /// The files that keep the two folders from being identical.
    public var differences: Int { onlyInFirst + onlyInSecond }

    /// The most names of one class with one file name that are paired with each other.
    public static let namesPaired = 256

    /// The pairs of folders that differ by 1 to `maximumDifferences` files and match in more
    /// files than they differ in, most matching bytes first. Neither folder lies inside the other,
    /// and a pair is left out when its parents form such a pair too (the parents' line says it).
    /// Touches no disk.
    public static func find(in scan: ScanResult, maximumDifferences: Int) -> [NearlyIdenticalFolders] {
        let table = scan.table
        let count = table.directories.count
        guard maximumDifferences > 0, count > 1, !scan.classes.isEmpty else { return [] }
        let parent = table.directories.map(\.parent)

        // Files in each folder's subtree; children come after their parents in the table.
        var filesBelow = [Int](repeating: 0, count: count)
        for record in scan.files { filesBelow[Int(record.directory)] += 1 }
        for index in stride(from: count - 1, through: 1, by: -1) where parent[index] >= 0 {
            filesBelow[Int(parent[index])] += filesBelow[index]
        }

        var votes: [UInt64: (files: Int, bytes: Int64)] = [:]
        for duplicateClass in scan.classes {
            var byName: [ArraySlice<UInt8>: [Int32]] = [:]
            for member in duplicateClass.members {
                for name in member.names { byName[table.name(ofFile: scan.files[Int(name)]), default: []].append(name) }
            }
            for names in byName.values where names.count > 1 && names.count <= namesPaired {
                for i in 0..<(names.count - 1) {
                    for j in (i + 1)..<names.count {
                        var one = scan.files[Int(names[i])].directory
                        var other = scan.files[Int(names[j])].directory
                        // Up both chains while the relative paths stay equal.
                        while one != other && one >= 0 && other >= 0 {
                            let key = pairKey(one, other)
                            let vote = votes[key] ?? (0, 0)
                            votes[key] = (vote.files + 1, vote.bytes + duplicateClass.size)
                            guard table.name(ofDirectory: one).elementsEqual(table.name(ofDirectory: other)) else { break }
                            one = parent[Int(one)]
                            other = parent[Int(other)]
                        }
                    }
                }
            }
        }

        func isAncestor(_ ancestor: Int32, of directory: Int32) -> Bool {
            var current = parent[Int(directory)]
            while current >= 0 {
                if current == ancestor { return true }
                current = parent[Int(current)]
            }
            return false
        }
        var accepted: [UInt64: NearlyIdenticalFolders] = [:]
        for (key, vote) in votes {
            let (one, other) = (Int32(truncatingIfNeeded: key >> 32), Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))
            let pair = NearlyIdenticalFolders(
                first: one, second: other, matchingFiles: vote.files, matchingBytes: vote.bytes,
                onlyInFirst: filesBelow[Int(one)] - vote.files, onlyInSecond: filesBelow[Int(other)] - vote.files)
            guard pair.differences > 0, pair.differences <= maximumDifferences, pair.matchingFiles > pair.differences,
                !isAncestor(one, of: other), !isAncestor(other, of: one)
            else { continue }
            accepted[key] = pair
        }
        let topmost = accepted.values.filter { pair in
            let (up, across) = (parent[Int(pair.first)], parent[Int(pair.second)])
            return up < 0 || across < 0 || up == across || accepted[pairKey(up, across)] == nil
        }
        return topmost.map { pair in
            // In path order, as identical folders are listed.
            guard table.path(ofDirectory: pair.second).lexicographicallyPrecedes(table.path(ofDirectory: pair.first)) else { return pair }
            var swapped = pair
            (swapped.first, swapped.second) = (pair.second, pair.first)
            (swapped.onlyInFirst, swapped.onlyInSecond) = (pair.onlyInSecond, pair.onlyInFirst)
            return swapped
        }.sorted { ($0.matchingBytes, $0.matchingFiles, $1.first, $1.second) > ($1.matchingBytes, $1.matchingFiles, $0.first, $0.second) }
    }

    /// One key for the unordered pair.
    private static func pairKey(_ one: Int32, _ other: Int32) -> UInt64 {
        let (low, high) = one < other ? (one, other) : (other, one)
        return UInt64(UInt32(bitPattern: low)) << 32 | UInt64(UInt32(bitPattern: high))
    }
}
