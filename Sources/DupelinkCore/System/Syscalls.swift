import CLinux
import Glibc
import SystemPackage

/// Thin wrappers for the `*at` system calls that swift-system does not offer.
///
/// Every call works relative to a directory descriptor, so a path longer than `PATH_MAX` can be
/// reached one component at a time, and a name that an attacker replaced with a symbolic link is
/// refused (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`) instead of followed.
package enum Syscalls {
    /// The pseudo-descriptor that makes an `*at` call resolve relative names from the working directory.
    package static let currentDirectory = FileDescriptor(rawValue: AT_FDCWD)

    /// Returns the metadata of `name` in `directory` without following a final symbolic link.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `fstatat` set.
    ///
    /// The corresponding C function is `fstatat`.
    package static func status(
        of name: UnsafePointer<CChar>, in directory: FileDescriptor, followSymlinks: Bool = false
    ) throws(Errno) -> FileStatus {
        var raw = stat()
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try retryingInterrupts { fstatat(directory.rawValue, name, &raw, flags) }
        return FileStatus(raw)
    }

    /// Returns the metadata of an open descriptor.
    ///
    /// - Throws: the `Errno` that `fstat` set.
    ///
    /// The corresponding C function is `fstat`.
    package static func status(of descriptor: FileDescriptor) throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try retryingInterrupts { fstat(descriptor.rawValue, &raw) }
        return FileStatus(raw)
    }

    /// Opens `name` in `directory` with the raw `flags` given; `O_CLOEXEC` is always added.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `openat` set.
    ///
    /// The corresponding C function is `openat`.
    package static func open(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor, flags: Int32, permissions: mode_t = 0
    ) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingInterrupts { openat(directory.rawValue, name, flags | O_CLOEXEC, permissions) })
    }

    /// Opens a regular file for reading: never follows a final symbolic link, never blocks on a
    /// FIFO, and leaves the access time alone where the caller owns the file (or is root).
    ///
    /// - Throws: the `Errno` that `openat` set.
    package static func openForReading(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor
    ) throws(Errno) -> FileDescriptor {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
        do {
            return try open(name, in: directory, flags: flags | dl_o_noatime())
        } catch .notPermitted {
            // O_NOATIME is refused for files the caller does not own; read them normally.
            return try open(name, in: directory, flags: flags)
        }
    }

    /// Opens `path`, a relative path of one or more components, in `directory` without following
    /// a symbolic link in any component (the last included); `O_CLOEXEC` is always added.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `openat2` set: `ELOOP` when a component is a symbolic link,
    ///   `ENOSYS` when the kernel (before 5.6) or a system-call filter does not offer the call.
    ///
    /// The corresponding C function is `openat2` with `RESOLVE_NO_SYMLINKS`.
    package static func openWithoutSymlinks(
        _ path: UnsafePointer<CChar>, in directory: FileDescriptor, flags: Int32
    ) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingInterrupts { dl_open_no_symlinks(directory.rawValue, path, flags) })
    }

    /// Opens a regular file for reading as `openForReading` does, by a relative path of one or
    /// more components below `directory`, following no symbolic link in any component.
    ///
    /// - Throws: the `Errno` that `openat2` set (`ELOOP` for a symbolic link on the way, `ENOSYS`
    ///   where the call is not offered).
    package static func openForReadingWithoutSymlinks(
        _ path: UnsafePointer<CChar>, in directory: FileDescriptor
    ) throws(Errno) -> FileDescriptor {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
        do {
            return try openWithoutSymlinks(path, in: directory, flags: flags | dl_o_noatime())
        } catch .notPermitted {
            return try openWithoutSymlinks(path, in: directory, flags: flags)
        }
    }

    /// Opens `name` in `directory` as a directory, refusing a symbolic link.
    ///
    /// - Throws: the `Errno` that `openat` set (`ELOOP` or `ENOTDIR` for a symbolic link).
    package static func openDirectory(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor, followSymlinks: Bool = false
    ) throws(Errno) -> FileDescriptor {
        var flags = O_RDONLY | O_DIRECTORY | O_NOCTTY
        if !followSymlinks { flags |= O_NOFOLLOW }
        return try open(name, in: directory, flags: flags)
    }

    /// Makes `newName` in `newDirectory` another name for `oldName` in `oldDirectory`.
    ///
    /// Does not follow a symbolic link at `oldName`. Fails with `EEXIST` when `newName` exists.
    /// - Throws: the `Errno` that `linkat` set.
    ///
    /// The corresponding C function is `linkat`.
    package static func link(
        _ oldName: UnsafePointer<CChar>, in oldDirectory: FileDescriptor,
        to newName: UnsafePointer<CChar>, in newDirectory: FileDescriptor, flags: Int32 = 0
    ) throws(Errno) {
        _ = try retryingInterrupts { linkat(oldDirectory.rawValue, oldName, newDirectory.rawValue, newName, flags) }
    }

    /// Atomically renames `oldName` over `newName`: at no instant is `newName` missing.
    ///
    /// - Throws: the `Errno` that `renameat` set.
    ///
    /// The corresponding C function is `renameat`.
    package static func rename(
        _ oldName: UnsafePointer<CChar>, in oldDirectory: FileDescriptor,
        to newName: UnsafePointer<CChar>, in newDirectory: FileDescriptor
    ) throws(Errno) {
        _ = try retryingInterrupts { renameat(oldDirectory.rawValue, oldName, newDirectory.rawValue, newName) }
    }

    /// Removes the name `name` from `directory` (a file, or with `removeDirectory` an empty directory).
    ///
    /// - Throws: the `Errno` that `unlinkat` set.
    ///
    /// The corresponding C function is `unlinkat`.
    package static func unlink(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor, removeDirectory: Bool = false
    ) throws(Errno) {
        _ = try retryingInterrupts { unlinkat(directory.rawValue, name, removeDirectory ? AT_REMOVEDIR : 0) }
    }

    /// Returns the target of the symbolic link `name` in `directory`, as bytes.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `readlinkat` set (`EINVAL` when `name` is not a link).
    ///
    /// The corresponding C function is `readlinkat`.
    package static func linkTarget(of name: UnsafePointer<CChar>, in directory: FileDescriptor) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try retryingInterrupts {
            buffer.withUnsafeMutableBytes {
                readlinkat(directory.rawValue, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
            }
        }
        return Array(buffer.prefix(count))
    }

    /// How a descriptor's data will be used, for `advise`.
    package enum Advice: Sendable {
        /// Read from start to end: the kernel reads further ahead (`POSIX_FADV_SEQUENTIAL`).
        case sequential
        /// Not needed again: its pages may leave the cache (`POSIX_FADV_DONTNEED`).
        case dontNeed

        var rawValue: Int32 { self == .sequential ? POSIX_FADV_SEQUENTIAL : POSIX_FADV_DONTNEED }
    }

    /// Tells the kernel how a descriptor's data will be read; a hint, so failures are ignored.
    ///
    /// The corresponding C function is `posix_fadvise`.
    package static func advise(_ descriptor: FileDescriptor, offset: Int64, length: Int64, advice: Advice) {
        _ = posix_fadvise(descriptor.rawValue, off_t(offset), off_t(length), advice.rawValue)
    }

    /// Returns how many pages of `length` bytes at `offset` are in the page cache, or nil when the
    /// kernel cannot tell (before Linux 6.5, or a filesystem that does not say).
    ///
    /// The corresponding C function is `cachestat`.
    package static func cachedPages(_ descriptor: FileDescriptor, offset: Int64, length: Int64) -> Int? {
        var cached: UInt64 = 0
        guard dl_cached_pages(descriptor.rawValue, UInt64(offset), UInt64(length), &cached) == 0 else { return nil }
        return Int(cached)
    }

    /// Reads up to `buffer.count` bytes at `offset`, retrying on `EINTR` and short reads until the
    /// buffer is full or the file ends. Returns the number of bytes read.
    ///
    /// - Throws: the `Errno` that `pread` set.
    ///
    /// The corresponding C function is `pread`.
    package static func read(
        _ descriptor: FileDescriptor, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        var total = 0
        while total < buffer.count {
            let count = try retryingInterrupts {
                pread(descriptor.rawValue, buffer.baseAddress! + total, buffer.count - total, off_t(offset) + off_t(total))
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// What `seek(_:toNext:from:)` looks for.
    package enum SeekTarget: Sendable {
        /// The next byte that holds data (`SEEK_DATA`).
        case data
        /// The next hole (`SEEK_HOLE`); the end of the file counts as one.
        case hole
    }

    /// The first offset at or after `offset` where data (or a hole) begins, or nil when there is
    /// no data from `offset` to the end of the file (`ENXIO`). Moves the descriptor's offset,
    /// which the readers here never use (they read with `pread`). Filesystems that keep no map
    /// report the whole file as data. Never interrupted by a signal, so never retried.
    ///
    /// - Throws: the `Errno` that `lseek` set.
    ///
    /// The corresponding C function is `lseek` with `SEEK_DATA` or `SEEK_HOLE`.
    package static func seek(
        _ descriptor: FileDescriptor, toNext target: SeekTarget, from offset: Int64
    ) throws(Errno) -> Int64? {
        let found = lseek(descriptor.rawValue, off_t(offset), target == .data ? dl_seek_data() : dl_seek_hole())
        if found < 0 {
            if errno == ENXIO { return nil }
            throw Errno(rawValue: errno)
        }
        return Int64(found)
    }

    /// Closes a descriptor, ignoring errors: used on descriptors opened only for reading or for
    /// directories, where a failing `close` loses nothing.
    package static func closeQuietly(_ descriptor: FileDescriptor) {
        _ = Glibc.close(descriptor.rawValue)
    }

    /// The descriptors this process may still open: the soft `RLIMIT_NOFILE` (raised to the hard
    /// limit first) less those open now (counted in `/proc/self/fd`; 16 when that cannot be read).
    ///
    /// The corresponding C functions are `getrlimit` and `setrlimit`.
    package static func spareDescriptors() -> Int {
        raiseDescriptorLimit()
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1 << 20 }
        let soft = Int(min(limit.rlim_cur, 1 << 20))  // RLIM_INFINITY is the largest value
        var open = 16
        if let directory = opendir("/proc/self/fd") {
            open = 0
            while readdir(directory) != nil { open += 1 }
            closedir(directory)
            // ".", "..", and the descriptor of the listing itself.
            open = max(0, open - 3)
        }
        return max(0, soft - open)
    }

    /// Raises the soft limit on open descriptors to the hard limit, so a deep tree can be walked
    /// with one descriptor per level.
    package static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

extension FileStatus {
    /// Converts a `struct stat`.
    init(_ raw: stat) {
        self.init(
            id: FileID(device: UInt64(raw.st_dev), inode: UInt64(raw.st_ino)),
            mode: UInt32(raw.st_mode),
            linkCount: UInt64(raw.st_nlink),
            userID: raw.st_uid,
            groupID: raw.st_gid,
            size: Int64(raw.st_size),
            blocks: Int64(raw.st_blocks),
            modificationTime: Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec),
            changeTime: Int64(raw.st_ctim.tv_sec) * 1_000_000_000 + Int64(raw.st_ctim.tv_nsec))
    }
}
