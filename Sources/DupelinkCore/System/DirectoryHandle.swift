import Glibc
import SystemPackage

/// An open directory descriptor that closes itself when it goes out of scope.
package struct DirectoryHandle: ~Copyable {
    /// The descriptor; valid for the handle's lifetime.
    package let descriptor: FileDescriptor

    /// Takes ownership of an open directory descriptor.
    package init(owning descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    deinit {
        Syscalls.closeQuietly(descriptor)
    }

    /// Gives up ownership: returns the descriptor, which the caller must close.
    package consuming func release() -> FileDescriptor {
        let descriptor = self.descriptor
        discard self
        return descriptor
    }

    /// Opens every directory from the root down to `index`, one component at a time, refusing
    /// symbolic links below the root and checking each directory's identity against the walk.
    ///
    /// A table rebuilt from a saved scan (`SavedScan.scanResult()`) does not know the identities of
    /// the directories between a root and a file's own directory: they are stored as
    /// `FileID.unverifiedDirectory` and opened without an identity check. The directory that is
    /// returned (`index`, the one the linker works in) must always have a known identity, and it is
    /// always checked. This is as safe as checking every step:
    ///
    /// - Every component below the root is opened with `O_NOFOLLOW | O_DIRECTORY` relative to the
    ///   descriptor of the one above, and the rebuilt table holds no `.`, `..` or empty component;
    ///   so no symbolic link is ever followed, and each directory opened is a child of the one
    ///   before it: the walk down never leaves the tree below the root.
    /// - A directory has exactly one parent (Linux allows no hard links to directories), so a
    ///   directory reached that way whose identity (device and inode) equals the one the scan
    ///   recorded *is* the directory that was scanned, and it lies below the root. Whatever
    ///   happened to the unverified directories above it (renamed, replaced by another real
    ///   directory) cannot make another directory pass; a symbolic link put in their place makes
    ///   the open fail with `ELOOP` or `ENOTDIR`, reported as `.directoryChanged`.
    /// - The linker then checks each file in that directory against its own fingerprint (inode,
    ///   size, mtime, ctime) before it changes a name; only a name of the compared inode, in the
    ///   scanned directory, is ever replaced.
    /// - A root is opened as the walk opened it (a symbolic link the user named as a root is
    ///   followed, nothing below it is). Its identity is checked whenever the saved scan knows it
    ///   (a saved name directly in the root gives it); when it does not, the checks above still
    ///   hold: the directory returned is the scanned one, reached without following a link.
    ///
    /// Touches the disk: opens directories, changes nothing.
    /// - Throws: `DupelinkError` with code `.directoryChanged` when a directory on the way is no
    ///   longer the one the walk entered (renamed, replaced, or swapped for a symbolic link), or
    ///   when the directory asked for has no known identity; `.ioError` with the `Errno` of a
    ///   failed open.
    package static func open(directory index: Int32, in table: PathTable) throws(DupelinkError) -> DirectoryHandle {
        let chain = table.chain(toDirectory: index)
        guard table.directories.indices.contains(Int(index)), table.directories[Int(index)].id != .unverifiedDirectory
        else {
            throw DupelinkError(
                .directoryChanged, path: table.path(ofDirectory: index),
                detail: "its identity is not known, so it cannot be checked")
        }
        var current: DirectoryHandle? = nil
        for (position, node) in chain.enumerated() {
            let entry = table.directories[Int(node)]
            let parent = current?.descriptor ?? Syscalls.currentDirectory
            let opened: FileDescriptor
            do {
                opened = try table.withCName(start: entry.nameStart) { name throws(Errno) in
                    try Syscalls.openDirectory(name, in: parent, followSymlinks: position == 0)
                }
            } catch {
                let path = table.path(ofDirectory: node)
                if error == .tooManySymbolicLinkLevels || error == .notDirectory {
                    throw DupelinkError(.directoryChanged, path: path, errno: error)
                }
                throw DupelinkError(.ioError, path: path, errno: error, operation: "open directory")
            }
            let next = DirectoryHandle(owning: opened)
            let status: FileStatus
            do {
                status = try Syscalls.status(of: next.descriptor)
            } catch {
                throw DupelinkError(.ioError, path: table.path(ofDirectory: node), errno: error, operation: "stat")
            }
            guard status.id == entry.id || entry.id == .unverifiedDirectory else {
                throw DupelinkError(.directoryChanged, path: table.path(ofDirectory: node))
            }
            current = consume next
        }
        guard let result = current else {
            throw DupelinkError(.directoryChanged, path: table.path(ofDirectory: index))
        }
        return result
    }
}

extension FileID {
    /// The identity recorded for a directory whose identity is not known: one between a root and a
    /// file's own directory in a table rebuilt from a saved scan. `DirectoryHandle.open` opens such
    /// a directory without following symbolic links but without an identity check, and never
    /// returns one. No real directory has it: Linux never gives out inode 0.
    package static let unverifiedDirectory = FileID(device: .max, inode: 0)
}
