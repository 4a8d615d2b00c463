import Glibc
import SystemPackage

extension Syscalls {
    /// How `open` opens a file: the `O_*` flags as an option set (`O_CLOEXEC` is always added).
    package struct OpenOptions: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }

        /// Read only (`O_RDONLY`, no bit of its own).
        package static let readOnly = OpenOptions([])
        /// Write only (`O_WRONLY`).
        package static let writeOnly = OpenOptions(rawValue: O_WRONLY)
        /// Read and write (`O_RDWR`).
        package static let readWrite = OpenOptions(rawValue: O_RDWR)
        /// Create the file when it is missing (`O_CREAT`).
        package static let create = OpenOptions(rawValue: O_CREAT)
        /// With `create`: fail when it exists (`O_EXCL`).
        package static let exclusive = OpenOptions(rawValue: O_EXCL)
        /// Writes go to the end (`O_APPEND`).
        package static let append = OpenOptions(rawValue: O_APPEND)
        /// Refuse a final symbolic link (`O_NOFOLLOW`).
        package static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// Only a directory (`O_DIRECTORY`).
        package static let directory = OpenOptions(rawValue: O_DIRECTORY)
        /// Never become the controlling terminal (`O_NOCTTY`).
        package static let noControllingTerminal = OpenOptions(rawValue: O_NOCTTY)
        /// Never block, on a FIFO above all (`O_NONBLOCK`).
        package static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
    }

    /// Opens `name` in `directory` with `options`; `O_CLOEXEC` is always added.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `openat` set.
    ///
    /// The corresponding C function is `openat`.
    package static func open(
        _ name: UnsafePointer<CChar>, in directory: FileDescriptor, options: OpenOptions, permissions: UInt32 = 0
    ) throws(Errno) -> FileDescriptor {
        try open(name, in: directory, flags: options.rawValue, permissions: mode_t(permissions))
    }

    /// Opens `path`, relative to `directory`, with `options`, following no symbolic link in any
    /// component (see `openWithoutSymlinks(_:in:flags:)`).
    ///
    /// The corresponding C function is `openat2` with `RESOLVE_NO_SYMLINKS`.
    package static func openWithoutSymlinks(
        _ path: UnsafePointer<CChar>, in directory: FileDescriptor, options: OpenOptions
    ) throws(Errno) -> FileDescriptor {
        try openWithoutSymlinks(path, in: directory, flags: options.rawValue)
    }

    /// The longest path the kernel takes in one call, in bytes (`PATH_MAX`, with its NUL).
    package static let pathMax = Int(PATH_MAX)

    /// Cuts or extends an open file to `size` bytes.
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `ftruncate` set.
    ///
    /// The corresponding C function is `ftruncate`.
    package static func truncate(_ descriptor: FileDescriptor, to size: Int64) throws(Errno) {
        _ = try retryingInterrupts { ftruncate(descriptor.rawValue, off_t(size)) }
    }

    /// Sleeps `seconds`, or less when a signal arrives (the caller checks why it woke).
    ///
    /// The corresponding C function is `nanosleep`.
    package static func pause(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        _ = nanosleep(&request, nil)
    }

    /// The canonical absolute path of `path`: symbolic links, `.` and `..` resolved.
    ///
    /// - Throws: the `Errno` that `realpath` set.
    ///
    /// The corresponding C function is `realpath`.
    package static func resolvedPath(of path: [UInt8]) throws(Errno) -> [UInt8] {
        guard let resolved = realpath(path.cString, nil) else { throw Errno(rawValue: errno) }
        defer { free(resolved) }
        return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
    }
}
