/// The `classes` of the JSON report: one object per class of identical files, and in its `files`
/// one object per name with the fingerprint its inode had when it was compared. The hot part of a
/// report: a file's object is written with three checks for room.
extension JSONOutput {
    /// `classes`, in the scan's order, keys sorted.
    mutating func classes(_ report: ScanReport) {
        let scan = report.scan
        // Where every name is, in the order they are written, gathered in a loop that does
        // nothing else: the records are scattered over the walk's array, and this way the
        // processor fetches many at once instead of one per object written.
        var locations: [NameLocation] = []
        locations.reserveCapacity(scan.classes.reduce(0) { $0 + $1.nameCount })
        for duplicateClass in scan.classes {
            for member in duplicateClass.members {
                for name in member.names { locations.append(NameLocation(scan.files[Int(name)])) }
            }
        }
        var next = 0
        byte(UInt8(ascii: "["))
        var firstClass = true
        for (index, duplicateClass) in scan.classes.enumerated() {
            var member = true
            // At most 193 bytes: element 6, brace 1, four keys of at most 37, two numbers of at
            // most 20, digest 34, bracket 1.
            write(atMost: 256) { out in
                out.element(indent: 2, first: &firstClass)
                out.byte(UInt8(ascii: "{"))
                out.key("alreadySharedBytes", indent: 3, first: &member)
                out.integer(report.alreadySharedByClass[index])
                out.key("apparentReclaimableBytes", indent: 3, first: &member)
                out.integer(report.apparentReclaimableByClass[index])
                if let digest = duplicateClass.digest {
                    out.key("digest", indent: 3, first: &member)
                    out.digest(digest)
                }
                out.key("files", indent: 3, first: &member)
                out.byte(UInt8(ascii: "["))
            }
            var firstFile = true
            // By position: a `for` over the members would copy each, and retain its names.
            for position in duplicateClass.members.indices {
                let status = duplicateClass.members[position].status
                let id = duplicateClass.members[position].id
                let attributes = JSONReport.attributesField(duplicateClass.members[position].attributes)
                for _ in 0..<duplicateClass.members[position].names.count {
                    let location = locations[next]
                    next += 1
                    let directory = scan.table.directories[Int(location.directory)].id
                    file(at: location, directory: directory, id: id, status: status, attributes: attributes, first: &firstFile)
                }
            }
            close(UInt8(ascii: "]"), indent: 3, wasEmpty: firstFile)
            key("reclaimableBytes", indent: 3, first: &member)
            integer(report.reclaimableByClass[index])
            key("size", indent: 3, first: &member)
            integer(duplicateClass.size)
            close(UInt8(ascii: "}"), indent: 2, wasEmpty: false)
        }
        close(UInt8(ascii: "]"), indent: 1, wasEmpty: firstClass)
    }

    /// One name's object in a class's `files`: the name at `location`, in the directory whose
    /// identity is `directory`, of the inode `id` as `status` and `attributes` describe it.
    private mutating func file(
        at location: NameLocation, directory: FileID, id: FileID, status: FileStatus,
        attributes: JSONReport.AttributesField?, first firstFile: inout Bool
    ) {
        loadPath(of: location)
        var field = true
        // At most: 10 (element) + 1 + 10 members of at most 35 (key) + 21 (value), the
        // attributes' digest, 35 + 34, and two decimal times of 35 + 33.
        write(atMost: 11 + 10 * 56 + 69 + 2 * 68) { out in
            out.element(indent: 4, first: &firstFile)
            out.byte(UInt8(ascii: "{"))
            out.key("allocatedBytes", indent: 5, first: &field)
            out.integer(status.allocatedBytes)
            switch attributes {
            case .digest(let digest):
                out.key("attributesDigest", indent: 5, first: &field)
                out.digest(digest)
            case .unreadable:
                out.key("attributesDigest", indent: 5, first: &field)
                out.raw("\"unreadable\"")
            case nil:
                break
            }
            out.key("changeTime", indent: 5, first: &field)
            out.decimalTime(status.changeTime)
            out.key("changeTimeNs", indent: 5, first: &field)
            out.integer(status.changeTime)
            out.key("device", indent: 5, first: &field)
            out.integer(id.device)
            out.key("directoryDevice", indent: 5, first: &field)
            out.integer(directory.device)
            out.key("directoryInode", indent: 5, first: &field)
            out.integer(directory.inode)
            out.key("gid", indent: 5, first: &field)
            out.integer(status.groupID)
            out.key("inode", indent: 5, first: &field)
            out.integer(id.inode)
            out.key("links", indent: 5, first: &field)
            out.integer(status.linkCount)
            out.key("mode", indent: 5, first: &field)
            out.integer(status.mode)
            out.key("modificationTime", indent: 5, first: &field)
            out.decimalTime(status.modificationTime)
            out.key("modificationTimeNs", indent: 5, first: &field)
            out.integer(status.modificationTime)
        }
        pathMembers(indent: 5, first: &field)
        // At most: 2 members of at most 21 (key) + 21 (value), and 11 to close.
        write(atMost: 2 * 42 + 11) { out in
            out.key("size", indent: 5, first: &field)
            out.integer(status.size)
            out.key("uid", indent: 5, first: &field)
            out.integer(status.userID)
            out.close(UInt8(ascii: "}"), indent: 4, wasEmpty: false)
        }
        flushIfFull()
    }
}
