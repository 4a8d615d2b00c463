import Glibc
import SystemPackage

/// `O_TMPFILE` from `<fcntl.h>` (`__O_TMPFILE | O_DIRECTORY`); Glibc does not import it without
/// `_GNU_SOURCE`. The value is the same on every Linux architecture Swift supports.
private let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY

/// `UTIME_OMIT` from `<sys/stat.h>`: leave this time as it is.
private let timeOmitted: Int = (1 << 30) - 2

extension Syscalls {
    /// Creates a new regular file without a name in `directory`, open for reading and writing,
    /// with mode 0600. It gets a name only through `link(openFile:to:in:)`; if the process dies
    /// first, it disappears.
    ///
    /// Retries on `EINTR`. Filesystems without support fail with `EOPNOTSUPP` (or `EISDIR` on old
    /// kernels).
    /// - Throws: the `Errno` that `openat` set.
    ///
    /// The corresponding C function is `openat` with `O_TMPFILE`.
    package static func openUnnamedFile(in directory: FileDescriptor) throws(Errno) -> FileDescriptor {
        var dot = Array(".".utf8CString)
        return try dot.withUnsafeMutableBufferPointer { (buffer) throws(Errno) -> FileDescriptor in
            // The buffer holds at least the NUL byte, so its base address exists.
            guard let name = buffer.baseAddress else { throw Errno.invalidArgument }
            return try open(name, in: directory, flags: O_RDWR | temporaryFileFlag, permissions: 0o600)
        }
    }

    /// Creates `name` in `directory` as a new empty regular file with mode 0600, failing with
    /// `EEXIST` when anything is there, never following a symbolic link.
    ///
    /// - Throws: the `Errno` that `openat` set.
    ///
    /// The corresponding C function is `openat` with `O_CREAT | O_EXCL`.
    package static func createExclusive(_ name: UnsafePointer<CChar>, in directory: FileDescriptor) throws(Errno) -> FileDescriptor {
        try open(name, in: directory, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, permissions: 0o600)
    }

    /// Gives the open file `file` the name `name` in `directory` (for a file made by
    /// `openUnnamedFile`), through `/proc/self/fd`, which needs no privilege.
    ///
    /// Fails with `EEXIST` when the name exists.
    /// - Throws: the `Errno` that `linkat` set.
    ///
    /// The corresponding C function is `linkat` with `AT_SYMLINK_FOLLOW`.
    package static func link(openFile file: FileDescriptor, to name: UnsafePointer<CChar>, in directory: FileDescriptor) throws(Errno) {
        let source = "/proc/self/fd/\(file.rawValue)"
        _ = try retryingInterrupts { linkat(AT_FDCWD, source, directory.rawValue, name, AT_SYMLINK_FOLLOW) }
    }

    /// Writes all of `buffer` at `offset`, retrying on `EINTR` and short writes.
    ///
    /// - Throws: the `Errno` that `pwrite` set (`ENOSPC` when the disk is full).
    ///
    /// The corresponding C function is `pwrite`.
    package static func write(_ descriptor: FileDescriptor, at offset: Int64, from buffer: UnsafeRawBufferPointer) throws(Errno) {
        var total = 0
        guard let base = buffer.baseAddress else { return }
        while total < buffer.count {
            let written = try retryingInterrupts {
                pwrite(descriptor.rawValue, base + total, buffer.count - total, off_t(offset) + off_t(total))
            }
            total += written
        }
    }

    /// Sets the owner and group of an open file.
    ///
    /// - Throws: the `Errno` that `fchown` set (`EPERM` when the caller may not give the file away).
    ///
    /// The corresponding C function is `fchown`.
    package static func changeOwner(_ descriptor: FileDescriptor, userID: UInt32, groupID: UInt32) throws(Errno) {
        _ = try retryingInterrupts { fchown(descriptor.rawValue, userID, groupID) }
    }

    /// Sets the permission bits (`mode & 0o7777`) of an open file.
    ///
    /// - Throws: the `Errno` that `fchmod` set.
    ///
    /// The corresponding C function is `fchmod`.
    package static func changeMode(_ descriptor: FileDescriptor, permissions: UInt32) throws(Errno) {
        _ = try retryingInterrupts { fchmod(descriptor.rawValue, mode_t(permissions & 0o7777)) }
    }

    /// Sets the modification time of an open file, in nanoseconds since the epoch; the access time
    /// is left as it is.
    ///
    /// - Throws: the `Errno` that `futimens` set.
    ///
    /// The corresponding C function is `futimens`.
    package static func setModificationTime(_ descriptor: FileDescriptor, nanoseconds: Int64) throws(Errno) {
        var times = [
            timespec(tv_sec: 0, tv_nsec: timeOmitted),
            timespec(
                tv_sec: time_t(nanoseconds.floorDivided(by: 1_000_000_000)),
                tv_nsec: Int(nanoseconds - nanoseconds.floorDivided(by: 1_000_000_000) * 1_000_000_000)),
        ]
        _ = try retryingInterrupts { futimens(descriptor.rawValue, &times) }
    }

    /// Waits until the file's data and metadata are on the disk.
    ///
    /// - Throws: the `Errno` that `fsync` set.
    ///
    /// The corresponding C function is `fsync`.
    package static func synchronize(_ descriptor: FileDescriptor) throws(Errno) {
        _ = try retryingInterrupts { fsync(descriptor.rawValue) }
    }

    /// The bytes an unprivileged user may still write on the filesystem of `descriptor`
    /// (`f_bavail * f_frsize`).
    ///
    /// - Throws: the `Errno` that `fstatvfs` set.
    ///
    /// The corresponding C function is `fstatvfs`.
    package static func availableBytes(_ descriptor: FileDescriptor) throws(Errno) -> Int64 {
        var result = statvfs()
        _ = try retryingInterrupts { fstatvfs(descriptor.rawValue, &result) }
        let total = UInt64(result.f_bavail).multipliedReportingOverflow(by: UInt64(result.f_frsize))
        return total.overflow || total.partialValue > UInt64(Int64.max) ? Int64.max : Int64(total.partialValue)
    }
}

extension Int64 {
    /// Division rounding towards negative infinity (times before 1970 are negative).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
