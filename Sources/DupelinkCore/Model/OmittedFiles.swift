/// What a directory held besides the files the scan kept, so that comparing folders can still
/// account for it: two folders are identical only if these agree too.
package struct OmittedFiles: Hashable, Sendable {
    /// Empty regular files (never duplicates, so the walk does not keep them).
    package var emptyFiles: Int32 = 0
    /// The XOR of the XXH3-128 digests of their names: the same for the same set of names (the
    /// names in one directory are distinct, so none cancels another).
    package var emptyNames = Digest(high: 0, low: 0)
    /// Symbolic links, and the XOR of the digests of their names and targets.
    package var symbolicLinks: Int32 = 0
    package var linkNames = Digest(high: 0, low: 0)
    /// Entries whose contents the scan does not know: regular files outside the size range,
    /// special files, links that could not be read, entries that could not be examined, and
    /// subdirectories that were not entered. A folder with any is never called identical.
    package var unknown: Int32 = 0

    package init() {}

    /// Whether the directory held nothing beyond the scan's files.
    package var isEmpty: Bool { emptyFiles == 0 && symbolicLinks == 0 && unknown == 0 }

    /// Counts an empty file whose name has the digest `name`.
    package mutating func addEmptyFile(nameDigest name: Digest) {
        emptyFiles += 1
        emptyNames = Digest(high: emptyNames.high ^ name.high, low: emptyNames.low ^ name.low)
    }

    /// Counts a symbolic link whose name and target (name, NUL, target) have the digest `link`.
    package mutating func addSymbolicLink(digest link: Digest) {
        symbolicLinks += 1
        linkNames = Digest(high: linkNames.high ^ link.high, low: linkNames.low ^ link.low)
    }
}
