import CLinux
import Glibc
import SystemPackage

/// One extent of a file's data, as `FS_IOC_FIEMAP` reports it.
package struct FileExtent: Hashable, Sendable {
    /// Where the extent starts in the file, in bytes.
    package var logical: UInt64
    /// Where it starts on the filesystem's device (btrfs: in its logical address space), in
    /// bytes; meaningless when `flags` has `unknown`.
    package var physical: UInt64
    /// Its length in the file, in bytes (on disk an encoded extent may take fewer).
    package var length: UInt64
    /// What the filesystem says about it.
    package var flags: ExtentFlags

    /// Creates an extent from its fields.
    package init(logical: UInt64, physical: UInt64, length: UInt64, flags: ExtentFlags) {
        self.logical = logical
        self.physical = physical
        self.length = length
        self.flags = flags
    }
}

/// The `FIEMAP_EXTENT_*` flags of `<linux/fiemap.h>`.
package struct ExtentFlags: OptionSet, Hashable, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `FIEMAP_EXTENT_LAST`: the file's last extent.
    package static let last = ExtentFlags(rawValue: 0x1)
    /// `FIEMAP_EXTENT_UNKNOWN`: where the data lies is not known yet; `physical` means nothing.
    package static let unknown = ExtentFlags(rawValue: 0x2)
    /// `FIEMAP_EXTENT_DELALLOC`: written, not yet allocated (implies `unknown`).
    package static let delayedAllocation = ExtentFlags(rawValue: 0x4)
    /// `FIEMAP_EXTENT_ENCODED`: compressed or otherwise encoded, so its bytes on disk are not
    /// `length` bytes from `physical`.
    package static let encoded = ExtentFlags(rawValue: 0x8)
    /// `FIEMAP_EXTENT_DATA_ENCRYPTED` (implies `encoded`).
    package static let encrypted = ExtentFlags(rawValue: 0x80)
    /// `FIEMAP_EXTENT_NOT_ALIGNED`: not aligned to the filesystem's blocks.
    package static let notAligned = ExtentFlags(rawValue: 0x100)
    /// `FIEMAP_EXTENT_DATA_INLINE`: stored in the filesystem's metadata (implies `notAligned`).
    package static let inline = ExtentFlags(rawValue: 0x200)
    /// `FIEMAP_EXTENT_DATA_TAIL`: packed with other files' tails (implies `notAligned`).
    package static let tail = ExtentFlags(rawValue: 0x400)
    /// `FIEMAP_EXTENT_UNWRITTEN`: allocated, reads as zeros.
    package static let unwritten = ExtentFlags(rawValue: 0x800)
    /// `FIEMAP_EXTENT_MERGED`: several block mappings reported as one.
    package static let merged = ExtentFlags(rawValue: 0x1000)
    /// `FIEMAP_EXTENT_SHARED`: its blocks are also used by another file, a snapshot or a
    /// reflinked copy.
    package static let shared = ExtentFlags(rawValue: 0x2000)
}

extension Syscalls {
    /// How many extents one `FS_IOC_FIEMAP` call asks for.
    private static let extentBatch: UInt32 = 256

    /// Returns every extent of the open file, in file order, as `FS_IOC_FIEMAP` maps them.
    ///
    /// Reads metadata only; without `FIEMAP_FLAG_SYNC`, so nothing is written out first: data not
    /// yet allocated comes back flagged `delayedAllocation`. Holes have no extent.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `ioctl` set: `EOPNOTSUPP` or `ENOTTY` where the filesystem
    ///   cannot map extents, `EBADF` for a descriptor that is not open.
    ///
    /// The corresponding C function is `ioctl` with `FS_IOC_FIEMAP`.
    package static func extents(of descriptor: FileDescriptor) throws(Errno) -> [FileExtent] {
        var result: [FileExtent] = []
        var batch = [dl_extent](repeating: dl_extent(), count: Int(extentBatch))
        var start: UInt64 = 0
        while true {
            var count: UInt32 = 0
            _ = try retryingInterrupts {
                batch.withUnsafeMutableBufferPointer { buffer in
                    dl_fiemap(descriptor.rawValue, start, UInt64.max - start, buffer.baseAddress, extentBatch, &count)
                }
            }
            for extent in batch.prefix(Int(count)) {
                result.append(
                    FileExtent(
                        logical: extent.logical, physical: extent.physical, length: extent.length,
                        flags: ExtentFlags(rawValue: extent.flags)))
            }
            // Done at the last extent, or when a batch was not full (the file ended first).
            guard count == extentBatch, let last = result.last, !last.flags.contains(.last) else { return result }
            let (next, overflow) = last.logical.addingReportingOverflow(last.length)
            guard !overflow, next > start else { return result }
            start = next
        }
    }
}

extension Syscalls {
    /// Where the first extent of the open file begins on its device, in bytes; nil when it has
    /// none (empty, all holes), or when where it lies is not known (delayed allocation, inline
    /// data).
    ///
    /// - Throws: the `Errno` that `ioctl` set: `EOPNOTSUPP` or `ENOTTY` where the filesystem
    ///   cannot map extents.
    ///
    /// The corresponding C function is `ioctl` with `FS_IOC_FIEMAP`, asking for one extent.
    package static func firstExtentOffset(of descriptor: FileDescriptor) throws(Errno) -> UInt64? {
        var extent = dl_extent()
        var count: UInt32 = 0
        _ = try retryingInterrupts { dl_fiemap(descriptor.rawValue, 0, UInt64.max, &extent, 1, &count) }
        let unplaced = ExtentFlags([.unknown, .delayedAllocation, .inline, .tail])
        guard count == 1, ExtentFlags(rawValue: extent.flags).isDisjoint(with: unplaced) else { return nil }
        return extent.physical
    }
}
