import GRDB

extension Catalog {
    /// Forgets the digests on the given filesystems that no walked file can use any more: rows
    /// for inodes not in `existing`, and rows whose fingerprint (size, modification time, change
    /// time) differs from the inode's current one. Returns the number of rows removed.
    ///
    /// Forgetting a digest is never unsafe, it only costs a read next time; but a row is removed
    /// for every inode of those filesystems that `existing` lacks, so pass the statuses of a walk
    /// that covered the whole of each filesystem in `filesystems`, or accept rehashing the files
    /// outside the roots. Devices of `existing` not resolved in `filesystems` are ignored.
    /// Touches the disk: writes the database, in one transaction.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written; nothing is removed then.
    @discardableResult
    package func pruneDigests(existing: [FileStatus], filesystems: FilesystemIdentities) throws(DupelinkError) -> Int {
        try write { db in
            let rowIDs = try Self.filesystemRowIDs(db, filesystems)
            if rowIDs.isEmpty { return 0 }
            try db.execute(
                sql: """
                    CREATE TEMP TABLE IF NOT EXISTS liveInode (
                        filesystemId INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                        modificationTime INTEGER NOT NULL, changeTime INTEGER NOT NULL,
                        PRIMARY KEY (filesystemId, inode)) WITHOUT ROWID;
                    DELETE FROM liveInode;
                    CREATE TEMP TABLE IF NOT EXISTS prunedFilesystem (id INTEGER PRIMARY KEY);
                    DELETE FROM prunedFilesystem;
                    """)
            let addFilesystem = try db.cachedStatement(sql: "INSERT OR IGNORE INTO prunedFilesystem (id) VALUES (?)")
            for id in Set(rowIDs.values) { try addFilesystem.execute(arguments: [id]) }
            let addInode = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO liveInode (filesystemId, inode, size, modificationTime, changeTime) VALUES (?, ?, ?, ?, ?)")
            for status in existing {
                guard let id = rowIDs[status.id.device] else { continue }
                addInode.setUncheckedArguments([
                    id, Int64(bitPattern: status.id.inode), status.size, status.modificationTime, status.changeTime,
                ])
                try addInode.execute()
            }
            try db.execute(
                sql: """
                    DELETE FROM digest
                    WHERE filesystemId IN (SELECT id FROM prunedFilesystem)
                      AND NOT EXISTS (
                          SELECT 1 FROM liveInode AS live
                          WHERE live.filesystemId = digest.filesystemId AND live.inode = digest.inode
                            AND live.size = digest.size AND live.modificationTime = digest.modificationTime
                            AND live.changeTime = digest.changeTime)
                    """)
            let removed = db.changesCount
            // Attributes are kept on the same terms as digests.
            try db.execute(
                sql: """
                    DELETE FROM inodeAttributes
                    WHERE filesystemId IN (SELECT id FROM prunedFilesystem)
                      AND NOT EXISTS (
                          SELECT 1 FROM liveInode AS live
                          WHERE live.filesystemId = inodeAttributes.filesystemId AND live.inode = inodeAttributes.inode
                            AND live.size = inodeAttributes.size
                            AND live.modificationTime = inodeAttributes.modificationTime
                            AND live.changeTime = inodeAttributes.changeTime)
                    """)
            try db.execute(sql: "DELETE FROM liveInode; DELETE FROM prunedFilesystem")
            return removed
        }
    }

    /// Forgets the digests stored (or last replaced) before `time`, in seconds since the epoch,
    /// and returns how many.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    @discardableResult
    package func pruneDigests(storedBefore time: Int64) throws(DupelinkError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM digest WHERE storedAt < ?", arguments: [time])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM inodeAttributes WHERE storedAt < ?", arguments: [time])
            try db.execute(
                sql: """
                    DELETE FROM filesystem
                    WHERE NOT EXISTS (SELECT 1 FROM digest WHERE filesystemId = filesystem.id)
                      AND NOT EXISTS (SELECT 1 FROM inodeAttributes WHERE filesystemId = filesystem.id)
                    """)
            return removed
        }
    }

    /// Closes the database; the write-ahead log is folded into it. The catalog cannot be used afterwards.
    ///
    /// Closing happens anyway when the catalog is released; calling this reports a failure.
    /// Touches the disk: writes the database file and removes the `-wal` and `-shm` files SQLite made.
    /// - Throws: `DupelinkError(.catalog)` when SQLite cannot close the database.
    package func close() throws(DupelinkError) {
        do {
            try queue.close()
        } catch {
            throw Self.catalogError(error, path: path, operation: "close the catalog")
        }
    }
}
