import Foundation

/// What lets a rescan of an unchanged tree skip every stage after the walk.
///
/// The fingerprint of a walk is an XXH3-128 digest of everything the walk found, in the order it
/// found it: the roots, every directory (parent, name, identity) and every regular file (directory,
/// name, and the whole `fstat` snapshot: inode, size, mtime and ctime in nanoseconds, mode, owner,
/// link count). A scan saved with no warnings keeps its walk's fingerprint and its classes as
/// indices into the walk's files. When the next walk has the same fingerprint, every file is the
/// inode it was, with the size, mtime and ctime it had when it was compared, which is what the
/// digest cache already trusts file by file (the kernel sets ctime on every write and it cannot be
/// set back); the saved classes are then the classes of this walk, file index for file index, and
/// nothing is read. Any difference, even a file's ctime or a name's order, gives another
/// fingerprint, and the scan runs in full.
enum UnchangedWalk {
    /// Bumped whenever what is hashed, or the index format, changes.
    private static let tag = Array("dupelink walk, serialization 1".utf8)
    /// The first word of the index: its format.
    private static let indexVersion: Int64 = 1

    /// The fingerprint of a walk of `roots` that found `table` and `files`.
    static func fingerprint(roots: [[UInt8]], table: PathTable, files: [FileRecord]) -> Digest {
        var hasher = CanonicalHasher()
        hasher.append(bytes: tag)
        hasher.append(count: roots.count)
        for root in roots { hasher.append(bytes: root) }
        table.bytes.withUnsafeBytes { names in
            hasher.append(count: table.directories.count)
            for directory in table.directories {
                hasher.append(Int64(directory.parent))
                hasher.append(Int64(directory.root))
                hasher.append(UInt64(directory.isShown ? 1 : 0))
                hasher.append(directory.id.device)
                hasher.append(directory.id.inode)
                hasher.append(count: Int(directory.nameLength))
                let start = Int(directory.nameStart)
                hasher.append(raw: UnsafeRawBufferPointer(rebasing: names[start..<start + Int(directory.nameLength)]))
            }
            hasher.append(count: files.count)
            files.withUnsafeBufferPointer { files in
                for record in files {
                    hasher.append(Int64(record.directory))
                    hasher.append(record.status)
                    hasher.append(count: Int(record.nameLength))
                    let start = Int(record.nameStart)
                    hasher.append(raw: UnsafeRawBufferPointer(rebasing: names[start..<start + Int(record.nameLength)]))
                }
            }
        }
        return hasher.finalize()
    }

    /// The classes as indices into the walk's files: the format version, the number of classes,
    /// then for each its size, whether it has a digest, the digest's halves, its member count, and
    /// for each member its name count and the names.
    static func index(of classes: [DuplicateClass]) -> Data {
        var words: [Int64] = [indexVersion, Int64(classes.count)]
        for duplicateClass in classes {
            words.append(duplicateClass.size)
            words.append(duplicateClass.digest == nil ? 0 : 1)
            words.append(Int64(bitPattern: duplicateClass.digest?.high ?? 0))
            words.append(Int64(bitPattern: duplicateClass.digest?.low ?? 0))
            words.append(Int64(duplicateClass.members.count))
            for member in duplicateClass.members {
                words.append(Int64(member.names.count))
                for name in member.names { words.append(Int64(name)) }
            }
        }
        var data = Data(capacity: words.count * 8)
        for word in words { withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The classes an index describes over `files`, or nil when the index is not one this version
    /// wrote or does not fit the files: a name out of range, names of one member on different
    /// inodes, one inode in two members, a size that is not the class's, or a class of fewer than
    /// two names.
    static func classes(from index: Data, files: [FileRecord]) -> [DuplicateClass]? {
        guard index.count % 8 == 0 else { return nil }
        var words: [Int64] = []
        words.reserveCapacity(index.count / 8)
        index.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: 8) {
                words.append(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
            }
        }
        var position = 0
        func next() -> Int64? {
            guard position < words.count else { return nil }
            defer { position += 1 }
            return words[position]
        }
        func count() -> Int? {
            guard let value = next(), value >= 0, value <= Int64(files.count) else { return nil }
            return Int(value)
        }
        guard next() == indexVersion, let classCount = count() else { return nil }
        var classes: [DuplicateClass] = []
        classes.reserveCapacity(classCount)
        for _ in 0..<classCount {
            guard let size = next(), let hasDigest = next(), let high = next(), let low = next(),
                let memberCount = count(), hasDigest == 0 || hasDigest == 1
            else { return nil }
            var members: [Member] = []
            members.reserveCapacity(memberCount)
            for _ in 0..<memberCount {
                guard let nameCount = count(), nameCount > 0 else { return nil }
                var names = NameList([])
                for _ in 0..<nameCount {
                    guard let name = next(), name >= 0, name < Int64(files.count) else { return nil }
                    names.append(Int32(name))
                }
                let status = files[Int(names[0])].status
                guard status.size == size, names.allSatisfy({ files[Int($0)].status.id == status.id }) else { return nil }
                members.append(Member(names: names, status: status))
            }
            let duplicateClass = DuplicateClass(
                size: size, digest: hasDigest == 1 ? Digest(high: UInt64(bitPattern: high), low: UInt64(bitPattern: low)) : nil,
                members: members)
            guard duplicateClass.nameCount >= 2, Set(members.map(\.id)).count == members.count else { return nil }
            classes.append(duplicateClass)
        }
        return position == words.count ? classes : nil
    }
}
