import CLinux
import Glibc
import SystemPackage

/// `RENAME_EXCHANGE` from `<linux/fs.h>`; part of the kernel ABI since Linux 3.15. Glibc does not
/// import it without `_GNU_SOURCE`, and the CLinux shim does not export it yet.
private let renameExchangeFlag: UInt32 = 1 << 1

extension Syscalls {
    /// Atomically swaps two names: afterwards `name` refers to what `otherName` referred to, and
    /// the other way round. At no instant is either name missing.
    ///
    /// Retries on `EINTR`. Filesystems that cannot exchange names fail with `EINVAL`.
    /// - Throws: the `Errno` that `renameat2` set.
    ///
    /// The corresponding C function is `renameat2` with `RENAME_EXCHANGE`.
    package static func exchange(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor,
        with otherName: UnsafePointer<CChar>, in otherDirectory: FileDescriptor
    ) throws(Errno) {
        _ = try retryingInterrupts { dl_renameat2(directory.rawValue, name, otherDirectory.rawValue, otherName, renameExchangeFlag) }
    }
}

/// `STATX_MNT_ID` from `<linux/stat.h>`: the `statx` mask bit saying the mount id is filled in.
private let statxMountIDFlag: UInt32 = 0x1000

extension Syscalls {
    /// Returns the id of the mount that `name` in `directory` is reached through, without following
    /// a final symbolic link, or nil when the kernel does not report mount ids (before Linux 5.8).
    ///
    /// Two names on one filesystem but under different mounts (a bind mount) cannot be hard-linked
    /// together: `linkat` fails with `EXDEV` although `st_dev` is the same.
    /// - Throws: the `Errno` that `statx` set.
    ///
    /// The corresponding C function is `statx` with `STATX_MNT_ID`.
    package static func mountID(of name: UnsafePointer<CChar>, in directory: FileDescriptor) throws(Errno) -> UInt64? {
        var result = dl_statx_result()
        _ = try retryingInterrupts { dl_statx(directory.rawValue, name, AT_SYMLINK_NOFOLLOW, &result) }
        return result.mask & statxMountIDFlag != 0 ? result.mount_id : nil
    }
}

extension Syscalls {
    /// Takes a read lease on `descriptor`, which must be open read-only: it is granted only while
    /// no process has the file open for writing, and while it is held (until the descriptor is
    /// closed) another process's open for writing, or truncate, waits. Ignores `SIGIO` from the
    /// first call on.
    ///
    /// - Throws: the `Errno` that `fcntl` set: `EAGAIN` when a process has the file open for
    ///   writing; `EACCES` when the caller neither owns the file nor has `CAP_LEASE`; `EINVAL`
    ///   where the filesystem offers no leases.
    ///
    /// The corresponding C function is `fcntl` with `F_SETLEASE` and `F_RDLCK`.
    package static func takeReadLease(_ descriptor: FileDescriptor) throws(Errno) {
        if dl_take_read_lease(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
    }
}
