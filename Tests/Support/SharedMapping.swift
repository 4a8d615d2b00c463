import Glibc

/// A whole file mapped shared and writable, written through as a program with a memory-mapped
/// database does.
///
/// The kernel stamps the file's times only when a write faults: the first write to a page not yet
/// mapped writable (on ext4, again each time the page was written back). A write to a page already
/// mapped writable and dirty changes the bytes and leaves the size, modification time and change
/// time as they were. On tmpfs a page a program has read or written once stays so (tmpfs does not
/// track dirty pages): every later write through the mapping is invisible to `stat`.
public final class SharedMapping {
    private let descriptor: Int32
    private let address: UnsafeMutableRawPointer
    /// The mapped length: the file's size when it was mapped.
    public let length: Int
    private var isMapped = true

    /// Opens `path` (bytes) for reading and writing and maps all of it `MAP_SHARED`.
    public init(_ path: [UInt8]) throws {
        descriptor = withCPath(path) { open($0, O_RDWR | O_CLOEXEC) }
        guard descriptor >= 0 else { throw POSIXFailure(operation: "open", code: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else {
            let code = errno
            close(descriptor)
            throw POSIXFailure(operation: "fstat (or the file is empty)", code: code)
        }
        length = Int(status.st_size)
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            let code = errno
            close(descriptor)
            throw POSIXFailure(operation: "mmap", code: code)
        }
        address = mapped
    }

    deinit { unmap() }

    /// The byte at `offset`, read or written through the mapping.
    public subscript(offset: Int) -> UInt8 {
        get { address.load(fromByteOffset: offset, as: UInt8.self) }
        set { address.storeBytes(of: newValue, toByteOffset: offset, as: UInt8.self) }
    }

    /// Unmaps the file and closes it, as the program does when it exits; afterwards nobody has
    /// it mapped writable, so a read lease can be granted on it.
    public func unmap() {
        guard isMapped else { return }
        isMapped = false
        munmap(address, length)
        close(descriptor)
    }
}
