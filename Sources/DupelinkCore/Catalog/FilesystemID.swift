import Glibc
import SystemPackage

/// The identity of a filesystem that, unlike `st_dev`, is meant to survive a remount or a reboot.
///
/// The catalog keys digests by (filesystem, inode), so the identity decides whether a digest
/// computed in an earlier run can be found again. It is one of, in order of preference:
///
/// - `uuid:<UUID>`: the filesystem UUID, found by matching the device's major:minor with the
///   targets of the `/dev/disk/by-uuid/*` links. Stable for as long as the filesystem exists.
/// - `fsid:<fsid>`: `f_fsid` from `statvfs`, in hexadecimal. ext4 and btrfs derive
///   `f_fsid` from their UUID (btrfs also mixes in the subvolume, whose inode numbers are separate),
///   so it is as stable as the UUID there; XFS and some others derive it from the device number,
///   so it changes when the device number does.
/// - `dev:<major>:<minor>`: the device number, when neither of the above is available.
///
/// When an identity changes (a device renumbered after a reboot, a tmpfs mounted again), the
/// digests stored under the old identity are simply not found any more and are computed again:
/// never wrong, only slower. When two filesystems ever come to share an identity (a disk swapped
/// for another that receives the same device number, an LVM snapshot carrying its origin's UUID),
/// a stored digest is still only trusted while the inode's size, modification time and change
/// time, all in nanoseconds, match the ones it was computed for; the change time is set by the
/// kernel and cannot be set back by a user.
@_spi(Stages) public struct FilesystemID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The identity as stored in the catalog: `uuid:…`, `fsid:…` or `dev:…`.
    @_spi(Stages) public var rawValue: String

    /// Creates an identity from its stored form.
    @_spi(Stages) public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Whether the identity is only the device number, which may change across reboots.
    @_spi(Stages) public var isDeviceNumber: Bool { rawValue.hasPrefix("dev:") }

    /// The stored form.
    @_spi(Stages) public var description: String { rawValue }

    /// Orders identities by their stored form, so listings are stable.
    @_spi(Stages) public static func < (lhs: FilesystemID, rhs: FilesystemID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The identity made only from a device number: `dev:<major>:<minor>`.
    @_spi(Stages) public static func deviceNumber(_ device: UInt64) -> FilesystemID {
        FilesystemID(rawValue: "dev:\(DeviceNumber.major(device)):\(DeviceNumber.minor(device))")
    }

    /// Works out the identity of the filesystem that holds `path`, whose `st_dev` is `device`.
    ///
    /// Touches the disk: reads the `/dev/disk/by-uuid` directory and calls `statvfs` on `path`;
    /// changes nothing. Never fails: when nothing better is found the device number is used.
    /// `path` is only used for `statvfs`, and only when it still lies on `device`.
    @_spi(Stages) public static func resolve(device: UInt64, path: [UInt8]) -> FilesystemID {
        var uuids = UUIDDirectory()
        return resolve(device: device, path: path, uuids: &uuids)
    }

    /// `resolve(device:path:)` with the `/dev/disk/by-uuid` listing read once for many devices.
    static func resolve(device: UInt64, path: [UInt8], uuids: inout UUIDDirectory) -> FilesystemID {
        if let uuid = uuids.uuid(ofDevice: device) {
            return FilesystemID(rawValue: "uuid:\(uuid)")
        }
        if let fsid = statfsIdentity(device: device, path: path) {
            return fsid
        }
        return deviceNumber(device)
    }

    /// `fsid:<fsid>` from `fstatvfs` on `path`, when `path` is on `device` and `f_fsid` is not zero.
    private static func statfsIdentity(device: UInt64, path: [UInt8]) -> FilesystemID? {
        guard !path.isEmpty, !path.contains(0) else { return nil }
        let descriptor = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        }
        guard descriptor >= 0 else { return nil }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, UInt64(status.st_dev) == device else { return nil }
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { return nil }
        // glibc folds the kernel's two 32-bit halves into one value, the first half low; put it
        // first again, so the identity reads as `stat -f` prints the ID.
        let folded = UInt64(info.f_fsid)
        guard folded != 0 else { return nil }
        let fsid = (folded << 32) | (folded >> 32)
        return FilesystemID(rawValue: "fsid:\(hex16(fsid))")
    }
}

/// Resolves filesystem identities for the devices met in one run, each device once.
///
/// Use it from one thread, before a parallel pass: resolve the devices of the roots (or of every
/// directory in a `PathTable`), then hand it to `Catalog.cachedDigests(for:filesystems:)` and use
/// `identity(ofDevice:)` when storing digests.
@_spi(Stages) public struct FilesystemIdentities: Sendable {
    private var byDevice: [UInt64: FilesystemID] = [:]
    private var uuids = UUIDDirectory()

    /// Creates an empty resolver.
    @_spi(Stages) public init() {}

    /// The identity of the filesystem whose `st_dev` is `device`, worked out on first use.
    ///
    /// Touches the disk the first time a device is seen (see `FilesystemID.resolve(device:path:)`);
    /// `path` must name a file or directory on that device.
    @discardableResult
    @_spi(Stages) public mutating func resolve(device: UInt64, path: [UInt8]) -> FilesystemID {
        if let known = byDevice[device] { return known }
        let identity = FilesystemID.resolve(device: device, path: path, uuids: &uuids)
        byDevice[device] = identity
        return identity
    }

    /// Resolves the device of every directory the walk entered, using the first directory seen on
    /// each device.
    ///
    /// Touches the disk once per device.
    @_spi(Stages) public mutating func resolve(_ table: PathTable) {
        for index in table.directories.indices {
            let device = table.directories[index].id.device
            if byDevice[device] == nil {
                // The made-up root of a file named in the working directory has no shown path.
                let path = table.path(ofDirectory: Int32(index))
                resolve(device: device, path: path.isEmpty ? Array(".".utf8) : path)
            }
        }
    }

    /// Records identities worked out elsewhere (tests use made-up devices).
    mutating func assume(_ pairs: [(UInt64, FilesystemID)]) {
        for (device, identity) in pairs { byDevice[device] = identity }
    }

    /// The identity already resolved for `device`, or nil.
    @_spi(Stages) public func identity(ofDevice device: UInt64) -> FilesystemID? { byDevice[device] }

    /// Every device resolved so far, with its identity.
    @_spi(Stages) public var resolved: [UInt64: FilesystemID] { byDevice }
}

/// The major and minor numbers of a Linux `dev_t`, as glibc's `gnu_dev_major` and `gnu_dev_minor` compute them.
enum DeviceNumber {
    /// The major number (the driver).
    static func major(_ device: UInt64) -> UInt64 { ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff) }
    /// The minor number (the device within the driver).
    static func minor(_ device: UInt64) -> UInt64 { (device & 0xff) | ((device >> 12) & ~0xff) }
}

/// The `/dev/disk/by-uuid` directory read once: the device number each UUID link points at.
struct UUIDDirectory: Sendable {
    private var map: [UInt64: String]?

    /// Creates a listing that is read on first use.
    init() {}

    /// The UUID of the block device `device`, if udev published one.
    mutating func uuid(ofDevice device: UInt64) -> String? {
        if map == nil { map = Self.read() }
        return map?[device]
    }

    private static func read() -> [UInt64: String] {
        var result: [UInt64: String] = [:]
        guard let directory = opendir("/dev/disk/by-uuid") else { return result }
        defer { closedir(directory) }
        let directoryDescriptor = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name.isEmpty || name.first == UInt8(ascii: ".") { continue }
            var status = stat()
            let found = (name + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { fstatat(directoryDescriptor, $0.baseAddress!, &status, 0) }
            }
            // Follows the link; only block devices count (a partition, a LUKS mapping, an LVM volume).
            guard found == 0, status.st_mode & S_IFMT == S_IFBLK else { continue }
            // udev escapes unusual characters (\x2f); the name is kept as udev wrote it.
            let uuid = String(decoding: name, as: UTF8.self)
            let device = UInt64(status.st_rdev)
            // Two links to one device (never expected): keep the smaller name, so the choice is stable.
            if let existing = result[device], existing <= uuid { continue }
            result[device] = uuid
        }
        return result
    }
}

private func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
