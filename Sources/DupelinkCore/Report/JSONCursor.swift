/// Writes the pieces of JSON syntax through a pointer, into room that `JSONOutput.write(atMost:_:)`
/// has made, laid out as `JSONEncoder`'s `.prettyPrinted` does: two spaces per level,
/// `"key" : value`, an empty array or object as an empty line.
///
/// Nothing here checks for room: each piece says how many bytes it can take at most, and the caller
/// makes room for a whole object at once. Appending to an array instead checked uniqueness and
/// capacity for every piece, often for every byte, and that was most of the cost of a report.
struct JSONCursor {
    /// Where the next byte goes.
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ position: UnsafeMutablePointer<UInt8>) {
        self.position = position
    }

    // MARK: Bytes

    mutating func byte(_ value: UInt8) {
        position.pointee = value
        position += 1
    }

    /// Writes `text.utf8CodeUnitCount` bytes.
    mutating func raw(_ text: StaticString) {
        position.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        position += text.utf8CodeUnitCount
    }

    /// Writes `bytes.count` bytes.
    mutating func bytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    // MARK: Syntax

    /// At most 1 + 2 × `indent` bytes.
    mutating func newline(indent: Int) {
        byte(UInt8(ascii: "\n"))
        position.update(repeating: UInt8(ascii: " "), count: 2 * indent)
        position += 2 * indent
    }

    /// Starts a member: `,` unless it is the first, a new line, the key. At most
    /// 7 + 2 × `indent` + the key's length bytes.
    mutating func key(_ name: StaticString, indent: Int, first: inout Bool) {
        if !first { byte(UInt8(ascii: ",")) }
        first = false
        newline(indent: indent)
        byte(UInt8(ascii: "\""))
        raw(name)
        raw("\" : ")
    }

    /// Starts an array element (or a member's value that spans lines): `,` unless first, new
    /// line. At most 2 + 2 × `indent` bytes.
    mutating func element(indent: Int, first: inout Bool) {
        if !first { byte(UInt8(ascii: ",")) }
        first = false
        newline(indent: indent)
    }

    /// Closes an array or object opened at `indent`; an empty one gets an empty line. At most
    /// 3 + 2 × `indent` bytes.
    mutating func close(_ bracket: UInt8, indent: Int, wasEmpty: Bool) {
        if wasEmpty { byte(UInt8(ascii: "\n")) }
        newline(indent: indent)
        byte(bracket)
    }

    // MARK: Values

    /// At most 20 bytes.
    mutating func integer(_ value: some BinaryInteger) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            // The magnitude of Int64.min does not fit in Int64; UInt64 holds it.
            unsigned(UInt64(value.magnitude))
        } else {
            unsigned(UInt64(value))
        }
    }

    /// At most 20 bytes.
    mutating func unsigned(_ value: UInt64) {
        // From the last digit back, two at a time, into the end of 20 bytes of scratch; then the
        // digits written, copied at once.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { scratch in
            var start = 20
            var rest = value
            while rest >= 100 {
                let pair = Int(rest % 100)
                rest /= 100
                start -= 2
                scratch[start] = UInt8(ascii: "0") + UInt8(pair / 10)
                scratch[start + 1] = UInt8(ascii: "0") + UInt8(pair % 10)
            }
            if rest >= 10 {
                start -= 2
                scratch[start] = UInt8(ascii: "0") + UInt8(rest / 10)
                scratch[start + 1] = UInt8(ascii: "0") + UInt8(rest % 10)
            } else {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(rest)
            }
            guard let base = scratch.baseAddress else { return }
            UnsafeMutableRawPointer(position).copyMemory(from: base + start, byteCount: 20 - start)
            position += 20 - start
        }
    }

    /// Nanoseconds as `JSONReport.decimalTime` spells them, quoted: at most 33 bytes.
    mutating func decimalTime(_ nanoseconds: Int64) {
        byte(UInt8(ascii: "\""))
        if nanoseconds < 0 { byte(UInt8(ascii: "-")) }
        unsigned(nanoseconds.magnitude / 1_000_000_000)
        byte(UInt8(ascii: "."))
        var fraction = nanoseconds.magnitude % 1_000_000_000
        var divisor: UInt64 = 100_000_000
        for _ in 0..<9 {
            byte(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
        byte(UInt8(ascii: "\""))
    }

    /// `true` or `false`: at most 5 bytes.
    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// A digest as `Digest.description` spells it, quoted: 34 bytes.
    mutating func digest(_ digest: Digest) {
        byte(UInt8(ascii: "\""))
        hex(digest.high)
        hex(digest.low)
        byte(UInt8(ascii: "\""))
    }

    private mutating func hex(_ value: UInt64) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let digit = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xF
            byte(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }

    /// UTF-8 bytes, quoted and escaped: at most 2 + 6 × `bytes.count` bytes. Runs that need no
    /// escape are copied whole, found eight bytes at a time.
    mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        let words = UnsafeRawBufferPointer(bytes)
        var start = 0
        var index = 0
        while index < bytes.count {
            if index + 8 <= bytes.count && !Self.hasEscapedByte(words.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let value = bytes[index]
            index += 1
            guard value < 0x20 || value == UInt8(ascii: "\"") || value == UInt8(ascii: "\\") else { continue }
            if start < index - 1 { self.bytes(UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)])) }
            start = index
            byte(UInt8(ascii: "\\"))
            switch value {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(value)
            case 0x08: byte(UInt8(ascii: "b"))
            case 0x09: byte(UInt8(ascii: "t"))
            case 0x0A: byte(UInt8(ascii: "n"))
            case 0x0C: byte(UInt8(ascii: "f"))
            case 0x0D: byte(UInt8(ascii: "r"))
            default:
                raw("u00")
                byte(Self.hexDigit(value >> 4))
                byte(Self.hexDigit(value & 0xF))
            }
        }
        if start < bytes.count { self.bytes(UnsafeBufferPointer(rebasing: bytes[start...])) }
        byte(UInt8(ascii: "\""))
    }

    /// Whether a byte of `word` is below 0x20, `"` or `\`: one that JSON escapes. Subtracting from
    /// each byte borrows out of its top bit only when the byte is below what is subtracted, so
    /// each test is exact about whether some byte matches (which one may be blurred, and does not
    /// matter); bytes from 0x80 up, whose top bit is set already, are masked out.
    private static func hasEscapedByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        let below = { (word: UInt64, limit: UInt64) in (word &- ones &* limit) & ~word & tops }
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        return below(word, 0x20) | below(quote, 1) | below(backslash, 1) != 0
    }

    /// Standard base64 (RFC 4648, with padding, no line breaks), as
    /// `Data.base64EncodedString()`, quoted: at most 2 + 4 × (`bytes.count` + 2) / 3 bytes.
    mutating func base64(_ bytes: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift: UInt32 in [18, 12, 6, 0] { byte(Self.base64Digit(value >> shift & 63)) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            byte(Self.base64Digit(value >> 18 & 63))
            byte(Self.base64Digit(value >> 12 & 63))
            byte(rest == 2 ? Self.base64Digit(value >> 6 & 63) : UInt8(ascii: "="))
            byte(UInt8(ascii: "="))
        }
        byte(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    private static func base64Digit(_ value: UInt32) -> UInt8 {
        let value = UInt8(value)
        switch value {
        case 0..<26: return UInt8(ascii: "A") + value
        case 26..<52: return UInt8(ascii: "a") + value - 26
        case 52..<62: return UInt8(ascii: "0") + value - 52
        case 62: return UInt8(ascii: "+")
        default: return UInt8(ascii: "/")
        }
    }
}
