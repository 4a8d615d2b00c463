import Glibc
import SystemPackage

extension Syscalls {
    /// Takes an exclusive advisory lock on an open file without waiting, and returns whether it
    /// got it: false when another open file description holds a lock on the file.
    ///
    /// The lock belongs to the open file description: it is released when the last descriptor
    /// sharing it is closed, which the kernel does when the process dies, however it dies.
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `flock` set, other than `EWOULDBLOCK`.
    ///
    /// The corresponding C function is `flock`.
    package static func lockExclusivelyWithoutWaiting(_ descriptor: FileDescriptor) throws(Errno) -> Bool {
        do {
            _ = try retryingInterrupts { flock(descriptor.rawValue, LOCK_EX | LOCK_NB) }
        } catch where error.rawValue == EWOULDBLOCK {
            return false
        }
        return true
    }
}
