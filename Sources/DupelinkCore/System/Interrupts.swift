import Glibc
import SystemPackage

/// Calls `body`, a system call that returns -1 and sets `errno` when it fails, again for as long
/// as a signal interrupts it (`EINTR`): the one retry-on-interrupt loop, as swift-system's
/// `valueOrErrno(retryOnInterrupt:)` is.
///
/// - Returns: what `body` returned, when not -1.
/// - Throws: the `Errno` of any other failure.
@inline(__always)
func retryingInterrupts<Result: FixedWidthInteger>(_ body: () -> Result) throws(Errno) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        if errno != EINTR { throw Errno(rawValue: errno) }
    }
}
