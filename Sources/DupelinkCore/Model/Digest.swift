/// A 128-bit XXH3 digest.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The high 64 bits.
    public var high: UInt64
    /// The low 64 bits.
    public var low: UInt64

    /// Creates a digest from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }

    /// The digest as 32 lowercase hexadecimal digits, high half first, as `xxh128sum` prints it.
    public var description: String { hex(high) + hex(low) }

    /// Parses 32 hexadecimal digits, as `description` prints them.
    public init?(hex text: some StringProtocol) {
        guard text.utf8.count == 32,
            let high = UInt64(text.prefix(16), radix: 16),
            let low = UInt64(text.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
