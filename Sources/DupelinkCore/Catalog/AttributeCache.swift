import Foundation
import GRDB

extension Catalog {
    /// Looks up the stored attributes of many inodes at once, in one read transaction.
    ///
    /// A stored set is returned only while the inode's size, modification time and change time
    /// equal the ones it was read with. Setting or removing an extended attribute, an ACL, a
    /// capability or an inode flag changes the change time, so an equal fingerprint means the same
    /// attributes; anything else gives nil, and the file's attributes are read.
    /// - Returns: one element per status, in order.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    func cachedAttributes(
        for statuses: [FileStatus], filesystems: FilesystemIdentities
    ) throws(DupelinkError) -> [FileAttributes?] {
        if statuses.isEmpty { return [] }
        return try read { db in
            let rowIDs = try Self.filesystemRowIDs(db, filesystems)
            let statement = try db.cachedStatement(
                sql: """
                    SELECT encoded FROM inodeAttributes
                    WHERE filesystemId = ? AND inode = ? AND size = ? AND modificationTime = ? AND changeTime = ?
                    """)
            return try statuses.map { status -> FileAttributes? in
                guard let filesystem = rowIDs[status.id.device] else { return nil }
                statement.setUncheckedArguments([
                    filesystem, Int64(bitPattern: status.id.inode), status.size, status.modificationTime,
                    status.changeTime,
                ])
                guard let encoded = try Data.fetchOne(statement) else { return nil }
                return FileAttributes(encoded: Array(encoded))
            }
        }
    }

    /// Remembers the attributes read for these inodes, in one write transaction; an inode already
    /// stored is replaced.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; nothing is stored then.
    func storeAttributes(
        _ entries: [(filesystem: FilesystemID, status: FileStatus, attributes: FileAttributes)]
    ) throws(DupelinkError) {
        if entries.isEmpty { return }
        let now = CatalogFile.now() / 1_000_000_000
        try write { db in
            var rowIDs: [FilesystemID: Int64] = [:]
            let insertFilesystem = try db.cachedStatement(
                sql: "INSERT INTO filesystem (identity) VALUES (?) ON CONFLICT (identity) DO UPDATE SET identity = excluded.identity RETURNING id"
            )
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO inodeAttributes
                        (filesystemId, inode, size, modificationTime, changeTime, encoded, storedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for entry in entries {
                let filesystemID: Int64
                if let known = rowIDs[entry.filesystem] {
                    filesystemID = known
                } else {
                    insertFilesystem.setUncheckedArguments([entry.filesystem.rawValue])
                    guard let id = try Int64.fetchOne(insertFilesystem) else {
                        throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no id for filesystem \(entry.filesystem)")
                    }
                    rowIDs[entry.filesystem] = id
                    filesystemID = id
                }
                insert.setUncheckedArguments([
                    filesystemID, Int64(bitPattern: entry.status.id.inode), entry.status.size,
                    entry.status.modificationTime, entry.status.changeTime, Data(entry.attributes.encoded), now,
                ])
                try insert.execute()
            }
        }
    }
}
