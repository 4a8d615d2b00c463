import Glibc
import SystemPackage

extension Syscalls {
    /// The whole content of a small file the kernel makes up as it is read (under `/proc` or
    /// `/sys`, whose size reads as 0), read from its start to its end; nil when it cannot be
    /// opened or read.
    ///
    /// The corresponding C functions are `open` and `read`.
    package static func kernelFile(at path: String) -> [UInt8]? {
        guard let descriptor = try? retryingInterrupts({ Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) }) else {
            return nil
        }
        defer { _ = close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            guard let count = try? retryingInterrupts({ buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } })
            else { return nil }
            if count == 0 { return result }
            result += buffer[0..<count]
        }
    }
}
