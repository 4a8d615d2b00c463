import Glibc
import SystemPackage

/// Opens the regular files that the walk found, for reading, and checks that each is still the
/// inode the walk saw.
///
/// A file is opened relative to its directory (`openat` with `O_NOFOLLOW`), and a worker keeps the
/// last directory open, so the kernel resolves a directory's path once for all the candidates in
/// it, not once per file. The directory is checked against the identity the walk recorded, and the
/// file's descriptor is `fstat`ed and must name the walked inode with the walked size and mtime:
/// whatever happened to the path in between, the bytes read are the bytes of the file listed.
struct FileOpener: Sendable {
    let table: PathTable
    let files: [FileRecord]

    /// Opens the file at `index` and returns its descriptor and current status.
    ///
    /// `directories` is the calling worker's cache of its last open directory.
    /// - Throws: `DupelinkError` with `.ioError` when it cannot be opened, `.directoryChanged` when
    ///   its directory is no longer the walked one, or `.fileChanged` when it is no longer the
    ///   walked inode or its size or mtime changed.
    func open(_ index: Int32, directories: DirectoryCache) throws(DupelinkError) -> (FileDescriptor, FileStatus) {
        let record = files[Int(index)]
        let descriptor: FileDescriptor
        do {
            if let directory = try directories.descriptor(for: record.directory, in: table) {
                descriptor = try table.withCName(start: record.nameStart) { (name) throws(Errno) -> FileDescriptor in
                    try Syscalls.openForReading(name, in: directory)
                }
            } else {
                // The first file asked for in this directory: one path lookup, as a directory
                // descriptor would cost; the directory is opened when a second file follows.
                let cPath = table.path(ofFile: record).map { CChar(bitPattern: $0) } + [0]
                descriptor = try Syscalls.openForReading(cPath, in: Syscalls.currentDirectory)
            }
        } catch let error as DupelinkError {
            throw error
        } catch let error as Errno {
            let path = table.path(ofFile: record)
            if error == .tooManySymbolicLinkLevels {
                throw DupelinkError(.fileChanged, path: path, detail: "now a symbolic link")
            }
            throw DupelinkError(.ioError, path: path, errno: error, operation: "open")
        } catch {
            throw DupelinkError(.ioError, path: table.path(ofFile: record), operation: "open")
        }
        let status: FileStatus
        do {
            status = try Syscalls.status(of: descriptor)
        } catch {
            Syscalls.closeQuietly(descriptor)
            throw DupelinkError(.ioError, path: table.path(ofFile: record), errno: error, operation: "stat")
        }
        let walked = record.status
        guard status.kind == .regular, status.id == walked.id, status.size == walked.size,
            status.modificationTime == walked.modificationTime
        else {
            Syscalls.closeQuietly(descriptor)
            throw DupelinkError(.fileChanged, path: table.path(ofFile: record), detail: "changed during the scan")
        }
        return (descriptor, status)
    }
}

/// A worker thread's last opened directory, kept open for the next files in it.
final class DirectoryCache {
    private var current: (index: Int32, descriptor: FileDescriptor)?
    private var lastAsked: Int32 = -1

    deinit { if let current { Syscalls.closeQuietly(current.descriptor) } }

    /// The open directory at `index` of `table`, or nil the first time in a row it is asked for
    /// (a lone file is cheaper to open by its path) when its path is short enough for that.
    ///
    /// The second time in a row, the directory is opened and kept until another is asked for.
    /// A directory whose path is short is opened in one call (the last component with
    /// `O_NOFOLLOW`, except for a root, which may be a symbolic link the user named); a longer one
    /// one component at a time. Its identity must be the one the walk recorded.
    /// - Throws: `DupelinkError` with `.directoryChanged` or `.ioError`.
    func descriptor(for index: Int32, in table: PathTable) throws(DupelinkError) -> FileDescriptor? {
        if let current, current.index == index { return current.descriptor }
        if let current { Syscalls.closeQuietly(current.descriptor) }
        current = nil
        let entry = table.directories[Int(index)]
        let path = table.path(ofDirectory: index)
        if lastAsked != index && path.count < Int(PATH_MAX) - 256 {
            lastAsked = index
            return nil
        }
        lastAsked = index
        let descriptor: FileDescriptor
        if path.count < Int(PATH_MAX) {
            let cPath = path.map { CChar(bitPattern: $0) } + [0]
            do {
                descriptor = try Syscalls.openDirectory(cPath, in: Syscalls.currentDirectory, followSymlinks: entry.parent < 0)
            } catch {
                if error == .tooManySymbolicLinkLevels || error == .notDirectory {
                    throw DupelinkError(.directoryChanged, path: path, errno: error)
                }
                throw DupelinkError(.ioError, path: path, errno: error, operation: "open directory")
            }
            let status: FileStatus
            do {
                status = try Syscalls.status(of: descriptor)
            } catch {
                Syscalls.closeQuietly(descriptor)
                throw DupelinkError(.ioError, path: path, errno: error, operation: "stat")
            }
            guard status.id == entry.id else {
                Syscalls.closeQuietly(descriptor)
                throw DupelinkError(.directoryChanged, path: path)
            }
        } else {
            descriptor = try DirectoryHandle.open(directory: index, in: table).release()
        }
        current = (index, descriptor)
        return descriptor
    }
}
