/// What an inode carries besides its bytes, owner, group and mode, and what every hard link to it
/// therefore shares: its extended attributes (POSIX ACLs, file capabilities and security labels
/// are extended attributes too) and its inode flags (`chattr`).
///
/// Two files may become one inode only when this is equal on both (`user.*` attributes aside,
/// when the user relaxes them), or one name would lose what it had and gain what the other had: a
/// capability spread to a plain copy, an ACL that lets another user read, a label of another
/// security domain.
public struct FileAttributes: Hashable, Sendable {
    /// One extended attribute.
    public struct Attribute: Hashable, Sendable {
        /// The full name with its namespace (`user.comment`, `security.capability`), as bytes.
        public var name: [UInt8]
        /// The value, byte for byte.
        public var value: [UInt8]

        /// Creates an attribute.
        public init(name: [UInt8], value: [UInt8]) {
            self.name = name
            self.value = value
        }

        /// What the attribute governs, by its name.
        public var kind: Kind { Kind(name: name) }
    }

    /// What an extended attribute governs, from its namespace and name.
    public enum Kind: Hashable, Sendable {
        /// `system.posix_acl_access` or `system.posix_acl_default`: who may read and write.
        case acl
        /// `security.capability`: privileges an executable gains.
        case capability
        /// Any other `security.*` attribute: SELinux, SMACK, AppArmor labels, IMA/EVM.
        case securityLabel
        /// `user.*`: the user's own metadata, which grants nothing.
        case user
        /// `trusted.*` and anything else.
        case other

        init(name: [UInt8]) {
            func starts(_ prefix: String) -> Bool { name.starts(with: prefix.utf8) }
            if starts("user.") { self = .user }
            else if starts("system.posix_acl_") { self = .acl }
            else if name.elementsEqual("security.capability".utf8) { self = .capability }
            else if starts("security.") { self = .securityLabel }
            else { self = .other }
        }
    }

    /// The extended attributes, sorted by name bytes.
    public var extended: [Attribute]
    /// The inode flags, with those the kernel sets by itself cleared (see `significantFlags`).
    public var flags: UInt32
    /// Whether the filesystem keeps extended attributes at all (false where listing them answers
    /// `EOPNOTSUPP`).
    public var supportsExtended: Bool

    /// Creates a set; `extended` is sorted by name and `flags` masked here.
    public init(extended: [Attribute], flags: UInt32, supportsExtended: Bool = true) {
        self.extended = extended.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        self.flags = flags & Self.significantFlags
        self.supportsExtended = supportsExtended
    }

    /// No attributes and no flags, on a filesystem that could keep them.
    public static let none = FileAttributes(extended: [], flags: 0)

    /// `FS_IMMUTABLE_FL`: the file cannot be changed, renamed, removed or linked.
    public static let immutableFlag: UInt32 = 0x0000_0010
    /// `FS_APPEND_FL`: the file can only be appended to.
    public static let appendOnlyFlag: UInt32 = 0x0000_0020

    /// The flags the kernel sets and clears by itself, which say how a file is stored and nothing
    /// about how it may be used, so two copies may differ in them: `FS_INDEX_FL` (hashed
    /// directory), `FS_HUGE_FILE_FL`, `FS_EXTENT_FL`, ext4's `EA_INODE` and `EOFBLOCKS`, and
    /// `FS_INLINE_DATA_FL`. Every other flag (nodump, noatime, nocow, compression, sync, dax,
    /// verity, encryption, project inheritance...) counts.
    public static let kernelFlags: UInt32 = 0x0000_1000 | 0x0004_0000 | 0x0008_0000 | 0x0020_0000 | 0x0040_0000 | 0x1000_0000
    /// The flags that are compared.
    public static let significantFlags: UInt32 = ~kernelFlags

    /// Whether the file is immutable (`chattr +i`).
    public var isImmutable: Bool { flags & Self.immutableFlag != 0 }
    /// Whether the file is append-only (`chattr +a`).
    public var isAppendOnly: Bool { flags & Self.appendOnlyFlag != 0 }
    /// Whether the file has an access ACL beyond its mode bits.
    public var hasAccessACL: Bool { extended.contains { $0.name.elementsEqual("system.posix_acl_access".utf8) } }

    /// The same set without the `user.*` attributes: what must still match when they are relaxed.
    public var withoutUserAttributes: FileAttributes {
        var copy = self
        copy.extended.removeAll { $0.kind == .user }
        return copy
    }

    /// The names of the attributes that differ between the two sets (present on one side only,
    /// or with different values), sorted, and whether their flags differ.
    public func differences(from other: FileAttributes) -> (names: [[UInt8]], flagsDiffer: Bool) {
        var names: [[UInt8]] = []
        var mine = extended[...]
        var theirs = other.extended[...]
        while let a = mine.first, let b = theirs.first {
            if a.name == b.name {
                if a.value != b.value { names.append(a.name) }
                mine = mine.dropFirst()
                theirs = theirs.dropFirst()
            } else if a.name.lexicographicallyPrecedes(b.name) {
                names.append(a.name)
                mine = mine.dropFirst()
            } else {
                names.append(b.name)
                theirs = theirs.dropFirst()
            }
        }
        names += mine.map(\.name) + theirs.map(\.name)
        return (names, flags != other.flags || supportsExtended != other.supportsExtended)
    }

    // MARK: Stored form

    /// The set as bytes, the same for equal sets: a version byte, the flags, whether extended
    /// attributes are supported, and each attribute's name and value with their lengths
    /// (little-endian 32-bit). Saved scans and the journal keep this.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [1]
        func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        append(flags)
        bytes.append(supportsExtended ? 1 : 0)
        append(UInt32(extended.count))
        for attribute in extended {
            append(UInt32(attribute.name.count))
            bytes += attribute.name
            append(UInt32(attribute.value.count))
            bytes += attribute.value
        }
        return bytes
    }

    /// Decodes `encoded`; nil for bytes that are not such a set.
    public init?(encoded bytes: [UInt8]) {
        var position = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - position >= count else { return nil }
            defer { position += count }
            return bytes[position..<(position + count)]
        }
        func number() -> UInt32? {
            guard let slice = take(4) else { return nil }
            return slice.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        guard take(1) == [1], let flags = number(), let supported = take(1), let count = number() else { return nil }
        var attributes: [Attribute] = []
        for _ in 0..<count {
            guard let nameLength = number(), let name = take(Int(nameLength)), let valueLength = number(),
                let value = take(Int(valueLength))
            else { return nil }
            attributes.append(Attribute(name: Array(name), value: Array(value)))
        }
        guard position == bytes.count else { return nil }
        self.init(extended: attributes, flags: flags, supportsExtended: supported.first == 1)
    }

    /// The XXH3-128 digest of `encoded`: what JSON reports carry as `attributesDigest`.
    public var digest: Digest {
        encoded.withUnsafeBytes { XXH3Hasher.digest($0) }
    }
}

/// What is known of a member's attributes.
public enum AttributeState: Hashable, Sendable {
    /// Not read: a scan saved before dupelink read attributes, or a hand-made group. The linker
    /// reads them anyway before each replacement.
    case unknown
    /// Read through the descriptor whose identity was checked.
    case read(FileAttributes)
    /// Known by their digest only (`attributesDigest` of a reviewed report): the linker requires
    /// the attributes it reads before each replacement to have it.
    case digest(Digest)
    /// Could not be read, for the reason given; such a file is never linked.
    case unreadable(String)
}
