import Foundation

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
    private static let tag = Array("dupelink saved scan, serialization 1".utf8)

    /// The fingerprint of `scan` saved with `roots`.
    init(_ scan: ScanResult, roots: [[UInt8]]) {
        var hasher = CanonicalHasher()
        hasher.append(bytes: Self.tag)
        hasher.append(count: roots.count)
        for root in roots { hasher.append(bytes: root) }
        let table = scan.table
        // A directory holds many names, so its path is built once; each name's path is then the
        // bytes `ScanResult.path(ofFile:)` would return, hashed without building it.
        var directoryPaths: [Int32: [UInt8]] = [:]
        hasher.append(count: scan.classes.count)
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
                let status = member.status
                hasher.append(status.id.device)
                hasher.append(status.id.inode)
                hasher.append(UInt64(status.mode))
                hasher.append(status.linkCount)
                hasher.append(UInt64(status.userID))
                hasher.append(UInt64(status.groupID))
                hasher.append(status.size)
                hasher.append(status.blocks)
                hasher.append(status.modificationTime)
                hasher.append(status.changeTime)
                hasher.append(count: member.names.count)
                for file in member.names {
                    let record = scan.files[Int(file)]
                    let directoryPath: [UInt8]
                    if let known = directoryPaths[record.directory] {
                        directoryPath = known
                    } else {
                        directoryPath = table.path(ofDirectory: record.directory)
                        directoryPaths[record.directory] = directoryPath
                    }
                    let slash = PathTable.needsSlash(after: directoryPath)
                    let name = table.name(ofFile: record)
                    hasher.append(count: directoryPath.count + (slash ? 1 : 0) + name.count)
                    hasher.append(raw: directoryPath)
                    if slash { hasher.append(raw: CollectionOfOne(UInt8(ascii: "/"))) }
                    hasher.append(raw: name)
                    let directory = table.directories[Int(record.directory)].id
                    hasher.append(directory.device)
                    hasher.append(directory.inode)
                }
            }
        }
        digest = hasher.finalize()
    }

    /// The form the catalog stores: 16 bytes, the high half first, each half big-endian (XXH128's
    /// canonical form, as `xxh128sum` prints it).
    var bytes: Data {
        var result = Data(capacity: 16)
        withUnsafeBytes(of: digest.high.bigEndian) { result.append(contentsOf: $0) }
        withUnsafeBytes(of: digest.low.bigEndian) { result.append(contentsOf: $0) }
        return result
    }
}

/// Feeds a serialization to XXH3 through one buffer, so that each integer costs a few stores
/// rather than a call into libxxhash.
private struct CanonicalHasher: ~Copyable {
    private var hasher = XXH3Hasher()
    private var buffer: [UInt8] = []
    private static let flushSize = 1 << 16

    init() {
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    /// Appends an integer as eight little-endian bytes.
    mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Appends a signed integer as the eight bytes of the same bits.
    mutating func append(_ value: Int64) {
        append(UInt64(bitPattern: value))
    }

    /// Appends the length of what follows.
    mutating func append(count: Int) {
        append(UInt64(count))
    }

    /// Appends bytes preceded by their length.
    mutating func append(bytes: [UInt8]) {
        append(count: bytes.count)
        append(raw: bytes)
    }

    /// Appends bytes as they are; the caller has written their length.
    mutating func append(raw bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { flush() }
    }

    /// The digest of everything appended.
    consuming func finalize() -> Digest {
        flush()
        return hasher.finalize()
    }

    private mutating func flush() {
        buffer.withUnsafeBytes { hasher.update($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
