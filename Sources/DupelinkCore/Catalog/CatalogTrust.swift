import SystemPackage

/// Whether a catalog may be trusted: only when nobody but its user (or root) can change it, as
/// OpenSSH's StrictModes and sudo decide for the files they read.
///
/// The catalog decides what is read again and keeps the journal that `undo` and crash recovery
/// act on, so a catalog that another user can rewrite, or put in place by renaming folders above
/// it, could make a run read less, or undo and remove names it should not. Every folder from `/`
/// down to the catalog's, the catalog itself and the files beside it (`-wal`, `-shm`, `.lock`) are
/// checked before anything there is created, opened, written or locked.
package enum CatalogTrust {
    /// The files beside a catalog that SQLite and the lock create and open.
    static let siblingSuffixes = ["-wal", "-shm", ".lock"]

    /// Checks that only the running user (or root) can change the catalog at `path`, the files
    /// beside it, and every folder above it.
    ///
    /// Each existing folder on the path must be owned by the effective user or root and not be
    /// writable by group or others; a folder above the catalog's own that has the sticky bit
    /// (`/tmp`, mode 1777) may be, since the entries in it on the path must themselves pass. A
    /// symbolic link on the path must be owned by the user or root, and the folders it leads to are
    /// checked the same way. The catalog, when it is a regular file, and its `-wal`, `-shm` and lock
    /// files, when they exist, must be regular files with one name, owned by the user or root, not
    /// writable by group or others; the catalog must not be a symbolic link. Folders that do not
    /// exist yet are not checked: dupelink creates them, mode 0700.
    ///
    /// Touches the disk: reads metadata only (`lstat`, `realpath`); changes nothing.
    /// - Throws: `DupelinkError(.untrustedCatalog)` naming the catalog and what is wrong with which
    ///   path (owner uid and mode); `DupelinkError(.catalog)` when a folder on the path cannot be
    ///   examined.
    package static func verify(catalog path: [UInt8]) throws(DupelinkError) {
        let user = Syscalls.effectiveUserID
        let absolute = try absolutePath(path)
        let folders = ancestors(of: absolute)
        let walk = try checkFolders(folders, catalog: path, user: user, lastIsOwnFolder: true)
        if walk.sawSymbolicLink, let existing = walk.deepest {
            // The folders a symbolic link leads to are where the catalog really is.
            let real = try realPath(existing, catalog: path)
            _ = try checkFolders(
                ancestors(of: real) + [real], catalog: path, user: user, lastIsOwnFolder: existing == folders.last)
        }
        try checkFile(absolute, catalog: path, user: user, isCatalog: true)
        for suffix in siblingSuffixes {
            try checkFile(absolute + Array(suffix.utf8), catalog: path, user: user, isCatalog: false)
        }
    }

    // MARK: - Folders

    /// What a walk down the folders found.
    private struct Walk {
        /// The deepest folder that exists, or nil when none was checked.
        var deepest: [UInt8]?
        /// Whether a component was a symbolic link.
        var sawSymbolicLink = false
    }

    /// Checks each folder in `folders` (from `/` down; the last is the catalog's own folder when
    /// `lastIsOwnFolder`), stopping at the first that does not exist.
    private static func checkFolders(
        _ folders: [[UInt8]], catalog: [UInt8], user: UInt32, lastIsOwnFolder: Bool
    ) throws(DupelinkError) -> Walk {
        var walk = Walk()
        for (index, folder) in folders.enumerated() {
            let status: FileStatus
            do {
                status = try lstatus(folder)
            } catch .noSuchFileOrDirectory {
                break
            } catch {
                throw DupelinkError(
                    .catalog, path: folder, errno: error, operation: "check the folders above the catalog \(display(catalog))")
            }
            walk.deepest = folder
            let isOwnFolder = lastIsOwnFolder && index == folders.count - 1
            switch status.kind {
            case .symbolicLink:
                // Its target is not its own to judge; who may replace it is.
                if !isTrustedOwner(status, user: user) {
                    throw untrusted(catalog, folder, status, "a symbolic link on the path owned by another user")
                }
                walk.sawSymbolicLink = true
            case .directory:
                if !isTrustedOwner(status, user: user) {
                    throw untrusted(catalog, folder, status, "another user owns it")
                }
                if status.permissions & 0o022 != 0 {
                    let sticky = status.permissions & 0o1000 != 0  // S_ISVTX
                    if !sticky {
                        throw untrusted(catalog, folder, status, "group or others may write to it")
                    }
                    if isOwnFolder {
                        throw untrusted(
                            catalog, folder, status,
                            "others may create files in the catalog's own folder, where its -wal, -shm and lock files go; use a private folder inside it")
                    }
                }
            default:
                // Opening will say that it is not a folder.
                return walk
            }
        }
        return walk
    }

    // MARK: - Files

    /// Checks the catalog or one of the files beside it, when it exists.
    private static func checkFile(_ file: [UInt8], catalog: [UInt8], user: UInt32, isCatalog: Bool) throws(DupelinkError) {
        let status: FileStatus
        do {
            status = try lstatus(file)
        } catch .noSuchFileOrDirectory {
            return
        } catch .notDirectory {
            return
        } catch {
            throw DupelinkError(.catalog, path: file, errno: error, operation: "check the catalog \(display(catalog))")
        }
        if status.kind == .symbolicLink {
            throw untrusted(catalog, file, status, "it is a symbolic link, which dupelink does not follow here; name the file it points to")
        }
        if status.kind != .regular {
            // The catalog's own inspection says what it is; anything else beside it is refused.
            if isCatalog { return }
            throw untrusted(catalog, file, status, "it is not a regular file")
        }
        if !isTrustedOwner(status, user: user) {
            throw untrusted(catalog, file, status, "another user owns it")
        }
        if status.permissions & 0o022 != 0 {
            throw untrusted(catalog, file, status, "group or others may write to it")
        }
        if status.linkCount != 1 {
            throw untrusted(catalog, file, status, "it has \(status.linkCount) names, so it can be changed through another")
        }
    }

    // MARK: - Helpers

    private static func isTrustedOwner(_ status: FileStatus, user: UInt32) -> Bool {
        status.userID == user || status.userID == 0
    }

    private static func untrusted(_ catalog: [UInt8], _ path: [UInt8], _ status: FileStatus, _ reason: String) -> DupelinkError {
        let mode = String(status.permissions, radix: 8)
        let shownMode = String(repeating: "0", count: max(0, 4 - mode.count)) + mode
        return DupelinkError(
            .untrustedCatalog, path: catalog,
            detail: "\(display(path)) is owned by uid \(status.userID) and mode \(shownMode) (\(reason)); "
                + "a catalog must be changeable only by you (or root)")
    }

    private static func display(_ path: [UInt8]) -> String { PathText.display(path) }

    /// `path` made absolute against the working directory.
    private static func absolutePath(_ path: [UInt8]) throws(DupelinkError) -> [UInt8] {
        if path.first == UInt8(ascii: "/") { return path }
        var base: [UInt8]
        do {
            base = try Syscalls.workingDirectory()
        } catch {
            throw DupelinkError(.catalog, path: path, errno: error, operation: "find the working directory to check the catalog")
        }
        if base.last != UInt8(ascii: "/") { base.append(UInt8(ascii: "/")) }
        return base + path
    }

    /// The folders above the absolute `path`, from `/` down to the one holding its last component.
    static func ancestors(of path: [UInt8]) -> [[UInt8]] {
        let components = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).dropLast()
        var result: [[UInt8]] = [[UInt8(ascii: "/")]]
        var current: [UInt8] = []
        for component in components {
            current += [UInt8(ascii: "/")] + component
            result.append(current)
        }
        return result
    }

    private static func realPath(_ path: [UInt8], catalog: [UInt8]) throws(DupelinkError) -> [UInt8] {
        do {
            return try Syscalls.resolvedPath(of: path)
        } catch {
            throw DupelinkError(
                .catalog, path: path, errno: error, operation: "resolve the folders above the catalog \(display(catalog))")
        }
    }

    private static func lstatus(_ path: [UInt8]) throws(Errno) -> FileStatus {
        let result = CatalogFile.withCPath(path) { name in
            Result { () throws(Errno) -> FileStatus in try Syscalls.status(of: name, in: Syscalls.currentDirectory) }
        }
        return try result.get()
    }
}
