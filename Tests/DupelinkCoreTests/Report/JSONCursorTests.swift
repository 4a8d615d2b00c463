import DupelinkTestSupport
import Foundation
import Testing

@_spi(Stages) @testable import DupelinkCore

/// The pieces the JSON writer writes through a pointer, against plain references: decimal digits
/// from `String`, escapes byte by byte, documents read back by `JSONDecoder`.
@Suite struct JSONCursorTests {
    /// What `body` writes, given room for `limit` bytes.
    func written(limit: Int = 64, _ body: (inout JSONCursor) -> Void) -> [UInt8] {
        var result: [UInt8] = []
        var writer = ByteWriter { result.append(contentsOf: $0) }
        var output = JSONOutput(writer: writer, table: PathTable())
        output.write(atMost: limit, body)
        output.flush()
        writer = output.writer
        writer.flush()
        return result
    }

    @Test func integersAreWrittenAsTheirDecimalDigits() {
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, .max, .min, .min + 1, -1, -10, -99, -100]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power]
        }
        for value in values {
            #expect(written { $0.integer(value) } == Array(String(value).utf8), "\(value)")
        }
        for value: UInt64 in [.max, .max - 1, 10_000_000_000_000_000_000, 9_999_999_999_999_999_999, 1 << 63] {
            #expect(written { $0.integer(value) } == Array(String(value).utf8), "\(value)")
        }
    }

    @Test func digestsAreWrittenAsTheirDescription() {
        for digest in [Digest(high: 0, low: 0), Digest(high: .max, low: 1), Digest(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)] {
            #expect(written { $0.digest(digest) } == Array("\"\(digest.description)\"".utf8))
        }
    }

    /// Escapes byte by byte, as the writer did before it looked at eight bytes at a time.
    func reference(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): result += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): result += Array("\\\\".utf8)
            case 0x08: result += Array("\\b".utf8)
            case 0x09: result += Array("\\t".utf8)
            case 0x0A: result += Array("\\n".utf8)
            case 0x0C: result += Array("\\f".utf8)
            case 0x0D: result += Array("\\r".utf8)
            case ..<0x20: result += Array(String(format: "\\u%04x", byte).utf8)
            default: result.append(byte)
            }
        }
        return result + [UInt8(ascii: "\"")]
    }

    @Test func everyByteAtEveryPositionOfAWordIsEscapedAsByteByByte() {
        // 19 bytes: two whole words and a tail of three, so each position of each is tried.
        let plain = Array("abcdefghijklmnopqrs".utf8)
        for position in plain.indices {
            for byte in UInt8.min...UInt8.max {
                var bytes = plain
                bytes[position] = byte
                let escaped = bytes.withUnsafeBufferPointer { bytes in written { $0.escaped(bytes) } }
                #expect(escaped == reference(bytes), "byte \(byte) at \(position)")
            }
        }
    }

    @Test func aPathLargerThanTheBufferGrowsItAndReadsBack() throws {
        // 30,000 control characters escape to 180,000 bytes, more than the buffer holds.
        let bytes = (0..<30_000).map { UInt8($0 % 0x20) }
        var result: [UInt8] = []
        var writer = ByteWriter { result.append(contentsOf: $0) }
        var output = JSONOutput(writer: writer, table: PathTable())
        output.raw("[")
        for _ in 0..<3 {
            output.pathObject(bytes, indent: 0)
            output.raw(",")
        }
        output.pathObject(bytes + [0xFF], indent: 0)
        output.raw("]")
        output.flush()
        writer = output.writer
        writer.flush()
        let values = try JSONDecoder().decode([JSONReport.PathValue].self, from: Data(result))
        #expect(values.map(\.bytes) == [bytes, bytes, bytes, bytes + [0xFF]])
        #expect(values[3].pathBase64 != nil)
    }
}
