import Glibc
import SystemPackage

extension Syscalls {
    /// This process's id.
    ///
    /// The corresponding C function is `getpid`.
    package static var processID: Int32 { getpid() }

    /// The effective user id this process acts as.
    ///
    /// The corresponding C function is `geteuid`.
    package static var effectiveUserID: UInt32 { geteuid() }

    /// Whether a process with id `pid` exists (one this process may not signal counts too).
    ///
    /// The corresponding C function is `kill` with signal 0.
    package static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// The working directory's path, of any length.
    ///
    /// - Throws: the `Errno` that `getcwd` set (`ENOENT` when the directory was removed).
    ///
    /// The corresponding C function is `getcwd`.
    package static func workingDirectory() throws(Errno) -> [UInt8] {
        guard let path = getcwd(nil, 0) else { throw Errno(rawValue: errno) }
        defer { free(path) }
        return Array(UnsafeRawBufferPointer(start: path, count: strlen(path)))
    }

    /// Seconds on the monotonic clock, for measuring time between two moments.
    ///
    /// The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    package static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Compares `count` bytes at `left` and `right` as unsigned bytes: negative, zero or positive as
/// the first differing byte of `left` is smaller, or none differs, or it is larger.
///
/// The corresponding C function is `memcmp`.
@inline(__always)
package func compareBytes(_ left: UnsafeRawPointer, _ right: UnsafeRawPointer, count: Int) -> Int32 {
    memcmp(left, right, count)
}
