import Foundation
import GRDB

extension Catalog {
    /// Saves a scan: its roots, counters, classes, and every member name with its directory's
    /// identity and its inode's fingerprint, in one write transaction.
    ///
    /// A scan that found exactly what the newest saved scan found (the same roots in the same
    /// order, and the same classes, members and names with every field the catalog keeps; see
    /// `ScanFingerprint`) is not saved again: that scan gets this one's start and save times and
    /// counters, and keeps its number. Only the newest is compared, so numbers still follow time.
    ///
    /// Touches the disk: writes the database.
    /// - Parameters:
    ///   - scan: what the scan found, and the roots as given on the command line.
    ///   - startedAt: when the scan started, in nanoseconds since the epoch.
    /// - Returns: the scan's number, for `loadScan(id:)`: a new one, or the newest scan's when it
    ///   was updated.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; nothing is saved then.
    @discardableResult
    public func saveScan(_ scan: ScanResult, startedAt: Int64) throws(DupelinkError) -> Int64 {
        let statistics: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            statistics = String(decoding: try encoder.encode(scan.statistics), as: UTF8.self)
        } catch {
            throw DupelinkError(.catalog, path: path, operation: "save the scan", detail: "its statistics cannot be encoded: \(error)")
        }
        let fingerprint = ScanFingerprint(scan).bytes
        // A scan with warnings left files out: its classes are not the whole walk's.
        let walkFingerprint = scan.diagnostics.isEmpty ? scan.walkFingerprint?.storedForm : nil
        let classIndex = walkFingerprint == nil ? nil : UnchangedWalk.index(of: scan.classes)
        let savedAt = CatalogFile.now()
        return try write { db in
            let newest = try Row.fetchOne(db, sql: "SELECT id, fingerprint FROM scan ORDER BY id DESC LIMIT 1")
            if let newest, let newestFingerprint: Data = newest[1], newestFingerprint == fingerprint {
                let scanID: Int64 = newest[0]
                try db.execute(
                    sql: """
                        UPDATE scan SET startedAt = ?, savedAt = ?, statistics = ?, walkFingerprint = ?, classIndex = ?
                        WHERE id = ?
                        """,
                    arguments: [startedAt, savedAt, statistics, walkFingerprint, classIndex, scanID])
                return scanID
            }
            try db.execute(
                sql: """
                    INSERT INTO scan (startedAt, savedAt, statistics, fingerprint, walkFingerprint, classIndex)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [startedAt, savedAt, statistics, fingerprint, walkFingerprint, classIndex])
            let scanID = db.lastInsertedRowID
            let insertRoot = try db.cachedStatement(sql: "INSERT INTO scanRoot (scanId, position, path) VALUES (?, ?, ?)")
            for (position, root) in scan.roots.enumerated() {
                try insertRoot.execute(arguments: [scanID, position, Data(root)])
            }
            try Self.insertClasses(of: scan, scanID: scanID, in: db)
            return scanID
        }
    }

    /// The classes and counters of the newest saved scan when it was made from a walk with this
    /// fingerprint (see `UnchangedWalk`), or nil.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    func unchangedScan(walkFingerprint: Digest) throws(DupelinkError) -> (classIndex: Data, statistics: ScanStatistics)? {
        let wanted = walkFingerprint.storedForm
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT walkFingerprint, classIndex, statistics FROM scan ORDER BY id DESC LIMIT 1")
        }
        guard let row, let found: Data = row[0], found == wanted, let index: Data = row[1], let text: String = row[2],
            let statistics = try? JSONDecoder().decode(ScanStatistics.self, from: Data(text.utf8))
        else { return nil }
        return (index, statistics)
    }

    /// Loads a saved scan.
    ///
    /// - Throws: `DupelinkError(.invalidInput)` when the catalog has no scan `id`;
    ///   `DupelinkError(.catalog)` when the database cannot be read or the row is unreadable.
    public func loadScan(id: Int64) throws(DupelinkError) -> SavedScan {
        let loaded: SavedScan? = try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT startedAt, savedAt, statistics FROM scan WHERE id = ?", arguments: [id])
            else { return nil }
            let statisticsText: String = row[2]
            let statistics = try JSONDecoder().decode(ScanStatistics.self, from: Data(statisticsText.utf8))
            let roots = try Self.roots(db, scanID: id)

            var classes: [SavedClass] = []
            let classRows = try Row.fetchCursor(
                db, sql: "SELECT size, digestHigh, digestLow FROM duplicateClass WHERE scanId = ? ORDER BY position",
                arguments: [id])
            while let row = try classRows.next() {
                var digest: Digest? = nil
                if let high: Int64 = row[1], let low: Int64 = row[2] {
                    digest = Digest(high: UInt64(bitPattern: high), low: UInt64(bitPattern: low))
                }
                classes.append(SavedClass(size: row[0], digest: digest, members: []))
            }
            try Self.loadMembers(into: &classes, scanID: id, in: db)
            try Self.loadNames(into: &classes, scanID: id, in: db)
            return SavedScan(
                id: id, startedAt: row[0], savedAt: row[1], roots: roots, statistics: statistics, classes: classes)
        }
        guard let loaded else {
            throw DupelinkError(
                .invalidInput, path: path, operation: "load scan \(id)",
                detail: "the catalog has no scan \(id); list the saved scans to find one")
        }
        return loaded
    }

    /// Saves the classes of `scan` as scan `scanID`: each class, its members with their status,
    /// attributes and shared extents, and every name with its directory's identity.
    private static func insertClasses(of scan: ScanResult, scanID: Int64, in db: Database) throws {
        let insertClass = try db.cachedStatement(
            sql: "INSERT INTO duplicateClass (scanId, position, size, digestHigh, digestLow) VALUES (?, ?, ?, ?, ?)")
        let insertMember = try db.cachedStatement(
            sql: """
                INSERT INTO member (scanId, classPosition, position, device, inode, mode, linkCount, userID,
                                    groupID, size, blocks, modificationTime, changeTime, attributes,
                                    attributesProblem, sharedExtents)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let insertName = try db.cachedStatement(
            sql: """
                INSERT INTO memberName (scanId, classPosition, memberPosition, position, path,
                                        directoryDevice, directoryInode)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for (classPosition, duplicateClass) in scan.classes.enumerated() {
            insertClass.setUncheckedArguments([
                scanID, classPosition, duplicateClass.size,
                duplicateClass.digest.map { Int64(bitPattern: $0.high) },
                duplicateClass.digest.map { Int64(bitPattern: $0.low) },
            ])
            try insertClass.execute()
            for (memberPosition, member) in duplicateClass.members.enumerated() {
                let status = member.status
                var encoded: Data? = nil
                var problem: String? = nil
                switch member.attributes {
                case .unknown, .digest: break
                case .read(let attributes): encoded = Data(attributes.encoded)
                case .unreadable(let why): problem = why
                }
                insertMember.setUncheckedArguments([
                    scanID, classPosition, memberPosition,
                    Int64(bitPattern: status.id.device), Int64(bitPattern: status.id.inode),
                    Int64(status.mode), Int64(bitPattern: status.linkCount),
                    Int64(status.userID), Int64(status.groupID),
                    status.size, status.blocks, status.modificationTime, status.changeTime, encoded, problem,
                    member.sharedExtents.map { Data($0.encoded) },
                ])
                try insertMember.execute()
                for (namePosition, file) in member.names.enumerated() {
                    let record = scan.files[Int(file)]
                    let directory = scan.table.directories[Int(record.directory)].id
                    insertName.setUncheckedArguments([
                        scanID, classPosition, memberPosition, namePosition,
                        Data(scan.path(ofFile: file)),
                        Int64(bitPattern: directory.device), Int64(bitPattern: directory.inode),
                    ])
                    try insertName.execute()
                }
            }
        }
    }

    /// Adds the saved members of scan `scanID` to its `classes`, in order.
    private static func loadMembers(into classes: inout [SavedClass], scanID: Int64, in db: Database) throws {
        let memberRows = try Row.fetchCursor(
            db,
            sql: """
                SELECT classPosition, position, device, inode, mode, linkCount, userID, groupID, size, blocks,
                       modificationTime, changeTime, attributes, attributesProblem, sharedExtents
                FROM member WHERE scanId = ? ORDER BY classPosition, position
                """, arguments: [scanID])
        while let row = try memberRows.next() {
            let classPosition: Int = row[0]
            let position: Int = row[1]
            let status = FileStatus(
                id: FileID(device: UInt64(bitPattern: row[2]), inode: UInt64(bitPattern: row[3])),
                mode: UInt32(truncatingIfNeeded: row[4] as Int64),
                linkCount: UInt64(bitPattern: row[5]),
                userID: UInt32(truncatingIfNeeded: row[6] as Int64),
                groupID: UInt32(truncatingIfNeeded: row[7] as Int64),
                size: row[8], blocks: row[9], modificationTime: row[10], changeTime: row[11])
            guard classes.indices.contains(classPosition), classes[classPosition].members.count == position else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "scan \(scanID): member rows out of order")
            }
            var attributes = AttributeState.unknown
            if let encoded: Data = row[12] {
                guard let decoded = FileAttributes(encoded: Array(encoded)) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "scan \(scanID): unreadable member attributes")
                }
                attributes = .read(decoded)
            } else if let problem: String = row[13] {
                attributes = .unreadable(problem)
            }
            var sharedExtents: SharedExtents? = nil
            if let encoded: Data = row[14] {
                guard let decoded = SharedExtents(encoded: Array(encoded)) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "scan \(scanID): unreadable member extents")
                }
                sharedExtents = decoded
            }
            classes[classPosition].members.append(
                SavedMember(status: status, names: [], attributes: attributes, sharedExtents: sharedExtents))
        }
    }

    /// Adds the saved names of scan `scanID` to the members of its `classes`, in order.
    private static func loadNames(into classes: inout [SavedClass], scanID: Int64, in db: Database) throws {
        let nameRows = try Row.fetchCursor(
            db,
            sql: """
                SELECT classPosition, memberPosition, position, path, directoryDevice, directoryInode
                FROM memberName WHERE scanId = ? ORDER BY classPosition, memberPosition, position
                """, arguments: [scanID])
        while let row = try nameRows.next() {
            let classPosition: Int = row[0]
            let memberPosition: Int = row[1]
            let position: Int = row[2]
            let path: Data = row[3]
            let directory = FileID(device: UInt64(bitPattern: row[4]), inode: UInt64(bitPattern: row[5]))
            guard classes.indices.contains(classPosition),
                classes[classPosition].members.indices.contains(memberPosition),
                classes[classPosition].members[memberPosition].names.count == position
            else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "scan \(scanID): name rows out of order")
            }
            classes[classPosition].members[memberPosition].names.append(SavedName(path: Array(path), directory: directory))
        }
    }

    /// The number of the most recently saved scan, or nil when none was saved.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func latestScanID() throws(DupelinkError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM scan") }
    }

    /// Every saved scan, oldest first, with its roots and sizes.
    ///
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    public func listScans() throws(DupelinkError) -> [ScanSummary] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, startedAt, savedAt,
                           (SELECT count(*) FROM duplicateClass WHERE scanId = scan.id),
                           (SELECT count(*) FROM memberName WHERE scanId = scan.id),
                           reclaimableBytes
                    FROM scan ORDER BY id
                    """)
            return try rows.map { row in
                let id: Int64 = row[0]
                var summary = ScanSummary(
                    id: id, startedAt: row[1], savedAt: row[2], roots: try Self.roots(db, scanID: id),
                    classCount: row[3], nameCount: row[4])
                summary.reclaimableBytes = row[5]
                return summary
            }
        }
    }

    /// Records the bytes a saved scan's report called reclaimable, for `listScans()`.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    public func recordReclaimableBytes(_ bytes: Int64, ofScan id: Int64) throws(DupelinkError) {
        try write { db in
            try db.execute(sql: "UPDATE scan SET reclaimableBytes = ? WHERE id = ?", arguments: [bytes, id])
        }
    }

    /// Forgets a saved scan. Returns whether there was one.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    @discardableResult
    public func deleteScan(id: Int64) throws(DupelinkError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM scan WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Forgets every saved scan but the `count` most recent ones (a timer that scans daily would
    /// otherwise grow the catalog without end). Returns how many were removed.
    ///
    /// Touches the disk: writes the database, in one transaction.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; nothing is removed then.
    @discardableResult
    public func deleteScans(keepingLatest count: Int) throws(DupelinkError) -> Int {
        try write { db in
            try db.execute(
                sql: "DELETE FROM scan WHERE id NOT IN (SELECT id FROM scan ORDER BY id DESC LIMIT ?)",
                arguments: [max(0, count)])
            return db.changesCount
        }
    }

    private static func roots(_ db: Database, scanID: Int64) throws -> [[UInt8]] {
        try Data.fetchAll(db, sql: "SELECT path FROM scanRoot WHERE scanId = ? ORDER BY position", arguments: [scanID])
            .map { Array($0) }
    }
}
