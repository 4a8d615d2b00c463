import GRDB

/// What `dupelink catalog` shows about the catalog.
package struct CatalogInfo: Hashable, Sendable {
    /// The database file, or empty for an in-memory catalog.
    package var path: [UInt8]
    /// The size on disk of the database and its write-ahead log, in bytes.
    package var fileSize: Int64
    /// The number of inodes whose digests are remembered.
    package var digestCount: Int
    /// The number of filesystems those inodes live on.
    package var filesystemCount: Int
    /// The number of saved scans.
    package var scanCount: Int
    /// When the latest saved scan started, in nanoseconds since the epoch, or nil when none was saved.
    package var lastScanStartedAt: Int64?
    /// The files `undo` and `split` separated, which links keep separate.
    package var keptSeparateCount = 0

    /// Creates an info record.
    package init(
        path: [UInt8], fileSize: Int64, digestCount: Int, filesystemCount: Int, scanCount: Int,
        lastScanStartedAt: Int64?
    ) {
        self.path = path
        self.fileSize = fileSize
        self.digestCount = digestCount
        self.filesystemCount = filesystemCount
        self.scanCount = scanCount
        self.lastScanStartedAt = lastScanStartedAt
    }
}

extension Catalog {
    /// Counts what the catalog holds.
    ///
    /// Touches the disk: reads the database and the sizes of its files.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    package func info() throws(DupelinkError) -> CatalogInfo {
        let fileSize = path.isEmpty ? 0 : CatalogFile.size(path) + CatalogFile.size(path + Array("-wal".utf8))
        return try read { db in
            var info = CatalogInfo(
                path: path, fileSize: fileSize,
                digestCount: try Int.fetchOne(db, sql: "SELECT count(*) FROM digest") ?? 0,
                filesystemCount: try Int.fetchOne(db, sql: "SELECT count(*) FROM filesystem") ?? 0,
                scanCount: try Int.fetchOne(db, sql: "SELECT count(*) FROM scan") ?? 0,
                lastScanStartedAt: try Int64.fetchOne(db, sql: "SELECT startedAt FROM scan ORDER BY id DESC LIMIT 1"))
            info.keptSeparateCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM separated") ?? 0
            return info
        }
    }
}
