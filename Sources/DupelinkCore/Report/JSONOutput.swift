/// The output buffer and the pieces of JSON syntax, laid out as `JSONEncoder`'s `.prettyPrinted`
/// does: two spaces per level, `"key" : value`, an empty array or object as an empty line.
struct JSONOutput {
    var writer: ByteWriter
    var buffer: [UInt8] = []
    /// Reused for each path.
    var path: [UInt8] = []
    var chain: [Int32] = []

    init(writer: ByteWriter) {
        self.writer = writer
        buffer.reserveCapacity(1 << 17)
        path.reserveCapacity(4096)
    }

    mutating func flush() {
        writer.write(bytes: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func flushIfFull() {
        if buffer.count >= 1 << 16 { flush() }
    }

    // MARK: Syntax

    mutating func raw(_ text: StaticString) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func newline(indent: Int) {
        buffer.append(UInt8(ascii: "\n"))
        for _ in 0..<indent { buffer.append(UInt8(ascii: " ")); buffer.append(UInt8(ascii: " ")) }
    }

    /// Starts a member: `,` unless it is the first, a new line, the key.
    mutating func key(_ name: StaticString, indent: Int, first: inout Bool) {
        if !first { buffer.append(UInt8(ascii: ",")) }
        first = false
        newline(indent: indent)
        buffer.append(UInt8(ascii: "\""))
        raw(name)
        raw("\" : ")
    }

    /// Starts an array element (or a member's value that spans lines): `,` unless first, new line.
    mutating func element(indent: Int, first: inout Bool) {
        if !first { buffer.append(UInt8(ascii: ",")) }
        first = false
        newline(indent: indent)
    }

    /// Closes an array or object opened at `indent`; an empty one gets an empty line.
    mutating func close(_ bracket: UInt8, indent: Int, wasEmpty: Bool) {
        if wasEmpty { buffer.append(UInt8(ascii: "\n")) }
        newline(indent: indent)
        buffer.append(bracket)
    }

    mutating func integer(_ value: some BinaryInteger) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            // The magnitude of Int64.min does not fit in Int64; UInt64 holds it.
            unsigned(UInt64(value.magnitude))
        } else {
            unsigned(UInt64(value))
        }
    }

    mutating func unsigned(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes, 20 needed
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[31 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            buffer.append(contentsOf: raw[(32 - count)...])
        }
    }

    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

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
        buffer.append(contentsOf: text.utf8)
    }

    /// A string value, quoted and escaped.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { escaped($0) }
    }

    /// UTF-8 bytes, quoted and escaped.
    mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(UInt8(ascii: "\""))
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if start < index { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index])) }
            start = index + 1
            buffer.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
            case 0x08: buffer.append(UInt8(ascii: "b"))
            case 0x09: buffer.append(UInt8(ascii: "t"))
            case 0x0A: buffer.append(UInt8(ascii: "n"))
            case 0x0C: buffer.append(UInt8(ascii: "f"))
            case 0x0D: buffer.append(UInt8(ascii: "r"))
            default:
                raw("u00")
                buffer.append(hexDigit(byte >> 4))
                buffer.append(hexDigit(byte & 0xF))
            }
        }
        if start < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
        buffer.append(UInt8(ascii: "\""))
    }

    func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    // MARK: Paths

    /// Fills `path` with the bytes of a file's path, as `PathTable.path(ofFile:)` spells it,
    /// without allocating.
    mutating func loadPath(ofFile record: FileRecord, in table: PathTable) {
        loadPath(ofDirectory: record.directory, in: table)
        if !path.isEmpty && path.last != UInt8(ascii: "/") { path.append(UInt8(ascii: "/")) }
        path.append(contentsOf: table.name(ofFile: record))
    }

    mutating func loadPath(ofDirectory index: Int32, in table: PathTable) {
        path.removeAll(keepingCapacity: true)
        chain.removeAll(keepingCapacity: true)
        var current = index
        while current >= 0 {
            chain.append(current)
            current = table.directories[Int(current)].parent
        }
        for position in chain.indices.reversed() {
            let entry = table.directories[Int(chain[position])]
            if position == chain.count - 1 && !entry.isShown { continue }
            if !path.isEmpty && path.last != UInt8(ascii: "/") { path.append(UInt8(ascii: "/")) }
            path.append(contentsOf: table.name(start: entry.nameStart, length: entry.nameLength))
        }
    }

    /// The members of a path value (`path`, and `pathBase64` when the bytes in `path` are not
    /// UTF-8), as `JSONReport.PathValue` encodes them.
    mutating func pathMembers(indent: Int, first: inout Bool) {
        let isUTF8 = path.withUnsafeBufferPointer { bytes in
            bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
        }
        key("path", indent: indent, first: &first)
        if isUTF8 {
            path.withUnsafeBufferPointer { escaped($0) }
        } else {
            string(String(decoding: path, as: UTF8.self))
            key("pathBase64", indent: indent, first: &first)
            buffer.append(UInt8(ascii: "\""))
            Base64.append(path, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
    }

    /// A path value as an object of its own (`roots`, `keeper`, `warnings[].path`...), its bytes
    /// already in `path`.
    mutating func pathObject(indent: Int) {
        buffer.append(UInt8(ascii: "{"))
        var first = true
        pathMembers(indent: indent + 1, first: &first)
        close(UInt8(ascii: "}"), indent: indent, wasEmpty: false)
    }

    mutating func pathObject(_ bytes: [UInt8], indent: Int) {
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: bytes)
        pathObject(indent: indent)
    }
}

/// Standard base64 (RFC 4648, with padding, no line breaks), as `Data.base64EncodedString()`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int(value >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
    }
}
