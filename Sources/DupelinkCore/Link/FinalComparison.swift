import Glibc
import SystemPackage

/// The byte comparison the linker makes right before each swap, under the read leases, through
/// the descriptors whose identity, fingerprint and attributes it has just checked.
///
/// Timestamps can lie: a write through a shared writable mapping to a page that is already dirty
/// changes the bytes and leaves the size, modification time and change time alone, so a
/// fingerprint that still matches proves nothing about content. The scan's comparison, the
/// catalog's digests and a saved scan decide which pairs to try; these bytes decide whether the
/// pair is linked, every time.
///
/// The files are read to their ends as they are now (not to the size the scan saw), in large
/// aligned chunks; the first chunk that differs ends the comparison.
final class FinalComparison {
    /// The bytes read from each file per step.
    static let chunkSize = 1 << 20

    /// What one comparison found.
    struct Result {
        /// Whether the two files hold the same bytes, to the end of both.
        var isIdentical: Bool
        /// The bytes compared: the length of the files when identical, else up to the chunk that
        /// differed.
        var bytesCompared: Int64
        /// The wall time the comparison took.
        var seconds: Double
    }

    /// A read that failed, and on which file.
    enum ReadFailure: Error {
        case keeper(Errno)
        case duplicate(Errno)
    }

    private let buffers = ReadBuffers(count: 2, capacity: FinalComparison.chunkSize)

    /// Makes the comparison's two buffers; nothing is read yet.
    init() {}

    /// Compares two open files byte for byte from the start to the end of both.
    ///
    /// Touches the disk: reads both files, changes nothing.
    /// - Throws: `ReadFailure` naming the file whose read failed.
    func compare(keeper: FileDescriptor, duplicate: FileDescriptor) throws(ReadFailure) -> Result {
        var clock = Stopwatch()
        Syscalls.advise(keeper, offset: 0, length: 0, advice: POSIX_FADV_SEQUENTIAL)
        Syscalls.advise(duplicate, offset: 0, length: 0, advice: POSIX_FADV_SEQUENTIAL)
        let kept = buffers.buffer(0, length: Self.chunkSize)
        let other = buffers.buffer(1, length: Self.chunkSize)
        var offset: Int64 = 0
        while true {
            let keptCount: Int
            let otherCount: Int
            do {
                keptCount = try Syscalls.read(keeper, at: offset, into: kept)
            } catch {
                throw .keeper(error)
            }
            do {
                otherCount = try Syscalls.read(duplicate, at: offset, into: other)
            } catch {
                throw .duplicate(error)
            }
            guard keptCount == otherCount, memcmp(kept.baseAddress!, other.baseAddress!, keptCount) == 0 else {
                return Result(isIdentical: false, bytesCompared: offset + Int64(min(keptCount, otherCount)), seconds: clock.lap())
            }
            offset += Int64(keptCount)
            // A short read is the end of both files.
            if keptCount < Self.chunkSize { return Result(isIdentical: true, bytesCompared: offset, seconds: clock.lap()) }
        }
    }
}
