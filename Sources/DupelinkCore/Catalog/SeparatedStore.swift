import Foundation
import GRDB

/// A file `undo` or `split` made separate, which later `link` runs leave separate.
package struct SeparatedFile: Hashable, Sendable {
    /// Its inode, size and modification time when it was made.
    package var status: FileStatus
    /// Its path then, for messages.
    package var path: [UInt8]
    /// The run that made it.
    package var runID: Int64

    /// Creates a record.
    package init(status: FileStatus, path: [UInt8], runID: Int64) {
        self.status = status
        self.path = path
        self.runID = runID
    }
}

extension Catalog {
    /// Remembers files that `undo` or `split` separated; an inode already recorded is replaced.
    ///
    /// Touches the disk: resolves each device's filesystem once, writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    package func recordSeparated(_ files: [SeparatedFile]) throws(DupelinkError) {
        if files.isEmpty { return }
        var identities = FilesystemIdentities()
        let resolved = files.map { identities.resolve(device: $0.status.id.device, path: $0.path) }
        let now = CatalogFile.now()
        try write { db in
            let insertFilesystem = try db.cachedStatement(
                sql: "INSERT INTO filesystem (identity) VALUES (?) ON CONFLICT (identity) DO UPDATE SET identity = excluded.identity RETURNING id"
            )
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO separated (filesystemId, inode, size, modificationTime, path, runId, separatedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for (file, filesystem) in zip(files, resolved) {
                insertFilesystem.setUncheckedArguments([filesystem.rawValue])
                guard let id = try Int64.fetchOne(insertFilesystem) else { continue }
                insert.setUncheckedArguments([
                    id, Int64(bitPattern: file.status.id.inode), file.status.size, file.status.modificationTime,
                    Data(file.path), file.runID, now,
                ])
                try insert.execute()
            }
        }
    }

    /// The members of `scan` that `undo` or `split` separated (same inode, size and modification
    /// time as the copy they made), with the run that did.
    ///
    /// Touches the disk: resolves each device's filesystem once; reads the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    package func separatedMembers(of scan: ScanResult) throws(DupelinkError) -> [FileID: Int64] {
        let statuses = scan.classes.flatMap { $0.members.map(\.status) }
        if statuses.isEmpty { return [:] }
        // By the roots only: the other directories of a saved scan's rebuilt table are paths that
        // may lead elsewhere by now (a directory swapped for a symbolic link), and resolving opens
        // them. A device first met below a root is not looked up; the linker's checks remain.
        var identities = FilesystemIdentities()
        for (index, directory) in scan.table.directories.enumerated() where directory.parent < 0 {
            var path = scan.table.path(ofDirectory: Int32(index))
            if path.isEmpty { path = Array(".".utf8) }
            // A rebuilt root may not know its identity: ask the root itself, as the walk would.
            let cPath = path.cString
            guard let status = try? Syscalls.status(of: cPath, in: Syscalls.currentDirectory, followSymlinks: true)
            else { continue }
            identities.resolve(device: status.id.device, path: path)
        }
        return try read { db in
            let rowIDs = try Self.filesystemRowIDs(db, identities)
            guard !rowIDs.isEmpty, try Int.fetchOne(db, sql: "SELECT count(*) FROM separated") ?? 0 > 0 else { return [:] }
            let statement = try db.cachedStatement(
                sql: "SELECT runId FROM separated WHERE filesystemId = ? AND inode = ? AND size = ? AND modificationTime = ?")
            var found: [FileID: Int64] = [:]
            for status in statuses {
                guard let filesystem = rowIDs[status.id.device] else { continue }
                statement.setUncheckedArguments([
                    filesystem, Int64(bitPattern: status.id.inode), status.size, status.modificationTime,
                ])
                if let run = try Int64.fetchOne(statement) { found[status.id] = run }
            }
            return found
        }
    }

    /// Forgets every file `undo` and `split` separated, so later runs may link them again.
    /// Returns how many were forgotten.
    ///
    /// Touches the disk: writes the database.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be written.
    @discardableResult
    package func forgetSeparated() throws(DupelinkError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM separated")
            return db.changesCount
        }
    }

    /// How many separated files the catalog remembers.
    /// - Throws: `DupelinkError(.catalog)` when the database cannot be read.
    package func separatedCount() throws(DupelinkError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM separated") ?? 0 }
    }
}
