/// A worker thread's reusable memory: aligned read buffers and one XXH3 state per buffer, so no
/// file costs an allocation, and its last open directory.
final class ReadBuffers {
    /// The worker's last opened directory, shared by consecutive files in it.
    let directories = DirectoryCache()
    /// The size of each buffer.
    let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var hashers: [HasherBox]

    /// Makes `count` buffers of `capacity` bytes each.
    init(count: Int, capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: count * capacity, alignment: 4096)
        hashers = (0..<count).map { _ in HasherBox() }
    }

    deinit {
        storage.deallocate()
        zeroStorage?.deallocate()
    }

    /// `capacity` bytes of zeros, made the first time a hole is met.
    private var zeroStorage: UnsafeMutableRawBufferPointer?

    /// `length` bytes (at most `capacity`) of zeros: what a hole of a sparse file reads as, to
    /// hash and compare in place of reading it.
    func zeros(length: Int) -> UnsafeRawBufferPointer {
        let zeros = zeroStorage ?? {
            let made = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 4096)
            made.initializeMemory(as: UInt8.self, repeating: 0)
            zeroStorage = made
            return made
        }()
        return UnsafeRawBufferPointer(rebasing: zeros[0..<length])
    }

    /// How many buffers there are.
    var count: Int { hashers.count }

    /// The `index`th buffer, `length` bytes long.
    func buffer(_ index: Int, length: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[(index * capacity)..<(index * capacity + length)])
    }

    /// The `index`th hasher.
    func hasher(_ index: Int) -> HasherBox { hashers[index] }
}

/// A class box so hashers (which are not copyable) can live in an array.
final class HasherBox {
    var hasher = XXH3Hasher()
}
