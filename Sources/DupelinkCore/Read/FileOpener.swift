import SystemPackage

/// Opens the regular files that the walk found, for reading, and checks that each is still the
/// inode the walk saw.
///
/// A file is opened relative to its directory (`openat` with `O_NOFOLLOW`), and a worker keeps the
/// last directory open, so the kernel resolves a directory's path once for all the candidates in
/// it, not once per file. Whatever is opened by a path is opened relative to its root, following
/// no symbolic link on the way (`openat2` with `RESOLVE_NO_SYMLINKS`): a directory swapped for a
/// link to somewhere else after the walk never leads a read, run as root over a tree other users
/// can write to, outside the root (where merely opening a device can have effects). The directory
/// is checked against the identity the walk recorded, and the
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
                // The first file asked for in this directory: one path lookup from the root, as a
                // directory descriptor would cost; the directory is opened when a second file follows.
                descriptor = try directories.openBelowRoot(record, in: table)
            }
        } catch let error as DupelinkError {
            throw error
        } catch let error as Errno {
            let path = table.path(ofFile: record)
            if error == .tooManySymbolicLinkLevels {
                throw DupelinkError(.fileChanged, path: path, detail: "now a symbolic link, or a directory on its path is")
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

/// A worker thread's last opened directory, kept open for the next files in it, and the roots it
/// opened paths from.
final class DirectoryCache {
    private var current: (index: Int32, descriptor: FileDescriptor)?
    private var lastAsked: Int32 = -1
    private var roots: [Int32: FileDescriptor] = [:]
    /// The path below its root of the directory asked for last, built once for all its files.
    private var lastBelow: (index: Int32, path: [UInt8])?
    /// Set when `openat2` is not offered (a kernel before 5.6, or a filter): paths are then opened
    /// one component at a time.
    private var withoutOpenat2 = false

    deinit {
        if let current { Syscalls.closeQuietly(current.descriptor) }
        for descriptor in roots.values { Syscalls.closeQuietly(descriptor) }
    }

    /// The open directory at `index` of `table`, or nil the first time in a row it is asked for
    /// (a lone file is cheaper to open by its path) when its path is short enough for that.
    ///
    /// The second time in a row, the directory is opened and kept until another is asked for.
    /// A directory whose path is short is opened in one call relative to its root (opened as the
    /// walk opened it: a symbolic link the user named as a root is followed), following no
    /// symbolic link below the root; a longer one one component at a time. Its identity must be
    /// the one the walk recorded.
    /// - Throws: `DupelinkError` with `.directoryChanged` or `.ioError`.
    func descriptor(for index: Int32, in table: PathTable) throws(DupelinkError) -> FileDescriptor? {
        if let current, current.index == index { return current.descriptor }
        if let current { Syscalls.closeQuietly(current.descriptor) }
        current = nil
        let entry = table.directories[Int(index)]
        let below = pathBelowRoot(ofDirectory: index, in: table)
        if lastAsked != index && below.count < Syscalls.pathMax - 256 {
            lastAsked = index
            return nil
        }
        lastAsked = index
        // The full path is for messages only; build it when one is needed.
        let path = { table.path(ofDirectory: index) }
        let descriptor: FileDescriptor
        if entry.parent < 0 || withoutOpenat2 || below.count >= Syscalls.pathMax {
            descriptor = try DirectoryHandle.open(directory: index, in: table).release()
        } else {
            let root = try root(of: index, in: table)
            let cPath = below.cString
            do {
                descriptor = try Syscalls.openWithoutSymlinks(cPath, in: root, options: [.directory, .noControllingTerminal])
            } catch {
                if error == .noFunction {
                    withoutOpenat2 = true
                    return try self.descriptor(for: index, in: table)
                }
                if error == .tooManySymbolicLinkLevels || error == .notDirectory {
                    throw DupelinkError(.directoryChanged, path: path(), errno: error)
                }
                throw DupelinkError(.ioError, path: path(), errno: error, operation: "open directory")
            }
            try checkIdentity(of: descriptor, is: entry.id, path: path)
        }
        current = (index, descriptor)
        return descriptor
    }

    /// Opens the file of `record` for reading by its path below its root, following no symbolic
    /// link below the root (one component at a time where `openat2` is not offered).
    ///
    /// Touches the disk: opens the file (and its root, once per worker).
    /// - Throws: `DupelinkError` when its root or directory cannot be opened or changed; the
    ///   `Errno` of the file's open otherwise (`ELOOP` for a symbolic link on the way).
    func openBelowRoot(_ record: FileRecord, in table: PathTable) throws -> FileDescriptor {
        if !withoutOpenat2 {
            let root = try root(of: record.directory, in: table)
            var below = pathBelowRoot(ofDirectory: record.directory, in: table)
            if !below.isEmpty { below.append(UInt8(ascii: "/")) }
            below += table.name(ofFile: record)
            let cPath = below.cString
            let opened = Result { () throws(Errno) -> FileDescriptor in
                try Syscalls.openForReadingWithoutSymlinks(cPath, in: root)
            }
            switch opened {
            case .success(let descriptor): return descriptor
            case .failure(.noFunction): withoutOpenat2 = true
            case .failure(let error): throw error
            }
        }
        let directory = try DirectoryHandle.open(directory: record.directory, in: table).release()
        defer { Syscalls.closeQuietly(directory) }
        return try table.withCName(start: record.nameStart) { (name) throws(Errno) -> FileDescriptor in
            try Syscalls.openForReading(name, in: directory)
        }
    }

    /// The root above directory `directory`, opened as the walk opened it (a symbolic link the
    /// user named as a root is followed) and checked against the identity the walk recorded when
    /// the table knows it (a table rebuilt from a saved scan may not: the directory below is then
    /// what gets checked).
    private func root(of directory: Int32, in table: PathTable) throws(DupelinkError) -> FileDescriptor {
        let index = table.chain(toDirectory: directory)[0]
        if let open = roots[index] { return open }
        let entry = table.directories[Int(index)]
        let path = { table.path(ofDirectory: index) }
        let descriptor: FileDescriptor
        do {
            descriptor = try table.withCName(start: entry.nameStart) { (name) throws(Errno) -> FileDescriptor in
                try Syscalls.openDirectory(name, in: Syscalls.currentDirectory, followSymlinks: true)
            }
        } catch {
            if error == .notDirectory { throw DupelinkError(.directoryChanged, path: path(), errno: error) }
            throw DupelinkError(.ioError, path: path(), errno: error, operation: "open directory")
        }
        if entry.id != .unverifiedDirectory {
            try checkIdentity(of: descriptor, is: entry.id, path: path)
        }
        roots[index] = descriptor
        return descriptor
    }

    /// The path of directory `index` below its root, remembered for the next file in it.
    private func pathBelowRoot(ofDirectory index: Int32, in table: PathTable) -> [UInt8] {
        if let lastBelow, lastBelow.index == index { return lastBelow.path }
        let path = Self.pathBelowRoot(ofDirectory: index, in: table)
        lastBelow = (index, path)
        return path
    }

    /// The path of directory `index` below its root: the names after the root's, joined by `/`;
    /// empty for a root.
    static func pathBelowRoot(ofDirectory index: Int32, in table: PathTable) -> [UInt8] {
        var result: [UInt8] = []
        for directory in table.chain(toDirectory: index).dropFirst() {
            if !result.isEmpty { result.append(UInt8(ascii: "/")) }
            result += table.name(ofDirectory: directory)
        }
        return result
    }
}

/// Checks that an open directory is the one the walk recorded; closes it and throws otherwise.
///
/// - Throws: `DupelinkError` with `.directoryChanged` when it is another directory, or `.ioError`
///   when it cannot be `fstat`ed.
private func checkIdentity(
    of descriptor: FileDescriptor, is expected: FileID, path: () -> [UInt8]
) throws(DupelinkError) {
    let status: FileStatus
    do {
        status = try Syscalls.status(of: descriptor)
    } catch {
        Syscalls.closeQuietly(descriptor)
        throw DupelinkError(.ioError, path: path(), errno: error, operation: "stat")
    }
    guard status.id == expected else {
        Syscalls.closeQuietly(descriptor)
        throw DupelinkError(.directoryChanged, path: path())
    }
}
