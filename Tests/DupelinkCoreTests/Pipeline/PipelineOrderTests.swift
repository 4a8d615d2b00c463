import Glibc
import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

/// The order a scan reports in: names within a member, members within a class and classes, all by
/// whole path bytes, which is neither text order nor component order.
@Suite struct PipelineOrderTests {
    /// `cafe` and a combining acute accent: the same text as `caf\u{E9}` for `String`, but its
    /// bytes (`65 CC 81` after `caf`) sort before `C3 A9`.
    static let decomposed = Array("cafe\u{301}".utf8)
    static let precomposed = Array("caf\u{E9}".utf8)
    /// Not UTF-8.
    static let invalid: [UInt8] = [0x61, 0xFF]

    @Test func classesMembersAndNamesAreOrderedByPathBytes() throws {
        let tree = try TestTree()
        // Reclaimable 20,000 bytes: first, although its names sort last.
        let accented = patternBytes(count: 20_000, seed: 21)
        try tree.write(bytes: Self.precomposed, accented)
        try tree.write(bytes: Self.decomposed, accented)
        // Reclaimable 3 x 4,000: one inode with three names out of path order, another inode
        // whose only name sorts after the first. `a-b` sorts before `a/b` ('-' is 0x2D, '/' 0x2F),
        // although component by component `a` would come first.
        let linked = patternBytes(count: 4000, seed: 22)
        try tree.write("m/p", linked)
        try tree.makeDirectory("b")
        try tree.link("m/p", "b/z")
        try tree.link("m/p", "a-b")
        try tree.write("a/b", linked)
        // Reclaimable 2 x 6,000: the same as the class above; `a.q` sorts after `a-b`, so it comes
        // second. 0xFF sorts after every ASCII byte.
        let tied = patternBytes(count: 6000, seed: 23)
        try tree.write(bytes: Self.invalid, tied)
        try tree.write("q/q", tied)
        try tree.write("a.q", tied)
        // Reclaimable 100 bytes: last.
        let small = patternBytes(count: 100, seed: 24)
        try tree.write("s/x", small)
        try tree.write("s-x", small)

        let result = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        let reported = result.classes.map { duplicateClass in
            duplicateClass.members.map { member in member.names.map { result.path(ofFile: $0) } }
        }
        let expected: [[[[UInt8]]]] = [
            [[tree.path(Self.decomposed)], [tree.path(Self.precomposed)]],
            [[tree.path("a-b"), tree.path("b/z"), tree.path("m/p")], [tree.path("a/b")]],
            [[tree.path("a.q")], [tree.path(Self.invalid)], [tree.path("q/q")]],
            [[tree.path("s-x")], [tree.path("s/x")]],
        ]
        #expect(reported == expected)
    }

    @Test func orderDoesNotDependOnTheOrderClassesArriveIn() throws {
        let tree = try TestTree()
        for index in 0..<6 {
            let contents = patternBytes(count: 1000 + 10 * (index % 3), seed: UInt64(30 + index))
            try tree.write("d\(index)/one", contents)
            try tree.write("d\(index)-two", contents)
            try tree.write("d\(index).three", contents)
        }
        let result = try Pipeline(options: ScanOptions()).scan(roots: [tree.root])
        let shuffled = result.classes.reversed().map { duplicateClass in
            var reversed = duplicateClass
            reversed.members = duplicateClass.members.reversed().map { member in
                var member = member
                member.names.reverse()
                return member
            }
            return reversed
        }
        let again = Pipeline.ordered(Array(shuffled), table: result.table, files: result.files)
        let paths = { (classes: [DuplicateClass]) in
            classes.map { $0.members.map { $0.names.map { result.path(ofFile: $0) } } }
        }
        #expect(paths(again) == paths(result.classes))
        // Classes of equal reclaimable size follow their first path byte by byte: `d0-two` before
        // `d0.three` before `d0/one`.
        #expect(paths(result.classes).first?.first?.first == tree.path("d2-two"))
        #expect(paths(result.classes).first?.map(\.[0]) == [tree.path("d2-two"), tree.path("d2.three"), tree.path("d2/one")])
    }
}
