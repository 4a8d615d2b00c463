import Foundation

extension Digest {
    /// The form the catalog stores a fingerprint in: 16 bytes, the high half first, each half
    /// big-endian (XXH128's canonical form, as `xxh128sum` prints it).
    var storedForm: Data {
        var result = Data(capacity: 16)
        withUnsafeBytes(of: high.bigEndian) { result.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { result.append(contentsOf: $0) }
        return result
    }
}

/// An XXH3-128 digest of every row a saved scan holds but its times and counters: the roots in
/// order, and each class, member and name with every field the catalog keeps for it.
///
/// Two scans with one fingerprint would save the same rows, so a rescan that finds exactly what the
/// newest saved scan found updates that scan instead of saving a copy. What is hashed is a canonical
/// serialization that no two different scans share: fixed-width little-endian integers, and every
/// list and every path preceded by its length. A version tag comes first; a change to what is
/// hashed must change the tag, so that fingerprints saved before it never match again.
struct ScanFingerprint: Hashable, Sendable {
    /// The digest.
    let digest: Digest

    /// Bumped whenever the serialization changes.
    private static let tag = Array("dupelink saved scan, serialization 2".utf8)

    /// The fingerprint of `scan` and its roots.
    init(_ scan: ScanResult) {
        let roots = scan.roots
        var hasher = CanonicalHasher()
        hasher.append(bytes: Self.tag)
        hasher.append(count: roots.count)
        for root in roots { hasher.append(bytes: root) }
        hasher.append(count: scan.classes.count)
        var prefixes = DirectoryPrefixes(scan.table)
        // Buffers, not arrays, for what is read for every name: about 20,000 of them on each
        // rescan of the 100k-file corpus.
        scan.files.withUnsafeBufferPointer { files in
            scan.table.bytes.withUnsafeBytes { names in
                for duplicateClass in scan.classes {
                    hasher.append(duplicateClass.size)
                    if let digest = duplicateClass.digest {
                        hasher.append(UInt64(1))
                        hasher.append(digest.high)
                        hasher.append(digest.low)
                    } else {
                        hasher.append(UInt64(0))
                    }
                    hasher.append(count: duplicateClass.members.count)
                    for member in duplicateClass.members {
                        hasher.append(member.status)
                        // Extents change without moving the times (dedupe): a rescan after one
                        // saves the new ranges.
                        if let extents = member.sharedExtents {
                            hasher.append(count: extents.ranges.count + 1)
                            for range in extents.ranges {
                                hasher.append(range.lowerBound)
                                hasher.append(range.upperBound)
                            }
                        } else {
                            hasher.append(count: 0)
                        }
                        hasher.append(count: member.names.count)
                        for file in member.names {
                            // The bytes `ScanResult.path(ofFile:)` returns: the directory's prefix
                            // (its path and a slash), then the name.
                            let record = files[Int(file)]
                            let prefix = prefixes.range(ofDirectory: record.directory, in: scan.table)
                            let name = Int(record.nameStart)..<Int(record.nameStart) + Int(record.nameLength)
                            hasher.append(count: prefix.count + name.count)
                            prefixes.bytes.withUnsafeBytes { hasher.append(raw: UnsafeRawBufferPointer(rebasing: $0[prefix])) }
                            hasher.append(raw: UnsafeRawBufferPointer(rebasing: names[name]))
                            let directory = scan.table.directories[Int(record.directory)].id
                            hasher.append(directory.device)
                            hasher.append(directory.inode)
                        }
                    }
                }
            }
        }
        digest = hasher.finalize()
    }

    /// The form the catalog stores: 16 bytes, the high half first, each half big-endian (XXH128's
    /// canonical form, as `xxh128sum` prints it).
    var bytes: Data { digest.storedForm }
}

/// The path of each directory that holds a name of a class, followed by the slash that joins it
/// to a name where `PathTable.path(ofFile:)` puts one: built once per directory, not per name.
private struct DirectoryPrefixes {
    /// The prefixes, one after another.
    private(set) var bytes: [UInt8] = []
    /// For each directory of the table: where its prefix starts and ends in `bytes`, or -1 while
    /// it is not built.
    private var starts: [Int]
    private var ends: [Int]

    init(_ table: PathTable) {
        starts = [Int](repeating: -1, count: table.directories.count)
        ends = starts
    }

    /// Where the prefix of `directory` lies in `bytes`, built now if it was not.
    mutating func range(ofDirectory directory: Int32, in table: PathTable) -> Range<Int> {
        let index = Int(directory)
        if starts[index] < 0 {
            let path = table.path(ofDirectory: directory)
            starts[index] = bytes.count
            bytes.append(contentsOf: path)
            if PathTable.needsSlash(after: path) { bytes.append(UInt8(ascii: "/")) }
            ends[index] = bytes.count
        }
        return starts[index]..<ends[index]
    }
}

/// Feeds a serialization to XXH3 through one buffer, so that each integer costs a store rather
/// than a call into libxxhash.
struct CanonicalHasher: ~Copyable {
    private var hasher = XXH3Hasher()
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init() {
        buffer = .allocate(byteCount: 1 << 16, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Appends an integer as eight little-endian bytes.
    mutating func append(_ value: UInt64) {
        if used + 8 > buffer.count { flush() }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: used, as: UInt64.self)
        used += 8
    }

    /// Appends a signed integer as the eight bytes of the same bits.
    mutating func append(_ value: Int64) {
        append(UInt64(bitPattern: value))
    }

    /// Appends every field of a snapshot that the catalog keeps for a member.
    mutating func append(_ status: FileStatus) {
        append(status.id.device)
        append(status.id.inode)
        append(UInt64(status.mode))
        append(status.linkCount)
        append(UInt64(status.userID))
        append(UInt64(status.groupID))
        append(status.size)
        append(status.blocks)
        append(status.modificationTime)
        append(status.changeTime)
    }

    /// Appends the length of what follows.
    mutating func append(count: Int) {
        append(UInt64(count))
    }

    /// Appends bytes preceded by their length.
    mutating func append(bytes: [UInt8]) {
        append(count: bytes.count)
        bytes.withUnsafeBytes { append(raw: $0) }
    }

    /// Appends bytes as they are; the caller has written their length.
    mutating func append(raw bytes: UnsafeRawBufferPointer) {
        if used + bytes.count > buffer.count {
            flush()
            // Longer than the buffer (a path may be longer than PATH_MAX): hashed where it is.
            if bytes.count > buffer.count {
                hasher.update(bytes)
                return
            }
        }
        UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + bytes.count]).copyMemory(from: bytes)
        used += bytes.count
    }

    /// The digest of everything appended.
    consuming func finalize() -> Digest {
        flush()
        return hasher.finalize()
    }

    private mutating func flush() {
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<used]))
        used = 0
    }
}
