import SystemPackage

/// The one error type the library throws: what failed, on which path, and why.
///
/// Its `description` is a sentence a user can act on.
public struct DupelinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw name of the code, stable for scripts.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A system call failed; `errno` says why.
        public static let ioError = Code("io-error")
        /// A directory on a file's path is no longer the one the walk entered.
        public static let directoryChanged = Code("directory-changed")
        /// A file changed after it was compared.
        public static let fileChanged = Code("file-changed")
        /// A root given on the command line cannot be scanned.
        public static let badRoot = Code("bad-root")
        /// The catalog database cannot be used.
        public static let catalog = Code("catalog")
        /// The catalog, a file beside it or a folder above it can be changed by someone other
        /// than the running user and root, so it is not used (see `CatalogTrust`).
        public static let untrustedCatalog = Code("untrusted-catalog")
        /// The run was interrupted by SIGINT or SIGTERM.
        public static let cancelled = Code("cancelled")
        /// The input (for example a saved report) is not usable.
        public static let invalidInput = Code("invalid-input")
    }

    /// What kind of failure this is.
    public var code: Code
    /// The path involved, as raw bytes (may be empty).
    public var path: [UInt8]
    /// The system error, when a system call failed.
    public var errno: Errno?
    /// The operation that failed, in a few words ("open", "read", "link").
    public var operation: String?
    /// More detail, when the code and errno do not say enough.
    public var detail: String?

    /// Creates an error.
    public init(_ code: Code, path: [UInt8] = [], errno: Errno? = nil, operation: String? = nil, detail: String? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
        self.operation = operation
        self.detail = detail
    }

    /// The path as people see it (`PathText.display`): as is when printable UTF-8, else quoted
    /// as bash's `$'...'` reads it back, so no byte is lost.
    public var displayPath: String { PathText.display(path) }

    public var description: String {
        var text: String
        switch code {
        case .directoryChanged:
            text = "\(displayPath): directory changed since the scan (renamed, replaced or now a symbolic link)"
        case .fileChanged:
            text = "\(displayPath): changed since it was compared"
        case .cancelled:
            text = "interrupted"
        case .untrustedCatalog:
            return "catalog \(displayPath): not trusted: \(detail ?? "it can be changed by another user")"
        default:
            var parts: [String] = []
            if let operation { parts.append("cannot \(operation)") }
            if let errno { parts.append(errno.description) }
            text = parts.joined(separator: ": ")
            if let detail { text += text.isEmpty ? detail : " (\(detail))" }
            if text.isEmpty { text = code.rawValue }
            return path.isEmpty ? text : "\(displayPath): \(text)"
        }
        if let detail { text += " (\(detail))" }
        return text
    }
}
