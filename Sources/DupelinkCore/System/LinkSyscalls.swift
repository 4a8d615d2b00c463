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
    public static func exchange(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor,
        with otherName: UnsafePointer<CChar>, in otherDirectory: FileDescriptor
    ) throws(Errno) {
        while dl_renameat2(directory.rawValue, name, otherDirectory.rawValue, otherName, renameExchangeFlag) != 0 {
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }
}
