import CLinux
import Glibc
import SystemPackage

/// `STATX_MNT_ID` from `<linux/stat.h>`: the `statx` mask bit saying the mount id is filled in.
private let statxMountIDMask: UInt32 = 0x1000

extension Syscalls {
    /// `OVERLAYFS_SUPER_MAGIC` from `<linux/magic.h>`: the `f_type` `statfs` reports on overlayfs.
    package static let overlayfsMagic: UInt64 = 0x794c_7630

    /// The copy-on-write filesystems whose files can share data extents (`FIDEDUPERANGE`), by
    /// `f_type`: btrfs, XFS (with reflink, which the type alone does not tell) and bcachefs.
    package static let copyOnWriteFilesystems: [UInt64: String] = [
        0x9123_683E: "btrfs", 0x5846_5342: "XFS", 0xCA45_1A4E: "bcachefs",
    ]

    /// Returns the id of the mount an open file or directory was reached through, or nil when the
    /// kernel does not report mount ids (before Linux 5.8).
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `statx` set.
    ///
    /// The corresponding C function is `statx` with `AT_EMPTY_PATH` and `STATX_MNT_ID`.
    package static func mountID(of descriptor: FileDescriptor) throws(Errno) -> UInt64? {
        var result = dl_statx_result()
        _ = try retryingInterrupts { dl_statx(descriptor.rawValue, "", dl_at_empty_path() | AT_SYMLINK_NOFOLLOW, &result) }
        return result.mask & statxMountIDMask != 0 ? result.mount_id : nil
    }

    /// Returns the filesystem type (`f_type`, a magic number such as `overlayfsMagic`) of the
    /// filesystem an open descriptor is on.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `fstatfs` set.
    ///
    /// The corresponding C function is `fstatfs`.
    package static func filesystemType(of descriptor: FileDescriptor) throws(Errno) -> UInt64 {
        var type: UInt64 = 0
        _ = try retryingInterrupts { dl_filesystem_type(descriptor.rawValue, &type) }
        return type
    }
}

extension DirectoryMount {
    /// What an open directory's mount is: its mount id, whether it is overlayfs, and whether its
    /// files can share extents. When the directory's mount id is `sameMountAs`'s, that mount's
    /// filesystem is taken without asking the kernel again (one mount, one filesystem). What
    /// cannot be learnt stays unknown (not overlayfs, no shared extents): the linker checks the
    /// mount and the type again on the directories it opens.
    ///
    /// Touches the disk: `statx` and perhaps `fstatfs` on the descriptor.
    static func of(_ descriptor: FileDescriptor, sameMountAs known: DirectoryMount? = nil) -> DirectoryMount {
        let id = ((try? Syscalls.mountID(of: descriptor)) ?? nil) ?? PathTable.unknownMount
        if let known, known.isKnown, known.id == id {
            return DirectoryMount(id: id, isOverlay: known.isOverlay, canShareExtents: known.canShareExtents)
        }
        let type = try? Syscalls.filesystemType(of: descriptor)
        return DirectoryMount(
            id: id, isOverlay: type == Syscalls.overlayfsMagic,
            canShareExtents: type.map { Syscalls.copyOnWriteFilesystems[$0] != nil } ?? false)
    }
}
