import DupelinkTestSupport
import Foundation

/// A filesystem mounted for one test (a tmpfs, or a loop-mounted ext4, XFS or btrfs image),
/// unmounted (and its image removed) at the end. Needs root; `init` throws `Skip` where the tools
/// are missing or mounting is refused.
final class Mounted {
    let base: TestTree
    let point: String

    init(_ kind: String) throws {
        base = try TestTree()
        point = base.rootString + "/mnt"
        try base.makeDirectory("mnt")
        var mounted: Int32
        if kind == "tmpfs" {
            mounted = run("/bin/mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", point])
        } else {
            let image = base.rootString + "/image"
            guard run("/usr/bin/truncate", ["-s", "320M", image]) == 0 else {
                throw Skip(reason: "cannot make a 320 MB image in \(base.rootString)")
            }
            let mkfs: [String] =
                switch kind {
                case "xfs": ["/usr/sbin/mkfs.xfs", "-q", "-m", "reflink=1", image]
                case "btrfs": ["/usr/sbin/mkfs.btrfs", "-q", image]
                default: ["/usr/sbin/mkfs.ext4", "-q", "-F", image]
                }
            guard FileManager.default.isExecutableFile(atPath: mkfs[0]), run(mkfs[0], Array(mkfs.dropFirst())) == 0 else {
                throw Skip(reason: "\(mkfs[0]) is missing or failed (install xfsprogs, btrfs-progs, e2fsprogs)")
            }
            mounted = run("/bin/mount", ["-o", "loop", image, point])
        }
        guard mounted == 0 else { throw Skip(reason: "mounting a \(kind) here was refused") }
    }

    deinit {
        _ = run("/usr/bin/chattr", ["-R", "-f", "-i", "-a", point])
        _ = run("/bin/umount", ["-l", point])
    }

    func path(_ relative: String) -> String { point + "/" + relative }

    /// Why the filesystem could not be made or mounted here: the test is skipped with it.
    struct Skip: Error { var reason: String }
}
