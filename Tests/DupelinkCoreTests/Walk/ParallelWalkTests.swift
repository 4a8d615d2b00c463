import Glibc
import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The walk reads directories on several threads; these tests pin down that the number of threads
/// changes nothing but the time.
@Suite struct ParallelWalkTests {
    func walk(_ roots: [[UInt8]], threads: Int, _ configure: (inout WalkOptions) -> Void = { _ in }) -> WalkResult {
        var options = WalkOptions()
        configure(&options)
        return Walker(options: options).walk(roots: roots, pool: WorkerPool(threadCount: threads))
    }

    /// Everything a walk result says, in its order, as comparable text.
    func listing(_ result: WalkResult) -> [String] {
        let table = result.table
        var lines: [String] = []
        for (index, directory) in table.directories.enumerated() {
            let parent = directory.parent < 0 ? "-" : String(decoding: table.path(ofDirectory: directory.parent), as: UTF8.self)
            lines.append("dir \(index) \(table.path(ofDirectory: Int32(index))) id \(directory.id) root \(directory.root) parent \(parent)")
        }
        for file in result.files {
            lines.append("file \(table.path(ofFile: file)) in \(file.directory) id \(file.status.id) size \(file.status.size)")
        }
        lines += result.diagnostics.map { "diagnostic \($0.stage) \($0.error.path) \($0)" }
        lines.append("special \(result.skippedSpecial) roots \(result.rootsScanned)")
        return lines
    }

    /// A tree of about 400 directories over four levels, with odd names, hidden names, hard links,
    /// symbolic links and a FIFO.
    func makeBushyTree() throws -> TestTree {
        let tree = try TestTree()
        for top in 0..<6 {
            for middle in 0..<8 {
                for leaf in 0..<8 {
                    let directory = "t\(top)/m\(middle)/l\(leaf)"
                    try tree.write("\(directory)/f", [UInt8(top), UInt8(middle), UInt8(leaf)])
                    if leaf % 3 == 0 { try tree.write("\(directory)/.hidden", [1, 2]) }
                }
                try tree.write("t\(top)/m\(middle)/between", [UInt8(middle)])
            }
            try tree.write("t\(top)/first", [UInt8(top)])
        }
        try tree.write(bytes: Array("t0/".utf8) + [0x66, 0xFF, 0x0A, 0x22, 0x5C], [7])
        try tree.write("t1/-dash", [7])
        try tree.write("t1/\u{1F600}", [7])
        try tree.link("t0/first", "t2/second-name")
        try tree.symlink("../t0", "t3/loop")
        #expect(withCPath(tree.path("t4/fifo")) { mkfifo($0, 0o644) } == 0)
        return tree
    }

    @Test func anyNumberOfThreadsGivesTheSameTableFilesAndDiagnostics() throws {
        let tree = try makeBushyTree()
        let roots = [tree.root, tree.path("t1/m2"), tree.path("t2/m3/between"), tree.path("missing"), tree.path("t5")]
        let reference = listing(walk(roots, threads: 1))
        #expect(reference.filter { $0.hasPrefix("file ") }.count == 6 * 8 * (8 + 3 + 1) + 6 + 4)
        for threads in [2, 3, 8, 16, 8, 8] {
            #expect(listing(walk(roots, threads: threads)) == reference, "threads: \(threads)")
        }
        let filtered: (inout WalkOptions) -> Void = {
            $0.includeHidden = false
            $0.excludes = ["l3", tree.rootString + "/t2/*"]
            $0.minimumSize = 2
        }
        #expect(listing(walk(roots, threads: 8, filtered)) == listing(walk(roots, threads: 1, filtered)))
    }

    @Test func wideDirectoryIsWalkedCompletelyAndEveryDescriptorIsClosed() throws {
        let tree = try TestTree()
        for index in 0..<2_000 { try tree.write("wide/d\(index)/f", [UInt8(index % 251)]) }
        let result = walk([tree.root], threads: 8)
        #expect(result.files.count == 2_000)
        #expect(result.diagnostics.isEmpty)
        #expect(Set(result.files.map { result.table.path(ofFile: $0) }).count == 2_000)
        // Other tests run at the same time in this process: look only for descriptors of this tree.
        #expect(openDescriptors(under: tree.root).count == 0)
    }

    @Test(.enabled(if: getuid() == 0, "a bind mount needs root"))
    func directoryReachedTwiceUnderOneRootIsWalkedAsOneThreadWouldWalkIt() throws {
        let tree = try TestTree()
        try tree.write("a/one", [1])
        try tree.write("a/deeper/two", [2])
        for index in 0..<50 { try tree.write("b\(index)/file", [UInt8(index)]) }
        try tree.makeDirectory("z/bind")
        try #require(run("/bin/mount", ["--bind", tree.rootString + "/a", tree.rootString + "/z/bind"]) == 0)
        defer { run("/bin/umount", ["-l", tree.rootString + "/z/bind"]) }
        let reference = walk([tree.root], threads: 1)
        // a's two files once, under whichever of a and z/bind readdir gave first, and the 50 others.
        #expect(reference.files.count == 52)
        for _ in 0..<5 {
            #expect(listing(walk([tree.root], threads: 8)) == listing(reference))
        }
    }

    /// The targets of this process's open descriptors that lie under `root`.
    func openDescriptors(under root: [UInt8]) -> [[UInt8]] {
        guard let directory = opendir("/proc/self/fd") else { return [[]] }
        defer { closedir(directory) }
        var found: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            var target = [CChar](repeating: 0, count: 8192)
            let length = readlink("/proc/self/fd/" + name, &target, target.count)
            guard length > 0 else { continue }
            let bytes = target[..<length].map { UInt8(bitPattern: $0) }
            if bytes.starts(with: root) { found.append(bytes) }
        }
        return found
    }
}
