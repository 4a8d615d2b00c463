import DupelinkTestSupport
import Foundation
import Glibc
import Testing

@_spi(Stages) @testable import DupelinkCore

/// `dedupe` never forces a share: when a duplicate changes after every check of dupelink's, the
/// kernel's own comparison (`FIDEDUPERANGE`, under its locks) finds the range different, and the
/// file is reported "not deduplicated: contents differ" with its new bytes intact. On a
/// loop-mounted XFS (reflink=1) image made here.
@Suite struct DedupeDifferingRangeTests {
    @Test(.enabled(if: getuid() == 0, "loop-mounting XFS needs root"))
    func aRangeTheKernelFindsDifferentIsReportedAndNeverForced() throws {
        let base = try TestTree(base: "/var/tmp")
        let image = base.rootString + "/image"
        let point = base.rootString + "/mnt"
        try base.makeDirectory("mnt")
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.xfs"),
            run("/usr/bin/truncate", ["-s", "320M", image]) == 0,
            run("/usr/sbin/mkfs.xfs", ["-q", "-m", "reflink=1", image]) == 0,
            run("/bin/mount", ["-o", "loop", image, point]) == 0
        else { try Test.cancel("cannot make and mount an XFS image here (xfsprogs)") }
        defer { _ = run("/bin/umount", ["-l", point]) }
        let content = patternBytes(count: 4 << 20, seed: 1_300)
        try FileManager.default.createDirectory(atPath: point + "/scan", withIntermediateDirectories: true)
        for name in ["keep", "dup"] {
            #expect(FileManager.default.createFile(atPath: point + "/scan/" + name, contents: Data(content)))
        }
        sync()
        let scan = try LinkTestScan.scan([point + "/scan"])
        var options = LinkOptions()
        options.sharesExtents = true
        let plan = LinkPlanner.plan(scan, options: options)
        try #require(plan.actions.count == 1)
        let duplicate = scan.pathString(plan.actions[0].duplicate)
        var linker = Linker(sharesExtents: true)
        linker.usesLeases = false
        // After every check: the duplicate's last byte changes through an open descriptor.
        linker.beforeSwap = { path in
            guard String(decoding: path, as: UTF8.self) == duplicate else { return }
            let descriptor = open(duplicate, O_WRONLY)
            var byte: UInt8 = content[content.count - 1] ^ 0xFF
            _ = pwrite(descriptor, &byte, 1, off_t(content.count - 1))
            close(descriptor)
        }
        let outcome = linker.execute(plan, scan: scan, dryRun: false)
        #expect(outcome.replacements.isEmpty)
        let message = outcome.skipped.first?.error.description ?? ""
        #expect(message.contains("not deduplicated: contents differ from the kept copy"), "\(message)")
        // Nothing was forced: the duplicate holds its new bytes, the keeper its own.
        var changed = content
        changed[changed.count - 1] ^= 0xFF
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: duplicate))) == changed)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: point + "/scan/" + (duplicate.hasSuffix("keep") ? "dup" : "keep")))) == content)
    }
}
