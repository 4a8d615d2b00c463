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
/// aligned chunks; the first chunk that differs ends the comparison. The holes of a sparse file
/// are compared as zeros without being read.
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
    /// When either is sparse (fewer blocks allocated than its size) and both have one size, a
    /// chunk that lies wholly in a hole of a file (`DataMap`) is not read but compared as the
    /// zeros it holds: the answer is that of reading every byte, and two sparse copies cost the
    /// reads of their data. Dense files are read as always.
    ///
    /// Touches the disk: reads both files, changes nothing.
    /// - Throws: `ReadFailure` naming the file whose read failed.
    func compare(keeper: FileDescriptor, duplicate: FileDescriptor) throws(ReadFailure) -> Result {
        var clock = Stopwatch()
        Syscalls.advise(keeper, offset: 0, length: 0, advice: .sequential)
        Syscalls.advise(duplicate, offset: 0, length: 0, advice: .sequential)
        let (keptMap, otherMap) = Self.maps(keeper, duplicate)
        let kept = buffers.buffer(0, length: Self.chunkSize)
        let other = buffers.buffer(1, length: Self.chunkSize)
        var offset: Int64 = 0
        while true {
            let keptBytes: UnsafeRawBufferPointer
            let otherBytes: UnsafeRawBufferPointer
            do {
                keptBytes = try chunk(at: offset, of: keeper, map: keptMap, into: kept)
            } catch {
                throw .keeper(error)
            }
            do {
                otherBytes = try chunk(at: offset, of: duplicate, map: otherMap, into: other)
            } catch {
                throw .duplicate(error)
            }
            let keptCount = keptBytes.count
            let otherCount = otherBytes.count
            guard keptCount == otherCount,
                keptBytes.baseAddress == otherBytes.baseAddress
                    || compareBytes(keptBytes.baseAddress!, otherBytes.baseAddress!, count: keptCount) == 0
            else {
                return Result(isIdentical: false, bytesCompared: offset + Int64(min(keptCount, otherCount)), seconds: clock.lap())
            }
            offset += Int64(keptCount)
            // A short read is the end of both files.
            if keptCount < Self.chunkSize { return Result(isIdentical: true, bytesCompared: offset, seconds: clock.lap()) }
        }
    }

    /// The data maps of the two files, when either is sparse and both have one size (else they
    /// differ at the end anyway, and are read as they are).
    private static func maps(_ keeper: FileDescriptor, _ duplicate: FileDescriptor) -> (DataMap?, DataMap?) {
        guard let keptStatus = try? Syscalls.status(of: keeper), let otherStatus = try? Syscalls.status(of: duplicate),
            keptStatus.size == otherStatus.size, keptStatus.mayHaveHoles || otherStatus.mayHaveHoles
        else { return (nil, nil) }
        return (DataMap.map(of: keeper, status: keptStatus), DataMap.map(of: duplicate, status: otherStatus))
    }

    /// The chunk of a file at `offset`: the zeros of a hole, unread, or the bytes read into
    /// `buffer` (short at the end of the file).
    private func chunk(
        at offset: Int64, of file: FileDescriptor, map: DataMap?, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> UnsafeRawBufferPointer {
        if let map, offset < map.size {
            let length = Int(min(Int64(Self.chunkSize), map.size - offset))
            if map.isHole(offset..<offset + Int64(length)) { return buffers.zeros(length: length) }
        }
        let count = try Syscalls.read(file, at: offset, into: buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }
}
