/// Formats byte counts for people: `512 B`, `1.5 KiB`, `3.2 GiB` (powers of 1024, as `ls -h` and
/// `du -h` use).
package enum ByteSize {
    /// The count in the largest unit that keeps it at or above 1, with one decimal below 100.
    package static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = value < 100 ? (value * 10).rounded() / 10 : value.rounded()
        let text = rounded == rounded.rounded() && value >= 100 ? String(Int64(rounded)) : String(rounded)
        return "\(text) \(units[unit])"
    }

    /// Parses a size such as `4096`, `10k`, `1.5M`, `2G`, `1T` (powers of 1024; a trailing `B` or
    /// `iB` is accepted). Returns nil for anything else.
    package static func parse(_ text: String) -> Int64? {
        var body = text.trimmingCharacters(in: " ").lowercased()
        for suffix in ["ib", "b"] where body.hasSuffix(suffix) && body.count > suffix.count {
            body.removeLast(suffix.count)
            break
        }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50]
        var multiplier: Int64 = 1
        if let last = body.last, let factor = multipliers[last] {
            multiplier = factor
            body.removeLast()
        }
        guard !body.isEmpty, let value = Double(body), value >= 0, value.isFinite else { return nil }
        let bytes = (value * Double(multiplier)).rounded()
        guard bytes < Double(Int64.max) else { return nil }
        return Int64(bytes)
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
