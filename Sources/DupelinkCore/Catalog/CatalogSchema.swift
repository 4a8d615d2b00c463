import GRDB

/// The catalog's tables, one migration per schema version.
///
/// Tables are singular and camelCase, every column is `NOT NULL` unless its absence means
/// something, and primary keys are identities: (filesystem, inode) for a digest, (scan, position)
/// for what a scan found. Paths are BLOBs because names need not be UTF-8; 64-bit unsigned values
/// (inode and device numbers, digest halves) are stored as the `Int64` with the same bits.
enum CatalogSchema {
    /// Written to the SQLite header (`PRAGMA application_id`) so a dupelink catalog can be told
    /// from any other SQLite file before SQLite is asked to open it: "dupe".
    static let applicationID: UInt32 = 0x6475_7065

    /// The migrations, oldest first. A catalog that has applied a migration not listed here was
    /// written by a newer dupelink and is refused.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(Int32(bitPattern: applicationID))")
            try db.execute(sql: "PRAGMA user_version = 1")

            // A filesystem identity (`FilesystemID.rawValue`) gets a small integer, so the digest
            // rows do not repeat a 40-byte string each.
            try db.execute(
                sql: """
                    CREATE TABLE filesystem (
                        id INTEGER PRIMARY KEY,
                        identity TEXT NOT NULL UNIQUE
                    );
                    CREATE TABLE digest (
                        filesystemId INTEGER NOT NULL REFERENCES filesystem(id) ON DELETE CASCADE,
                        inode INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        modificationTime INTEGER NOT NULL,
                        changeTime INTEGER NOT NULL,
                        headTailHigh INTEGER NOT NULL,
                        headTailLow INTEGER NOT NULL,
                        fullHigh INTEGER,
                        fullLow INTEGER,
                        storedAt INTEGER NOT NULL,
                        PRIMARY KEY (filesystemId, inode),
                        CHECK ((fullHigh IS NULL) = (fullLow IS NULL))
                    ) WITHOUT ROWID;
                    CREATE TABLE scan (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        startedAt INTEGER NOT NULL,
                        savedAt INTEGER NOT NULL,
                        statistics TEXT NOT NULL
                    );
                    CREATE TABLE scanRoot (
                        scanId INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        path BLOB NOT NULL,
                        PRIMARY KEY (scanId, position)
                    ) WITHOUT ROWID;
                    CREATE TABLE duplicateClass (
                        scanId INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        digestHigh INTEGER,
                        digestLow INTEGER,
                        PRIMARY KEY (scanId, position),
                        CHECK ((digestHigh IS NULL) = (digestLow IS NULL))
                    ) WITHOUT ROWID;
                    CREATE TABLE member (
                        scanId INTEGER NOT NULL,
                        classPosition INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        mode INTEGER NOT NULL,
                        linkCount INTEGER NOT NULL,
                        userID INTEGER NOT NULL,
                        groupID INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        blocks INTEGER NOT NULL,
                        modificationTime INTEGER NOT NULL,
                        changeTime INTEGER NOT NULL,
                        PRIMARY KEY (scanId, classPosition, position),
                        FOREIGN KEY (scanId, classPosition)
                            REFERENCES duplicateClass(scanId, position) ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    CREATE TABLE memberName (
                        scanId INTEGER NOT NULL,
                        classPosition INTEGER NOT NULL,
                        memberPosition INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        path BLOB NOT NULL,
                        directoryDevice INTEGER NOT NULL,
                        directoryInode INTEGER NOT NULL,
                        PRIMARY KEY (scanId, classPosition, memberPosition, position),
                        FOREIGN KEY (scanId, classPosition, memberPosition)
                            REFERENCES member(scanId, classPosition, position) ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-journal") { db in
            try JournalSchema.create(db)
        }
        // Content groups: rows with one `contentGroup` hold files that were compared byte for byte
        // and found identical (while their fingerprints still match), so a rescan can trust their
        // equality without reading them. Equal full digests alone never make files equal.
        migrator.registerMigration("v4-content-groups") { db in
            try db.execute(sql: "ALTER TABLE digest ADD COLUMN contentGroup INTEGER")
            try db.execute(
                sql: "CREATE INDEX digestContentGroup ON digest(contentGroup) WHERE contentGroup IS NOT NULL")
        }
        // A scan's fingerprint (`ScanFingerprint`, 16 bytes): a rescan that finds exactly what the
        // newest scan found updates that scan instead of saving every row again. NULL for scans
        // saved before, which therefore never match.
        migrator.registerMigration("v5-scan-fingerprint") { db in
            try db.execute(sql: "ALTER TABLE scan ADD COLUMN fingerprint BLOB")
        }
        // What lets a rescan of an unchanged tree skip every stage after the walk (`UnchangedWalk`):
        // the fingerprint of the walk that found the scan's classes, and the classes as indices into
        // that walk's files. Both NULL for a scan that had warnings.
        migrator.registerMigration("v6-unchanged-walk") { db in
            try db.execute(sql: "ALTER TABLE scan ADD COLUMN walkFingerprint BLOB")
            try db.execute(sql: "ALTER TABLE scan ADD COLUMN classIndex BLOB")
        }
        // Extended attributes and inode flags (`FileAttributes.encoded`): each saved member's, and
        // each inode's for as long as its size, mtime and ctime are unchanged (setting an attribute
        // or a flag changes the ctime), so a rescan reads them only for files that changed.
        // `attributesProblem` says why a member's could not be read; both NULL for members saved
        // before dupelink read them. A link entry keeps the replaced inode's, for `undo`. (And a
        // journaled run's exit status, so `history` shows a run that failed as failed, and each
        // scan's reclaimable bytes as it printed them, for `report --list`; and the copies `undo` and
        // `split` made, by inode, size and mtime, which later `link` runs keep separate.)
        migrator.registerMigration("v7-attributes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE member ADD COLUMN attributes BLOB;
                    ALTER TABLE member ADD COLUMN attributesProblem TEXT;
                    ALTER TABLE journalEntry ADD COLUMN beforeAttributes BLOB;
                    ALTER TABLE journalRun ADD COLUMN exitStatus INTEGER;
                    ALTER TABLE scan ADD COLUMN reclaimableBytes INTEGER;
                    CREATE TABLE separated (
                        filesystemId INTEGER NOT NULL REFERENCES filesystem(id) ON DELETE CASCADE,
                        inode INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        modificationTime INTEGER NOT NULL,
                        path BLOB NOT NULL,
                        runId INTEGER NOT NULL,
                        separatedAt INTEGER NOT NULL,
                        PRIMARY KEY (filesystemId, inode)
                    ) WITHOUT ROWID;
                    CREATE TABLE inodeAttributes (
                        filesystemId INTEGER NOT NULL REFERENCES filesystem(id) ON DELETE CASCADE,
                        inode INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        modificationTime INTEGER NOT NULL,
                        changeTime INTEGER NOT NULL,
                        encoded BLOB NOT NULL,
                        storedAt INTEGER NOT NULL,
                        PRIMARY KEY (filesystemId, inode)
                    ) WITHOUT ROWID;
                    """)
        }
        // The physical ranges each saved member shares (`SharedExtents.encoded`), so that a saved
        // scan's report and plan count the bytes already shared as the scan did; NULL where they
        // were not mapped (ext4, tmpfs, a member alone on its filesystem, a scan saved before).
        migrator.registerMigration("v8-shared-extents") { db in
            try db.execute(sql: "ALTER TABLE member ADD COLUMN sharedExtents BLOB")
        }
        return migrator
    }
}
