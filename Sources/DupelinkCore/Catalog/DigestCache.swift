import GRDB

/// The digests the catalog remembers for one inode.
@_spi(Stages) public struct CachedDigests: Hashable, Sendable {
    /// The digest of the head and tail blocks.
    @_spi(Stages) public var headTail: Digest
    /// The digest of the whole content, when it was computed.
    @_spi(Stages) public var full: Digest?
    /// The content group: every file whose row has this number (and a matching fingerprint) was
    /// found byte-identical to the others by comparison, not by digest. Nil when the file was not
    /// read in full.
    @_spi(Stages) public var contentGroup: Int64?

    /// Creates a pair of digests.
    @_spi(Stages) public init(headTail: Digest, full: Digest? = nil, contentGroup: Int64? = nil) {
        self.headTail = headTail
        self.full = full
        self.contentGroup = contentGroup
    }
}

/// What to remember about one inode: where it is, the fingerprint its digests were computed
/// for, and the digests.
@_spi(Stages) public struct DigestEntry: Hashable, Sendable {
    /// The filesystem that holds the inode.
    @_spi(Stages) public var filesystem: FilesystemID
    /// The inode number.
    @_spi(Stages) public var inode: UInt64
    /// The size when the digests were computed.
    @_spi(Stages) public var size: Int64
    /// The modification time, in nanoseconds, when the digests were computed.
    @_spi(Stages) public var modificationTime: Int64
    /// The change time, in nanoseconds, when the digests were computed.
    @_spi(Stages) public var changeTime: Int64
    /// The digests.
    @_spi(Stages) public var digests: CachedDigests

    /// Creates an entry from its fields.
    @_spi(Stages) public init(
        filesystem: FilesystemID, inode: UInt64, size: Int64, modificationTime: Int64, changeTime: Int64,
        digests: CachedDigests
    ) {
        self.filesystem = filesystem
        self.inode = inode
        self.size = size
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.digests = digests
    }

    /// Creates an entry for the inode `status` describes, as `fstat` saw it on the descriptor
    /// whose bytes were hashed.
    @_spi(Stages) public init(filesystem: FilesystemID, status: FileStatus, digests: CachedDigests) {
        self.init(
            filesystem: filesystem, inode: status.id.inode, size: status.size,
            modificationTime: status.modificationTime, changeTime: status.changeTime, digests: digests)
    }
}

extension Catalog {
    /// The row id of each resolved device's filesystem, for the devices whose filesystem the
    /// catalog has stored rows for.
    static func filesystemRowIDs(_ db: Database, _ filesystems: FilesystemIdentities) throws -> [UInt64: Int64] {
        var rowIDs: [UInt64: Int64] = [:]
        let statement = try db.cachedStatement(sql: "SELECT id FROM filesystem WHERE identity = ?")
        for (device, identity) in filesystems.resolved {
            statement.setUncheckedArguments([identity.rawValue])
            if let id = try Int64.fetchOne(statement) { rowIDs[device] = id }
        }
        return rowIDs
    }

    /// Looks up the stored digests of many inodes at once, in one read transaction.
    ///
    /// A stored digest is returned only while the inode's size, modification time and change time
    /// all equal the ones it was computed for; anything else (a changed file, an inode number
    /// reused by a new file, a device not resolved in `filesystems`) gives nil, and the file must
    /// be read.
    /// - Parameters:
    ///   - statuses: the inodes, as the walk saw them.
    ///   - filesystems: the identities of their devices, resolved before the call.
    /// - Returns: one element per status, in order.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    @_spi(Stages) public func cachedDigests(
        for statuses: [FileStatus], filesystems: FilesystemIdentities
    ) throws(DupelinkError) -> [CachedDigests?] {
        if statuses.isEmpty { return [] }
        return try read { db in
            // The few filesystems first: a device never stored under its identity has nothing to find.
            let rowIDs = try Self.filesystemRowIDs(db, filesystems)
            let statement = RawStatement(
                try db.cachedStatement(
                    sql: """
                        SELECT inode, size, modificationTime, changeTime, headTailHigh, headTailLow, fullHigh, fullLow,
                               contentGroup
                        FROM digest WHERE filesystemId = ? AND inode >= ? ORDER BY inode
                        """))
            // Walk the rows in key order beside the inodes sorted the same way: a rescan, which
            // asks for most rows, reads the table once from end to end instead of searching the
            // B-tree for each inode (3 times faster on 100,000 inodes); a cursor that falls more
            // than a few rows behind searches again, so a few inodes in a large catalog stay cheap.
            var order: [(filesystem: Int64, inode: Int64, index: Int)] = []
            order.reserveCapacity(statuses.count)
            for (index, status) in statuses.enumerated() {
                if let filesystem = rowIDs[status.id.device] {
                    order.append((filesystem, Int64(bitPattern: status.id.inode), index))
                }
            }
            order.sort { ($0.filesystem, $0.inode) < ($1.filesystem, $1.inode) }
            var results = [CachedDigests?](repeating: nil, count: statuses.count)
            let seek = { (filesystem: Int64, inode: Int64) throws -> Int64? in
                statement.reset()
                statement.bind(1, filesystem)
                statement.bind(2, inode)
                return try statement.step() ? statement.int64(0) : nil
            }
            var cursor: (filesystem: Int64, inode: Int64?)? = nil
            for key in order {
                if cursor?.filesystem != key.filesystem {
                    cursor = (key.filesystem, try seek(key.filesystem, key.inode))
                }
                var skipped = 0
                while let current = cursor?.inode, current < key.inode {
                    if skipped == 16 {
                        cursor?.inode = try seek(key.filesystem, key.inode)
                        break
                    }
                    cursor?.inode = try statement.step() ? statement.int64(0) : nil
                    skipped += 1
                }
                guard cursor?.inode == key.inode else { continue }
                let status = statuses[key.index]
                guard statement.int64(1) == status.size, statement.int64(2) == status.modificationTime,
                    statement.int64(3) == status.changeTime
                else { continue }
                let headTail = Digest(
                    high: UInt64(bitPattern: statement.int64(4)), low: UInt64(bitPattern: statement.int64(5)))
                var full: Digest? = nil
                if !statement.isNull(6) && !statement.isNull(7) {
                    full = Digest(high: UInt64(bitPattern: statement.int64(6)), low: UInt64(bitPattern: statement.int64(7)))
                }
                let contentGroup: Int64? = full != nil && !statement.isNull(8) ? statement.int64(8) : nil
                results[key.index] = CachedDigests(headTail: headTail, full: full, contentGroup: contentGroup)
            }
            statement.reset()
            return results
        }
    }

    /// Remembers digests, in one write transaction; an inode already stored is replaced.
    ///
    /// When an entry has no full digest but the stored row has one for the same fingerprint and
    /// the same head/tail digest, the stored full digest (and content group) is kept.
    ///
    /// Each of `identicalGroups` lists files that were just compared byte for byte and found
    /// identical (with their full digests): they are stored in one content group, the one some of
    /// them already had (groups that this comparison joined are merged), or a new one. A file read
    /// in full and found unlike every other is a group of one.
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written (disk full, read-only,
    ///   locked by another process for more than ten seconds); nothing is stored then.
    @_spi(Stages) public func store(_ entries: [DigestEntry], identicalGroups: [[DigestEntry]] = []) throws(DupelinkError) {
        if entries.isEmpty && identicalGroups.isEmpty { return }
        let now = CatalogFile.now() / 1_000_000_000
        try write { db in
            let allEntries = entries + identicalGroups.joined()
            let rowIDs = try Self.filesystemRows(of: allEntries, in: db)
            let groupOfEntry = try Self.contentGroups(of: identicalGroups, rowIDs: rowIDs, in: db)
            let assigned = [Int64?](repeating: nil, count: entries.count) + groupOfEntry.map { Optional($0) }
            try Self.insert(allEntries, contentGroups: assigned, rowIDs: rowIDs, storedAt: now, in: db)
        }
    }

    /// The row id of each entry's filesystem, added where it is new.
    private static func filesystemRows(of entries: [DigestEntry], in db: Database) throws -> [FilesystemID: Int64] {
        var rowIDs: [FilesystemID: Int64] = [:]
        let insertFilesystem = try db.cachedStatement(
            sql: "INSERT INTO filesystem (identity) VALUES (?) ON CONFLICT (identity) DO UPDATE SET identity = excluded.identity RETURNING id"
        )
        for entry in entries where rowIDs[entry.filesystem] == nil {
            insertFilesystem.setUncheckedArguments([entry.filesystem.rawValue])
            guard let id = try Int64.fetchOne(insertFilesystem) else {
                throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no id for filesystem \(entry.filesystem)")
            }
            rowIDs[entry.filesystem] = id
        }
        return rowIDs
    }

    /// The content group of each entry of `identicalGroups`, group after group: the one some of
    /// its files already have (merging groups that this comparison found equal), or a new one.
    /// Decided inside the write transaction, so two processes never hand out the same number.
    private static func contentGroups(
        of identicalGroups: [[DigestEntry]], rowIDs: [FilesystemID: Int64], in db: Database
    ) throws -> [Int64] {
        let groupOf = RawStatement(
            try db.cachedStatement(
                sql: """
                    SELECT contentGroup FROM digest
                    WHERE filesystemId = ? AND inode = ? AND size = ? AND modificationTime = ? AND changeTime = ?
                      AND contentGroup IS NOT NULL
                    """))
        let merge = try db.cachedStatement(sql: "UPDATE digest SET contentGroup = ? WHERE contentGroup = ?")
        var nextGroup = (try Int64.fetchOne(db, sql: "SELECT max(contentGroup) FROM digest") ?? 0) + 1
        var groupOfEntry: [Int64] = []
        for group in identicalGroups {
            var existing = Set<Int64>()
            for entry in group {
                groupOf.bind(1, rowIDs[entry.filesystem] ?? 0)
                groupOf.bind(2, Int64(bitPattern: entry.inode))
                groupOf.bind(3, entry.size)
                groupOf.bind(4, entry.modificationTime)
                groupOf.bind(5, entry.changeTime)
                if try groupOf.step() { existing.insert(groupOf.int64(0)) }
                groupOf.reset()
            }
            let id: Int64
            if let smallest = existing.min() {
                id = smallest
            } else {
                id = nextGroup
                nextGroup += 1
            }
            for other in existing where other != id {
                merge.setUncheckedArguments([id, other])
                try merge.execute()
            }
            groupOfEntry.append(contentsOf: repeatElement(id, count: group.count))
        }
        return groupOfEntry
    }

    /// Inserts or updates one row per entry, in key order so the B-tree grows page by page
    /// instead of at random; a stored value absent from the new entry is kept only for the same
    /// file content.
    private static func insert(
        _ entries: [DigestEntry], contentGroups assigned: [Int64?], rowIDs: [FilesystemID: Int64], storedAt now: Int64,
        in db: Database
    ) throws {
        let sameFingerprint = """
            size = excluded.size AND modificationTime = excluded.modificationTime \
            AND changeTime = excluded.changeTime AND headTailHigh = excluded.headTailHigh \
            AND headTailLow = excluded.headTailLow
            """
        let statement = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO digest (filesystemId, inode, size, modificationTime, changeTime,
                                        headTailHigh, headTailLow, fullHigh, fullLow, storedAt, contentGroup)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (filesystemId, inode) DO UPDATE SET
                        fullHigh = CASE WHEN excluded.fullHigh IS NULL AND \(sameFingerprint)
                                   THEN fullHigh ELSE excluded.fullHigh END,
                        fullLow = CASE WHEN excluded.fullLow IS NULL AND \(sameFingerprint)
                                   THEN fullLow ELSE excluded.fullLow END,
                        contentGroup = CASE WHEN excluded.contentGroup IS NULL AND \(sameFingerprint)
                                   THEN contentGroup ELSE excluded.contentGroup END,
                        size = excluded.size,
                        modificationTime = excluded.modificationTime,
                        changeTime = excluded.changeTime,
                        headTailHigh = excluded.headTailHigh,
                        headTailLow = excluded.headTailLow,
                        storedAt = excluded.storedAt
                    """))
        var order: [(filesystem: Int64, inode: Int64, index: Int)] = []
        order.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            order.append((rowIDs[entry.filesystem] ?? 0, Int64(bitPattern: entry.inode), index))
        }
        order.sort { ($0.filesystem, $0.inode, $0.index) < ($1.filesystem, $1.inode, $1.index) }
        for key in order {
            let entry = entries[key.index]
            let full = entry.digests.full
            statement.bind(1, key.filesystem)
            statement.bind(2, Int64(bitPattern: entry.inode))
            statement.bind(3, entry.size)
            statement.bind(4, entry.modificationTime)
            statement.bind(5, entry.changeTime)
            statement.bind(6, Int64(bitPattern: entry.digests.headTail.high))
            statement.bind(7, Int64(bitPattern: entry.digests.headTail.low))
            statement.bind(8, full.map { Int64(bitPattern: $0.high) })
            statement.bind(9, full.map { Int64(bitPattern: $0.low) })
            statement.bind(10, now)
            statement.bind(11, assigned[key.index])
            try statement.execute()
        }
    }
}
