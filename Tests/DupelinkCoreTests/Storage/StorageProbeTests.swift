import DupelinkTestSupport
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// The storage below a filesystem, found through the mount table and sysfs, on real mounts: the
/// root filesystem, a tmpfs, and a loop device over a file.
@Suite struct StorageProbeTests {
    /// What sysfs says of the disk below `path`'s filesystem, read here the plain way: the mount
    /// table's source device, its partition's parent, its `queue/rotational`.
    static func expectedKind(ofDiskBelow path: String) throws -> StorageKind? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let device = UInt64(status.st_dev)
        let node = URL(fileURLWithPath: "/sys/dev/block/\(StorageProbe.major(device)):\(StorageProbe.minor(device))")
            .resolvingSymlinksInPath()
        guard FileManager.default.fileExists(atPath: node.path) else { return nil }
        let disk = FileManager.default.fileExists(atPath: node.appendingPathComponent("partition").path)
            ? node.deletingLastPathComponent() : node
        // Device-mapper, md and loop devices lead elsewhere: this plain reading covers disks only.
        let slaves = (try? FileManager.default.contentsOfDirectory(atPath: disk.appendingPathComponent("slaves").path)) ?? []
        guard slaves.isEmpty, !disk.lastPathComponent.hasPrefix("loop") else { return nil }
        let rotational = try String(contentsOf: disk.appendingPathComponent("queue/rotational"), encoding: .utf8)
        let driver = disk.appendingPathComponent("device/driver").resolvingSymlinksInPath().lastPathComponent
        if driver == "virtio_blk" { return .virtual }
        return rotational.hasPrefix("1") ? .rotational : .solidState
    }

    static func device(of path: String) -> UInt64 {
        var status = stat()
        return stat(path, &status) == 0 ? UInt64(status.st_dev) : 0
    }

    @Test func theRootFilesystemIsWhatItsDiskSays() throws {
        let storage = StorageProbe.describe(device: Self.device(of: "/"), filesystemType: nil)
        #expect(storage.source != "", "the mount table names the root's source: \(storage)")
        if let expected = try Self.expectedKind(ofDiskBelow: "/") {
            #expect(storage.kind == expected, "\(storage)")
            #expect(storage.disks.count == 1 && storage.evidence.contains("queue/rotational"))
        } else {
            #expect(storage.kind != .memory, "\(storage)")
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aTmpfsIsMemory() throws {
        let tree = try TestTree()
        let point = tree.rootString + "/mnt"
        try tree.makeDirectory("mnt")
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", point]) == 0)
        defer { _ = run("/bin/umount", ["-l", point]) }
        let storage = StorageProbe.describe(device: Self.device(of: point), filesystemType: 0x0102_1994)
        #expect(storage.kind == .memory && storage.filesystem == "tmpfs", "\(storage)")
        #expect(!storage.kind.readsAsRotational)
    }

    @Test(.enabled(if: getuid() == 0, "attaching a loop device needs root"))
    func aLoopDeviceOverAFileIsTheDiskHoldingTheFile() throws {
        let tree = try TestTree(base: "/var/tmp")
        let image = tree.rootString + "/image"
        let point = tree.rootString + "/mnt"
        try tree.makeDirectory("mnt")
        try #require(run("/usr/bin/truncate", ["-s", "64M", image]) == 0)
        try #require(run("/usr/sbin/mkfs.ext4", ["-q", "-F", image]) == 0)
        try #require(run("/bin/mount", ["-o", "loop", image, point]) == 0, "mounting a loop device was refused")
        defer { _ = run("/bin/umount", ["-l", point]) }
        let storage = StorageProbe.describe(device: Self.device(of: point), filesystemType: nil)
        let below = StorageProbe.describe(device: Self.device(of: image), filesystemType: nil)
        #expect(storage.filesystem == "ext4" && storage.source.hasPrefix("/dev/loop"), "\(storage)")
        // The loop device serves a file: it spins if the disk holding the file does.
        #expect(storage.kind == below.kind, "\(storage) over \(below)")
        #expect(storage.disks == below.disks)
        #expect(storage.evidence.contains("serves \(image)"), "\(storage.evidence)")
    }

    @Test func theMountTablesOctalEscapesAreUndone() {
        #expect(StorageProbe.unescaped("/mnt/my\\040disk") == "/mnt/my disk")
        #expect(StorageProbe.unescaped("/plain") == "/plain")
        #expect(StorageProbe.makeDevice(254, 0) == 65024)
        #expect(StorageProbe.major(65024) == 254 && StorageProbe.minor(65024) == 0)
        #expect(StorageProbe.major(StorageProbe.makeDevice(259, 300)) == 259 && StorageProbe.minor(StorageProbe.makeDevice(259, 300)) == 300)
    }
}
