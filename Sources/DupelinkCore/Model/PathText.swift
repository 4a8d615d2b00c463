/// How paths are shown to people and encoded for programs.
public enum PathText {
    /// The path as valid UTF-8 text, or nil when its bytes are not UTF-8.
    public static func utf8(_ bytes: some Collection<UInt8>) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// The path for a terminal: as is when it is printable UTF-8, otherwise quoted the way bash's
    /// `$'...'` reads it back (`$'new\nline'`, `$'caf\xe9'`), so every path fits on one line and
    /// can be pasted into a shell.
    public static func display(_ bytes: some Collection<UInt8>) -> String {
        if let text = utf8(bytes), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return text
        }
        var quoted = "$'"
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"): quoted += "\\n"
            case UInt8(ascii: "\t"): quoted += "\\t"
            case UInt8(ascii: "\r"): quoted += "\\r"
            case UInt8(ascii: "\\"): quoted += "\\\\"
            case UInt8(ascii: "'"): quoted += "\\'"
            case 0x20..<0x7F: quoted.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x80...:
                // Keep valid multi-byte UTF-8 sequences as characters; escape stray bytes.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                let end = bytes.index(index, offsetBy: length, limitedBy: bytes.endIndex) ?? bytes.endIndex
                if length > 1, let character = utf8(bytes[index..<end]) {
                    quoted += character
                    index = end
                    continue
                }
                quoted += "\\x" + hexByte(byte)
            default: quoted += "\\x" + hexByte(byte)
            }
            index = bytes.index(after: index)
        }
        return quoted + "'"
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
