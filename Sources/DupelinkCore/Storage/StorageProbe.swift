import Foundation
import SystemPackage

/// What kind of storage a filesystem lives on, which decides how it is read: a spinning disk
/// wants few readers and reads in the disk's order; flash and memory want many readers.
public enum StorageKind: String, Sendable, Codable, Hashable {
    /// A spinning disk (`queue/rotational` is 1), or a device built on one.
    case rotational
    /// Flash or any device that says it does not rotate.
    case solidState = "solid-state"
    /// tmpfs, ramfs, zram, brd: memory.
    case memory
    /// NFS, SMB/CIFS, 9p, Ceph, AFS and the like: every request crosses a network.
    case network
    /// A FUSE filesystem (sshfs and others): what is behind it is unknown.
    case fuse
    /// A disk a hypervisor emulates (virtio, Xen, or a SCSI disk whose vendor is QEMU, VMware,
    /// Hyper-V or VirtualBox): its `queue/rotational` says 1 whatever lies below, so it tells
    /// nothing; such disks are mostly backed by flash or a host's cache, and read as flash.
    case virtual
    /// Nothing could be learnt (no block device, no sysfs): read as if it rotated.
    case unknown

    /// Whether to read it as a spinning disk: rotating, or unknown (a wrong guess there costs
    /// parallelism on a fast device; the other wrong guess costs seeks on a slow one).
    public var readsAsRotational: Bool {
        switch self {
        case .rotational, .unknown, .fuse, .network: true
        case .solidState, .memory, .virtual: false
        }
    }
}

/// One filesystem the walk entered: the storage below it, and how the scan reads it.
public struct FilesystemStorage: Sendable, Codable, Hashable {
    /// The filesystem's device number (`st_dev`).
    public var device: UInt64
    /// Its type as the mount table names it (`ext4`, `btrfs`, `fuse.sshfs`, `tmpfs`).
    public var filesystem: String
    /// What it was mounted from (`/dev/sda1`, `server:/export`, `tmpfs`).
    public var source: String
    /// The kind of storage, the rotating one when several devices lie below it.
    public var kind: StorageKind
    /// The block devices at the bottom (`sda`, `nvme0n1`), for `--stats`.
    public var disks: [String]
    /// How the kind was learnt, for `--stats` ("sda: queue/rotational 1").
    public var evidence: String
    /// The readers the scan ran on it at most.
    public var readers = 0
    /// The order its files' head/tail blocks were read in.
    public var order = ""
    /// The bytes the content stage read from one file per turn.
    public var runBytes = 0
}

/// Finds the storage below a filesystem: the mount table names its source and type, sysfs leads
/// from a partition to its disk, from device-mapper and md devices to the devices under them, and
/// from a loop device to the file it serves and so to the filesystem holding that file, down to
/// the disks whose `queue/rotational` says whether they spin.
///
/// Reads `/proc/self/mountinfo` and `/sys`; opens no file of the scanned trees.
package enum StorageProbe {
    /// `f_type` values of network filesystems, from `<linux/magic.h>` and the filesystems' own headers.
    static let networkTypes: [UInt64: String] = [
        0x6969: "nfs", 0x517B: "smb", 0xFF53_4D42: "cifs", 0xFE53_4D42: "smb2", 0x0102_1997: "9p",
        0x00C3_6400: "ceph", 0x5346_414F: "afs", 0x0BD0_0BD0: "lustre",
    ]
    /// `FUSE_SUPER_MAGIC`.
    static let fuseType: UInt64 = 0x6573_5546
    /// tmpfs, ramfs.
    static let memoryTypes: Set<UInt64> = [0x0102_1994, 0x8584_58F6]

    /// One line of `/proc/self/mountinfo`.
    struct Mount {
        /// The mount id (`statx`'s `stx_mnt_id`), the line's first field.
        var id: UInt64
        var device: UInt64
        var type: String
        var source: String
    }

    /// Describes the filesystem with device number `device` and `statfs` type `type`.
    /// `mountID` (`statx`'s, when known) finds the mount where the device number cannot: btrfs
    /// gives each subvolume's files a device number of its own, which the mount table does not list.
    package static func describe(device: UInt64, filesystemType type: UInt64?, mountID: UInt64? = nil) -> FilesystemStorage {
        let mounts = readMounts()
        return describe(device: device, filesystemType: type, mountID: mountID, mounts: mounts, depth: 0)
    }

    static func describe(
        device: UInt64, filesystemType type: UInt64?, mountID: UInt64? = nil, mounts: [Mount], depth: Int
    ) -> FilesystemStorage {
        let mount = mounts.last { $0.id == mountID } ?? mounts.last { $0.device == device }
        var result = FilesystemStorage(
            device: device, filesystem: mount?.type ?? "unknown", source: mount?.source ?? "", kind: .unknown, disks: [],
            evidence: "no mount of device \(major(device)):\(minor(device)) in /proc/self/mountinfo")
        if let type, let name = networkTypes[type] {
            result.kind = .network
            result.evidence = "a network filesystem (\(name))"
            return result
        }
        if let mount {
            let base = mount.type.split(separator: ".").first.map(String.init) ?? mount.type
            if ["nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "afs", "glusterfs", "lustre"].contains(base) {
                result.kind = .network
                result.evidence = "a network filesystem (\(mount.type))"
                return result
            }
            if ["tmpfs", "ramfs", "devtmpfs"].contains(mount.type) || (type.map(memoryTypes.contains) ?? false) {
                result.kind = .memory
                result.evidence = "\(mount.type) is memory"
                return result
            }
            if (base == "fuse" || type == fuseType) && mount.type != "fuseblk" {
                result.kind = .fuse
                result.evidence = "a FUSE filesystem (\(mount.type)): read as a spinning disk"
                return result
            }
        }
        // The block device: the filesystem's own device number, else (btrfs and others report
        // an anonymous one) the device node it was mounted from.
        var blockDevice: UInt64? = major(device) != 0 ? device : nil
        if blockDevice == nil, let source = mount?.source, source.hasPrefix("/dev/") {
            var status = stat()
            if stat(source, &status) == 0 && (status.st_mode & S_IFMT) == S_IFBLK { blockDevice = UInt64(status.st_rdev) }
        }
        guard let blockDevice else {
            if mount != nil { result.evidence = "\(result.filesystem) has no block device below it" }
            return result
        }
        let found = blockKind(URL(fileURLWithPath: "/sys/dev/block/\(major(blockDevice)):\(minor(blockDevice))"),
            mounts: mounts, depth: depth)
        result.kind = found.kind
        result.disks = found.disks
        result.evidence = found.evidence
        return result
    }

    /// The kind of the block device at `node` (a `/sys/dev/block/M:m` link), following it down.
    static func blockKind(_ node: URL, mounts: [Mount], depth: Int) -> (kind: StorageKind, disks: [String], evidence: String) {
        var directory = node.resolvingSymlinksInPath()
        guard depth < 8, FileManager.default.fileExists(atPath: directory.path) else {
            return (.unknown, [], "\(node.path) is not in sysfs")
        }
        // A partition's queue is its disk's.
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("partition").path) {
            directory = directory.deletingLastPathComponent()
        }
        let name = directory.lastPathComponent
        if name.hasPrefix("loop"), let backing = text(directory.appendingPathComponent("loop/backing_file")) {
            var status = stat()
            guard stat(backing, &status) == 0 else { return (.unknown, [name], "\(name) serves \(backing), which is gone") }
            let below = describe(
                device: UInt64(status.st_dev), filesystemType: nil, mountID: mountID(ofPath: backing), mounts: mounts,
                depth: depth + 1)
            return (below.kind, below.disks, "\(name) serves \(backing), on \(below.filesystem): \(below.evidence)")
        }
        if name.hasPrefix("zram") || name.hasPrefix("ram") || name.hasPrefix("pmem") {
            return (.memory, [name], "\(name) is memory")
        }
        let slaves = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("slaves").path)) ?? []
        if !slaves.isEmpty {
            var kinds: [StorageKind] = []
            var disks: [String] = []
            var evidence: [String] = []
            for slave in slaves.sorted() {
                let below = blockKind(URL(fileURLWithPath: "/sys/class/block/\(slave)"), mounts: mounts, depth: depth + 1)
                kinds.append(below.kind)
                disks += below.disks
                evidence.append(below.evidence)
            }
            let kind = kinds.first(where: \.readsAsRotational) ?? kinds.first ?? .unknown
            return (kind, disks, "\(name) is built on \(slaves.sorted().joined(separator: ", ")): \(evidence.joined(separator: "; "))")
        }
        guard let rotational = text(directory.appendingPathComponent("queue/rotational")) else {
            return (.unknown, [name], "\(name) has no queue/rotational")
        }
        if let hypervisor = virtualDisk(directory) {
            return (.virtual, [name], "\(name) is a virtual disk (\(hypervisor)), whose queue/rotational \(rotational) tells nothing")
        }
        return (rotational == "0" ? .solidState : .rotational, [name], "\(name): queue/rotational \(rotational)")
    }

    /// The hypervisor's name when the disk at `directory` (in sysfs) is one a hypervisor
    /// emulates: by its driver (`virtio_blk`, Xen's `vbd`) or its SCSI vendor.
    static func virtualDisk(_ directory: URL) -> String? {
        let device = directory.appendingPathComponent("device")
        let driver = device.appendingPathComponent("driver").resolvingSymlinksInPath().lastPathComponent
        if ["virtio_blk", "vbd", "xen-blkfront"].contains(driver) { return driver }
        let vendor = text(device.appendingPathComponent("vendor")) ?? ""
        for name in ["QEMU", "VMware", "Msft", "VBOX", "Google"] where vendor.hasPrefix(name) { return "vendor \(vendor)" }
        return nil
    }

    /// The id of the mount `path` lies on, or nil.
    static func mountID(ofPath path: String) -> UInt64? {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return (try? Syscalls.mountID(of: FileDescriptor(rawValue: descriptor))) ?? nil
    }

    static func readMounts() -> [Mount] {
        guard let table = text(URL(fileURLWithPath: "/proc/self/mountinfo")) else { return [] }
        return table.split(separator: "\n").compactMap { line -> Mount? in
            // id parent major:minor root mountpoint options [optional fields] - type source super-options
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 6, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { return nil }
            let numbers = fields[2].split(separator: ":")
            guard numbers.count == 2, let high = UInt32(numbers[0]), let low = UInt32(numbers[1]) else { return nil }
            return Mount(
                id: UInt64(fields[0]) ?? UInt64.max, device: makeDevice(high, low), type: String(fields[dash + 1]),
                source: unescaped(String(fields[dash + 2])))
        }
    }

    /// The mount table writes space, tab, newline and backslash as `\040`-style octal escapes.
    static func unescaped(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func text(_ url: URL) -> String? {
        (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Glibc's `gnu_dev_major`, `gnu_dev_minor` and `gnu_dev_makedev`, which Swift does not import.
    static func major(_ device: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((device >> 32) & 0xFFFF_F000) | ((device >> 8) & 0xFFF)) }
    static func minor(_ device: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((device >> 12) & 0xFFFF_FF00) | (device & 0xFF)) }
    static func makeDevice(_ major: UInt32, _ minor: UInt32) -> UInt64 {
        let (high, low) = (UInt64(major), UInt64(minor))
        return ((high & 0xFFFF_F000) << 32) | ((high & 0xFFF) << 8) | ((low & 0xFFFF_FF00) << 12) | (low & 0xFF)
    }
}

extension StorageProbe {
    /// Each filesystem the walk entered (in the order it first met them), with the storage below
    /// it and the readers and order the scan uses there.
    ///
    /// Reads the mount table and sysfs, and `statfs` on one directory per filesystem.
    package static func filesystems(in table: PathTable, readers: Int) -> [FilesystemStorage] {
        var seen = Set<UInt64>()
        var result: [FilesystemStorage] = []
        let mounts = readMounts()
        for (index, directory) in table.directories.enumerated() where seen.insert(directory.id.device).inserted {
            // The type by `fstatfs` on the directory itself (a root or the first directory met).
            var type: UInt64? = nil
            let path = table.path(ofDirectory: Int32(index)).cString
            if let descriptor = try? Syscalls.openDirectory(path, in: Syscalls.currentDirectory, followSymlinks: true) {
                type = try? Syscalls.filesystemType(of: descriptor)
                Syscalls.closeQuietly(descriptor)
            }
            let mountID = directory.mountID == PathTable.unknownMount ? nil : directory.mountID
            var storage = describe(device: directory.id.device, filesystemType: type, mountID: mountID, mounts: mounts, depth: 0)
            storage.readers = readers
            storage.order = ReadPolicy.Order.directoryThenInode.rawValue
            result.append(storage)
        }
        return result
    }
}
