import SystemPackage

/// `dedupe`: making a duplicate share its keeper's data extents (`FIDEDUPERANGE`) once the
/// linker's checks (directories, fingerprints, attributes) have passed on both open files.
extension LinkRun {
    /// The most one call asks the kernel to share: btrfs caps a call at 16 MiB, and XFS and
    /// others accept that much.
    static let dedupeChunk: Int64 = 16 << 20

    /// The refusal for a filesystem that cannot share extents.
    static let cannotShareExtents =
        "not deduplicated: this filesystem cannot share extents (FIDEDUPERANGE); use link, or btrfs/XFS with reflink"

    /// Makes `size` bytes of the duplicate (open as `reader`) share the keeper's extents, chunk by
    /// chunk as the kernel allows, and returns the bytes it reported shared.
    ///
    /// Touches the disk: changes which blocks the duplicate uses, never its bytes, inode or
    /// metadata. A range the kernel finds different is reported, never forced; the ranges before
    /// it, which were equal, stay shared.
    func shareExtents(
        _ keeperReader: FileDescriptor, keeper: Int32, with reader: FileDescriptor, duplicate: Int32, device: UInt64,
        size: Int64
    ) throws(LinkFailure) -> Int64 {
        guard !devicesWithoutDedupe.contains(device) else {
            throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: Self.cannotShareExtents))
        }
        probeFreeSpace(device, through: reader, file: duplicate)
        var offset: Int64 = 0
        while offset < size {
            let length = min(Self.dedupeChunk, size - offset)
            let result: DedupeRangeResult
            do {
                result = try Syscalls.dedupeRange(from: keeperReader, offset: offset, length: length, to: reader, offset: offset)
            } catch {
                if offset == 0 && [.notSupported, .invalidArgument, .inappropriateIOCTLForDevice].contains(error) {
                    devicesWithoutDedupe.insert(device)
                    throw .skipped(DupelinkError(.refused, path: path(of: duplicate), detail: Self.cannotShareExtents))
                }
                throw .skipped(
                    DupelinkError(.ioError, path: path(of: duplicate), errno: error,
                        operation: "share the extents of \(PathText.display(path(of: keeper))) at byte \(offset) with"))
            }
            switch result {
            case .differs:
                let shared = offset > 0 ? "; its first \(offset) bytes, which were equal, share the kept copy's extents" : ""
                throw .skipped(
                    DupelinkError(.refused, path: path(of: duplicate),
                        detail: "not deduplicated: contents differ from the kept copy \(PathText.display(path(of: keeper))) at byte \(offset) or after, as the kernel compared them\(shared)"))
            case .same(let bytes):
                guard bytes > 0 else {
                    throw .skipped(
                        DupelinkError(.ioError, path: path(of: duplicate),
                            detail: "the kernel shared no bytes at byte \(offset); not deduplicated further"))
                }
                offset += bytes
            }
        }
        return offset
    }

    /// Whether every extent of the duplicate's data (open as `reader`) is already one of the
    /// keeper's, so that `FIDEDUPERANGE` would free nothing: its extent map has only countable
    /// shared extents (see `SharedExtents`), each range of them once, all lying in the keeper's.
    /// False on a filesystem whose extent maps cannot show shared blocks (asked once per
    /// filesystem, by `statfs` type, before any `FIEMAP` call), for a file without data, and
    /// whenever a map cannot be read: the kernel is then asked, and says.
    ///
    /// Touches the disk: reads both files' extent maps (metadata), changes nothing.
    func sharesEveryExtent(_ keeperReader: FileDescriptor, with reader: FileDescriptor, device: UInt64) -> Bool {
        if devicesMappingExtents[device] == nil {
            devicesMappingExtents[device] =
                (try? Syscalls.filesystemType(of: reader)).map(SharedExtentStage.mapsSharedExtents) ?? false
        }
        guard devicesMappingExtents[device] == true, let duplicate = try? SharedExtentStage.map(reader),
            duplicate.dataBytes > 0, duplicate.shared.byteCount == duplicate.dataBytes,
            let keeper = try? SharedExtentStage.map(keeperReader)
        else { return false }
        return duplicate.shared.overlap(with: keeper.shared) == duplicate.dataBytes
    }

    /// Remembers the free space of `device` before its first change, through a descriptor of
    /// its own (a duplicate of `descriptor`) kept until `finishFreeSpaceProbes`.
    private func probeFreeSpace(_ device: UInt64, through descriptor: FileDescriptor, file: Int32) {
        guard freeSpaceProbes[device] == nil, let probe = try? descriptor.duplicate() else { return }
        try? Syscalls.synchronizeFilesystem(probe)
        guard let available = try? Syscalls.availableBytes(probe) else {
            Syscalls.closeQuietly(probe)
            return
        }
        freeSpaceProbes[device] = (probe, file, available)
    }

    /// Measures the free space of every filesystem changed, after committing it, into the
    /// outcome, and closes the probes' descriptors.
    func finishFreeSpaceProbes() {
        for (device, probe) in freeSpaceProbes.sorted(by: { $0.key < $1.key }) {
            // A filesystem that cannot share extents was not changed: nothing to measure.
            guard !devicesWithoutDedupe.contains(device) else {
                Syscalls.closeQuietly(probe.descriptor)
                continue
            }
            try? Syscalls.synchronizeFilesystem(probe.descriptor)
            if let after = try? Syscalls.availableBytes(probe.descriptor) {
                outcome.freeSpace.append(
                    LinkOutcome.FreeSpace(device: device, file: probe.file, availableBefore: probe.availableBefore, availableAfter: after))
            }
            Syscalls.closeQuietly(probe.descriptor)
        }
        freeSpaceProbes = [:]
    }
}
