import Testing
@_spi(Stages) @testable import DupelinkCore

/// Paths built from cached directory paths, against `PathTable.path(ofFile:)`, which walks the
/// chain of directories for every file.
@Suite struct DirectoryPathsTests {
    /// A table with every shape of root: `/`, a relative root ending in a slash, the hidden `.`
    /// made up for a file given as a root, an absolute root; and nested, odd and non-UTF-8 names.
    func table() -> (table: PathTable, files: [FileRecord]) {
        var table = PathTable()
        var files: [FileRecord] = []
        let id = FileID(device: 1, inode: 1)
        let status = FileStatus(
            id: id, mode: 0o100644, linkCount: 1, userID: 0, groupID: 0, size: 1, blocks: 0, modificationTime: 0,
            changeTime: 0)
        func file(_ directory: Int32, _ name: [UInt8]) {
            let (start, length) = table.appendName(name)
            files.append(FileRecord(directory: directory, nameStart: start, nameLength: UInt16(length), status: status))
        }
        let slash = table.addDirectory(parent: -1, name: Array("/".utf8), id: id, root: 0)
        let etc = table.addDirectory(parent: slash, name: Array("etc".utf8), id: id, root: 0)
        let relative = table.addDirectory(parent: -1, name: Array("rel/".utf8), id: id, root: 1)
        let odd = table.addDirectory(parent: relative, name: [0x6F, 0xFF, 0x0A], id: id, root: 1)
        let deeper = table.addDirectory(parent: odd, name: Array("a-b".utf8), id: id, root: 1)
        let hidden = table.addDirectory(parent: -1, name: Array(".".utf8), id: id, root: 2, isShown: false)
        let absolute = table.addDirectory(parent: -1, name: Array("/tmp/x".utf8), id: id, root: 3)
        let child = table.addDirectory(parent: absolute, name: Array("y".utf8), id: id, root: 3)
        // A name cut in the middle of a character, and a name that starts with the rest of one.
        let truncated = table.addDirectory(parent: relative, name: [0x61, 0xC3], id: id, root: 1)
        let accented = table.addDirectory(parent: child, name: Array("\u{E9}t\u{E9}".utf8), id: id, root: 3)
        // Files of a child before files of its parent, so that a child's path is built first.
        file(deeper, Array("f".utf8))
        file(slash, Array("top".utf8))
        file(etc, Array("passwd".utf8))
        file(relative, [0xC3, 0x28])
        file(odd, Array("g".utf8))
        file(hidden, Array("alone".utf8))
        file(child, Array("z".utf8))
        file(absolute, Array("w".utf8))
        file(deeper, Array("h".utf8))
        file(truncated, [0xA9, 0x62])
        file(hidden, [0xA9])
        file(accented, Array("caf\u{E9}".utf8))
        file(accented, [0x63, 0xE9])
        file(slash, [0xF0, 0x9F, 0x98, 0x80])
        // The path of a directory, as a file's: a prefix of the paths of the files in it.
        file(absolute, Array("y".utf8))
        return (table, files)
    }

    @Test func pathsAreThoseOfThePathTable() {
        let (table, files) = table()
        var paths = DirectoryPaths(table: table)
        for record in files {
            var built: [UInt8] = []
            paths.appendPath(ofFile: record, to: &built)
            #expect(built == table.path(ofFile: record))
        }
        #expect(table.path(ofFile: files[0]) == [0x72, 0x65, 0x6C, 0x2F, 0x6F, 0xFF, 0x0A, 0x2F, 0x61, 0x2D, 0x62, 0x2F, 0x66])
        #expect(table.path(ofFile: files[5]) == Array("alone".utf8))
        #expect(table.path(ofFile: files[1]) == Array("/top".utf8))
    }

    @Test func validityOfAPathIsThatOfItsDirectoryAndName() {
        let (table, files) = table()
        var paths = DirectoryPaths(table: table)
        for record in files {
            let path = table.path(ofFile: record)
            #expect(paths.isUTF8(NameLocation(record)) == (String(validating: path, as: UTF8.self) != nil), "\(path)")
        }
        #expect(files.filter { paths.isUTF8(NameLocation($0)) }.count == 8)
    }

    @Test func namePathsCompareAsTheirJoinedBytesDo() {
        let (table, files) = table()
        let member = { (names: [Int32]) in
            Member(names: names, status: files[0].status)
        }
        let classes = [
            DuplicateClass(size: 1, digest: nil, members: [member([0, 1, 2]), member([3, 4, 5, 6, 7, 8])]),
            DuplicateClass(size: 1, digest: nil, members: [member([9, 10]), member([11]), member([12, 13, 14])]),
        ]
        let paths = NamePaths(table: table, files: files, namesIn: classes)
        #expect(paths.count == files.count)
        paths.withComparator { precedes in
            for left in files.indices {
                for right in files.indices {
                    let expected = table.path(ofFile: files[left]).lexicographicallyPrecedes(table.path(ofFile: files[right]))
                    #expect(precedes(left, right) == expected, "\(left) < \(right)")
                }
            }
        }
    }
}
