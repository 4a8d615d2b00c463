import DupelinkCore
import Glibc

/// Writing to standard output and standard error, as bytes.
enum StandardStreams {
    /// Whether standard error is a terminal (progress is shown only then).
    static var errorIsTerminal: Bool { isatty(2) == 1 }

    /// Writes all of `bytes` to a descriptor; returns false when the write failed (for example a
    /// closed pipe).
    @discardableResult
    static func write(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    /// Prints a line on standard error, prefixed with `dupelink: `.
    static func error(_ message: String) {
        write(Array("dupelink: \(message)\n".utf8), to: 2)
    }

    /// Prints a warning about one file on standard error.
    static func warning(_ diagnostic: Diagnostic) {
        error("warning: " + diagnostic.description)
    }
}
