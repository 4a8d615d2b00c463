import Glibc
import SystemPackage

/// An open directory descriptor that closes itself when it goes out of scope.
public struct DirectoryHandle: ~Copyable {
    /// The descriptor; valid for the handle's lifetime.
    public let descriptor: FileDescriptor

    /// Takes ownership of an open directory descriptor.
    public init(owning descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    deinit {
        Syscalls.closeQuietly(descriptor)
    }

    /// Gives up ownership: returns the descriptor, which the caller must close.
    public consuming func release() -> FileDescriptor {
        let descriptor = self.descriptor
        discard self
        return descriptor
    }

    /// Opens every directory from the root down to `index`, one component at a time, refusing
    /// symbolic links below the root and checking each directory's identity against the walk.
    ///
    /// Touches the disk: opens directories, changes nothing.
    /// - Throws: `DupelinkError` with code `.directoryChanged` when a directory on the way is no
    ///   longer the one the walk entered (renamed, replaced, or swapped for a symbolic link), or
    ///   `.ioError` with the `Errno` of a failed open.
    public static func open(directory index: Int32, in table: PathTable) throws(DupelinkError) -> DirectoryHandle {
        let chain = table.chain(toDirectory: index)
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
            guard status.id == entry.id else {
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
