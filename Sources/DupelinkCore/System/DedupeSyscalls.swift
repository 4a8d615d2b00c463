import CLinux
import Glibc
import SystemPackage

/// What one `FIDEDUPERANGE` call did to its one destination.
package enum DedupeRangeResult: Hashable, Sendable {
    /// The bytes compared equal, and this many of them (from the start of the range; possibly
    /// fewer than asked) now share the source's extents.
    case same(bytesDeduplicated: Int64)
    /// The kernel found the bytes different: nothing of the range was shared.
    case differs
}

extension Syscalls {
    /// Asks the kernel to make `length` bytes of `destination` from `destinationOffset` share the
    /// extents of `source` from `sourceOffset`. The kernel locks both files, compares the bytes
    /// itself and shares them only if they are equal; it may do fewer bytes than asked (the
    /// caller loops), and filesystems cap one call (btrfs at 16 MiB).
    ///
    /// Touches the disk: changes which blocks `destination` uses, never its bytes, inode, owner,
    /// mode or times. `destination` may be open read-only when the caller owns it, may write it, or
    /// is root.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `ioctl` set, or that the kernel reported for the destination:
    ///   `EOPNOTSUPP`, `EINVAL` or `ENOTTY` where the filesystem cannot share extents (ext4,
    ///   tmpfs, ZFS), `EXDEV` across filesystems, `EPERM` for an immutable or append-only
    ///   destination, `ETXTBSY` for an active swap file.
    ///
    /// The corresponding C function is `ioctl` with `FIDEDUPERANGE`.
    package static func dedupeRange(
        from source: FileDescriptor, offset sourceOffset: Int64, length: Int64,
        to destination: FileDescriptor, offset destinationOffset: Int64
    ) throws(Errno) -> DedupeRangeResult {
        var deduplicated: UInt64 = 0
        var status: Int32 = 0
        _ = try retryingInterrupts {
            dl_dedupe_range(
                source.rawValue, UInt64(sourceOffset), UInt64(length), destination.rawValue, UInt64(destinationOffset),
                &deduplicated, &status)
        }
        if status < 0 { throw Errno(rawValue: -status) }
        if status == dl_dedupe_range_differs() { return .differs }
        return .same(bytesDeduplicated: Int64(clamping: deduplicated))
    }

    /// Commits the filesystem of `descriptor` to disk, so that what `availableBytes` reports next
    /// counts the blocks released since (btrfs frees replaced extents at its commit).
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `syncfs` set.
    ///
    /// The corresponding C function is `syncfs`.
    package static func synchronizeFilesystem(_ descriptor: FileDescriptor) throws(Errno) {
        _ = try retryingInterrupts { dl_syncfs(descriptor.rawValue) }
    }
}
