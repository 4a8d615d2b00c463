/// The output buffer of `JSONReportWriter`: pieces of JSON written through a `JSONCursor`, handed
/// on to a `ByteWriter` in pieces of about 64 KiB, and the paths of the report's files, each built
/// from its directory's path, which is built once.
struct JSONOutput {
    var writer: ByteWriter
    /// `buffer[..<count]` is written and not yet handed on; the rest is room to write in.
    private var buffer: [UInt8]
    private var count = 0
    /// The bytes of the path being written, reused for each path.
    var path: [UInt8] = []
    /// Whether `path` is valid UTF-8, when that is known without looking at it.
    private var pathIsUTF8: Bool?
    private var directories: DirectoryPaths

    init(writer: ByteWriter, table: PathTable) {
        self.writer = writer
        buffer = Array(repeating: 0, count: 1 << 17)
        path.reserveCapacity(4096)
        directories = DirectoryPaths(table: table)
    }

    mutating func flush() {
        buffer.withUnsafeBufferPointer { writer.write(bytes: UnsafeBufferPointer(rebasing: $0[..<count])) }
        count = 0
    }

    mutating func flushIfFull() {
        if count >= 1 << 16 { flush() }
    }

    /// Makes room for `limit` bytes and lets `body` write at most that many at the end of the
    /// output.
    mutating func write(atMost limit: Int, _ body: (inout JSONCursor) -> Void) {
        if buffer.count - count < limit { buffer.append(contentsOf: repeatElement(0, count: max(limit, buffer.count))) }
        let start = count
        count = buffer.withUnsafeMutableBufferPointer { room in
            guard let base = room.baseAddress else { return start }
            var cursor = JSONCursor(base + start)
            body(&cursor)
            let written = cursor.position - (base + start)
            // A piece that could outgrow its room is a bug here, never a property of the input.
            precondition(written <= limit, "a JSON piece overran its room")
            return start + written
        }
    }

    // MARK: Syntax, one piece at a time

    mutating func byte(_ value: UInt8) { write(atMost: 1) { $0.byte(value) } }

    mutating func raw(_ text: StaticString) { write(atMost: text.utf8CodeUnitCount) { $0.raw(text) } }

    /// Starts a member: `,` unless it is the first, a new line, the key.
    mutating func key(_ name: StaticString, indent: Int, first: inout Bool) {
        write(atMost: 7 + 2 * indent + name.utf8CodeUnitCount) { $0.key(name, indent: indent, first: &first) }
    }

    /// Starts an array element (or a member's value that spans lines): `,` unless first, new line.
    mutating func element(indent: Int, first: inout Bool) {
        write(atMost: 2 + 2 * indent) { $0.element(indent: indent, first: &first) }
    }

    /// Closes an array or object opened at `indent`; an empty one gets an empty line.
    mutating func close(_ bracket: UInt8, indent: Int, wasEmpty: Bool) {
        write(atMost: 3 + 2 * indent) { $0.close(bracket, indent: indent, wasEmpty: wasEmpty) }
    }

    mutating func integer(_ value: some BinaryInteger) { write(atMost: 21) { $0.integer(value) } }

    mutating func bool(_ value: Bool) { write(atMost: 5) { $0.bool(value) } }

    /// A double as `JSONEncoder` writes it: Swift's shortest round-trip form, without a trailing
    /// `.0` (`1e-07`, `0.25`, `3`).
    mutating func double(_ value: Double) {
        guard value.isFinite else {
            // The encoder refuses these; a stopwatch never gives one.
            raw("0")
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        text.withUTF8 { bytes in write(atMost: bytes.count) { $0.bytes(bytes) } }
    }

    /// A string value, quoted and escaped.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes in write(atMost: 2 + 6 * bytes.count) { $0.escaped(bytes) } }
    }

    // MARK: Paths

    /// Fills `path` with the bytes of a file's path, as `PathTable.path(ofFile:)` spells it.
    mutating func loadPath(ofFile record: FileRecord) {
        loadPath(of: NameLocation(record))
    }

    /// Fills `path` with the bytes of the path of the name at `location`.
    mutating func loadPath(of location: NameLocation) {
        path.removeAll(keepingCapacity: true)
        directories.appendPath(of: location, to: &path)
        pathIsUTF8 = directories.isUTF8(location)
    }

    /// The members of a path value (`path`, and `pathBase64` when the bytes in `path` are not
    /// UTF-8), as `JSONReport.PathValue` encodes them.
    mutating func pathMembers(indent: Int, first: inout Bool) {
        key("path", indent: indent, first: &first)
        if pathIsUTF8 ?? ((try? UTF8Span(validating: path.span)) != nil) {
            path.withUnsafeBufferPointer { bytes in write(atMost: 2 + 6 * bytes.count) { $0.escaped(bytes) } }
        } else {
            string(String(decoding: path, as: UTF8.self))
            key("pathBase64", indent: indent, first: &first)
            path.withUnsafeBufferPointer { bytes in write(atMost: 2 + 4 * (bytes.count + 2) / 3) { $0.base64(bytes) } }
        }
    }

    /// A path value as an object of its own (`roots`, `keeper`, `warnings[].path`...), its bytes
    /// already in `path`.
    mutating func pathObject(indent: Int) {
        byte(UInt8(ascii: "{"))
        var first = true
        pathMembers(indent: indent + 1, first: &first)
        close(UInt8(ascii: "}"), indent: indent, wasEmpty: false)
    }

    mutating func pathObject(_ bytes: [UInt8], indent: Int) {
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: bytes)
        pathIsUTF8 = nil
        pathObject(indent: indent)
    }
}
