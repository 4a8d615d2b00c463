import DupelinkCore
import DupelinkTestSupport
import Foundation
import Glibc
import Testing

/// A program that holds a file open for writing (a log, a database, an editor) while `link`
/// runs: linking that file would send its next writes to an inode with no name left (the
/// duplicate), or make them show under every name (the kept copy). Such a file is left alone and
/// reported, and every write the program makes afterwards is found under its name.
@Suite struct OpenWriterTests {
    enum Held: String, CaseIterable, CustomTestStringConvertible {
        case duplicate, keeper
        var testDescription: String { rawValue }
    }

    @Test(arguments: Held.allCases)
    func aFileHeldOpenForWritingIsNotLinkedAndNoLaterWriteIsLost(held: Held) throws {
        let tree = try TestTree()
        var contents: [String: [UInt8]] = [:]
        for index in 0..<40 {
            let bytes = patternBytes(count: 3000 + index, seed: UInt64(900 + index))
            // "k" is older, so it is the copy kept (the oldest modification time wins).
            contents["k\(index)"] = bytes
            contents["d\(index)"] = bytes
            try tree.write("k\(index)", bytes)
            try tree.write("d\(index)", bytes)
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
            #expect(withCPath(tree.path("k\(index)")) { utimensat(AT_FDCWD, $0, &times, 0) } == 0)
        }
        // The writer: every fourth file of the side held, open for appending for the whole run.
        let heldNames = stride(from: 0, to: 40, by: 4).map { (held == .duplicate ? "d" : "k") + "\($0)" }
        let descriptors = heldNames.map { name in withCPath(tree.path(name)) { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) } }
        #expect(descriptors.allSatisfy { $0 >= 0 })
        let result = try #require(try Hostile.run(Hostile.arguments("link", "--no-catalog", tree.rootString)))
        // The program goes on writing, then closes.
        let line = Array("written after the run\n".utf8)
        for descriptor in descriptors {
            #expect(line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == line.count)
            close(descriptor)
        }
        #expect(result.status == 1, "\(result.standardError)")
        for name in heldNames {
            // The write is under the name the program opened, and under no other.
            #expect(try tree.read(name) == (contents[name] ?? []) + line, "\(name): a write was lost")
            let other = (name.first == "d" ? "k" : "d") + name.dropFirst()
            #expect(try tree.read(other) == contents[other], "\(other) changed with \(name)")
            #expect(result.standardError.contains(tree.rootString + "/" + name + ": open for writing by another program"), "\(result.standardError)")
        }
        #expect(result.standardError.contains("open for writing"), "\(result.standardError)")
        // The rest was linked.
        for index in 0..<40 where index % 4 != 0 {
            #expect(try tree.status("k\(index)").st_ino == tree.status("d\(index)").st_ino)
        }
    }

    @Test(arguments: ["split", "undo"])
    func aNameHeldOpenForWritingIsNotSeparatedAndNoLaterWriteIsLost(command: String) throws {
        let tree = try TestTree()
        let state = try TestTree()
        let catalog = state.rootString + "/catalog.sqlite"
        let contents = (0..<6).map { patternBytes(count: 8000 + $0, seed: UInt64(950 + $0)) }
        for index in 0..<6 {
            try tree.write("a\(index)", contents[index])
            try tree.write("b\(index)", contents[index])
        }
        let link = try CLI.run("link", "--quiet", "--catalog", catalog, tree.rootString)
        try #require(link.status == 0, "\(link.standardError)")
        // A program holds b0 and b3 open for writing.
        let heldNames = ["b0", "b3"]
        let descriptors = heldNames.map { name in withCPath(tree.path(name)) { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) } }
        #expect(descriptors.allSatisfy { $0 >= 0 })
        let arguments = command == "split"
            ? ["split", "--catalog", catalog].map { Array($0.utf8) } + (0..<6).map { tree.path("b\($0)") }
            : Hostile.arguments("undo", "--catalog", catalog, "1")
        let result = try #require(try Hostile.run(arguments))
        let line = Array("written after the run\n".utf8)
        for descriptor in descriptors {
            #expect(line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == line.count)
            close(descriptor)
        }
        #expect(result.status == 1, "\(result.standardError)")
        for name in heldNames {
            #expect(try tree.read(name) == contents[Int(name.dropFirst()) ?? 0] + line, "\(name): a write was lost")
            #expect(result.standardError.contains(tree.rootString + "/" + name + ": open for writing by another program"), "\(result.standardError)")
        }
        // The names nobody held are files of their own again, with their content.
        for index in [1, 2, 4, 5] {
            #expect(try tree.status("b\(index)").st_nlink == 1)
            #expect(try tree.read("b\(index)") == contents[index])
        }
    }
}
