/// Says what is wrong with text that is not the JSON a report can be, and where: Foundation's
/// decoder on Linux says only "The given data was not valid JSON". Run only after decoding
/// failed, so a good report pays nothing.
enum JSONSyntax {
    /// How deep arrays and objects may nest; a report nests six levels.
    static let maximumDepth = 64

    /// The first problem in `bytes` as a sentence with its byte offset, line and column, or nil
    /// when the text is well-formed JSON within the limits.
    static func firstError(in bytes: [UInt8]) -> String? {
        var scanner = Scanner(bytes: bytes)
        do throws(Failure) {
            scanner.skipSpace()
            try scanner.value(depth: 0)
            scanner.skipSpace()
            if scanner.position < bytes.count { throw Failure(what: "text after the end of the JSON value", at: scanner.position) }
            return nil
        } catch {
            return "\(error.what) at byte \(error.at) (\(location(of: error.at, in: bytes)))"
        }
    }

    private struct Failure: Error {
        var what: String
        var at: Int
    }

    private static func location(of offset: Int, in bytes: [UInt8]) -> String {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return "line \(line), column \(column)"
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
            guard current == byte else { throw unexpected(what) }
            position += 1
        }

        func unexpected(_ wanted: String) -> Failure {
            guard let byte = current else { return Failure(what: "the text ends where \(wanted) was expected", at: position) }
            let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
            return Failure(what: "\(shown) where \(wanted) was expected", at: position)
        }

        mutating func value(depth: Int) throws(Failure) {
            switch current {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JSONSyntax.maximumDepth else {
                    throw Failure(what: "arrays and objects nested deeper than \(JSONSyntax.maximumDepth) levels", at: position)
                }
                try container(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case let byte? where byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")):
                try number()
            default: throw unexpected("a value")
            }
        }

        mutating func container(depth: Int) throws(Failure) {
            let isObject = current == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            position += 1
            skipSpace()
            if current == close {
                position += 1
                return
            }
            while true {
                if isObject {
                    guard current == UInt8(ascii: "\"") else { throw unexpected("a key in quotes") }
                    try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "':'")
                    skipSpace()
                }
                try value(depth: depth)
                skipSpace()
                if current == close {
                    position += 1
                    return
                }
                try expect(UInt8(ascii: ","), isObject ? "',' or '}'" : "',' or ']'")
                skipSpace()
            }
        }

        mutating func string() throws(Failure) {
            let start = position
            position += 1
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { break }
                    position += 1
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let digit = current, digit.isHexDigit else {
                                throw unexpected("a hexadecimal digit of a \\u escape")
                            }
                            position += 1
                        }
                    } else if !Array("\"\\/bfnrt".utf8).contains(escaped) {
                        throw Failure(what: "an unknown escape '\\\(Character(Unicode.Scalar(escaped)))' in a string", at: position - 2)
                    }
                case 0..<0x20: throw Failure(what: "a control character inside a string", at: position - 1)
                default: break
                }
            }
            throw Failure(what: "a string that is never closed", at: start)
        }

        mutating func literal(_ word: String) throws(Failure) {
            for byte in word.utf8 {
                guard current == byte else { throw unexpected("'\(word)'") }
                position += 1
            }
        }

        mutating func number() throws(Failure) {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, first.isDigit else { throw unexpected("a digit") }
            position += 1
            if first != UInt8(ascii: "0") { while current?.isDigit == true { position += 1 } }
            var isInteger = true
            if current == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard current?.isDigit == true else { throw unexpected("a digit after '.'") }
                while current?.isDigit == true { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard current?.isDigit == true else { throw unexpected("a digit of the exponent") }
                while current?.isDigit == true { position += 1 }
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            let inRange = isInteger ? (Int64(text) != nil || UInt64(text) != nil) : (Double(text)?.isFinite ?? false)
            if !inRange { throw Failure(what: "the number \(text), out of range", at: start) }
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    fileprivate var isHexDigit: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}
