import DupelinkCore
import Glibc

/// Where `--summary-json` writes: standard error (`-`), or a file opened for appending.
///
/// The file is opened when the run starts, so a destination that cannot be written stops the run
/// before it does anything; the line is written with one `write` at the end, so lines of runs
/// appending to one log never interleave. Root often runs dupelink from a timer, so the file is
/// held to what the catalog's lock file is: dupelink appends only to a regular file of the user's
/// with one name, and never follows a symbolic link to one.
final class SummaryLog {
    private let descriptor: Int32
    private var written = false

    /// Opens the destination: `-` for standard error, else the file.
    ///
    /// An existing file must be a regular file with one name (`st_nlink` 1) owned by the running
    /// user: it is examined with `lstat` (so a FIFO or a device is never opened), opened with
    /// `O_APPEND | O_NOFOLLOW | O_CLOEXEC`, and the open descriptor examined again with `fstat`, so a
    /// name swapped in between is caught. A missing file is created with mode 0600 (`O_CREAT |
    /// O_EXCL | O_NOFOLLOW`).
    /// Touches the disk: may create the file; writes nothing yet.
    /// - Throws: `CommandFailure` (status 2) naming the file and why when it cannot be opened for
    ///   appending or is not one dupelink appends to.
    init(destination: String) throws(CommandFailure) {
        if destination == "-" {
            descriptor = 2
            return
        }
        let path = RawArguments.bytes(for: destination)
        descriptor = try Self.open(path)
    }

    deinit {
        if descriptor != 2 { _ = close(descriptor) }
    }

    /// Writes the summary line, once; later calls do nothing. A line that cannot be written is
    /// lost without a word: the run's exit status still tells.
    ///
    /// Touches the disk: appends one line to the file.
    func write(_ summary: RunSummary) {
        if written { return }
        written = true
        StandardStreams.write(summary.line, to: descriptor)
    }

    private static let common = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK

    /// Opens the existing file, or creates it; a file that appears or disappears in between is
    /// looked at again (a few times, then given up on).
    private static func open(_ path: [UInt8]) throws(CommandFailure) -> Int32 {
        for _ in 0..<3 {
            var named = stat()
            if withCPath(path, { lstat($0, &named) }) == 0 {
                if let reason = refusal(named) { throw failure(path, reason) }
                let opened = withCPath(path) { Glibc.open($0, common) }
                if opened < 0 && errno == ENOENT { continue }
                guard opened >= 0 else { throw failure(path, errno: errno) }
                var held = stat()
                guard fstat(opened, &held) == 0 else {
                    let error = errno
                    _ = close(opened)
                    throw failure(path, errno: error)
                }
                if let reason = refusal(held) ?? (held.st_dev != named.st_dev || held.st_ino != named.st_ino
                    ? "it was replaced while it was being opened" : nil)
                {
                    _ = close(opened)
                    throw failure(path, reason)
                }
                return opened
            }
            guard errno == ENOENT else { throw failure(path, errno: errno) }
            let created = withCPath(path) { Glibc.open($0, common | O_CREAT | O_EXCL, 0o600) }
            if created < 0 && errno == EEXIST { continue }
            guard created >= 0 else { throw failure(path, errno: errno) }
            return created
        }
        throw failure(path, "it keeps appearing and disappearing")
    }

    /// Why dupelink will not append to the file `status` describes, or nil when it may.
    private static func refusal(_ status: stat) -> String? {
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return "it is a symbolic link, which is not followed"
        default: return "it is not a regular file"
        }
        if status.st_nlink != 1 {
            return "it has \(status.st_nlink) names, and dupelink appends only to a file with one, so that it cannot be made to write to a file named elsewhere"
        }
        if status.st_uid != geteuid() {
            return "it is owned by uid \(status.st_uid), and you are uid \(geteuid())"
        }
        return nil
    }

    private static func failure(_ path: [UInt8], _ reason: String) -> CommandFailure {
        CommandFailure(
            status: ExitStatus.failure,
            message: "\(PathText.display(path)): cannot open the --summary-json file for appending (\(reason))")
    }

    private static func failure(_ path: [UInt8], errno code: Int32) -> CommandFailure {
        let reason = code == ELOOP ? "it is a symbolic link, which is not followed" : String(cString: strerror(code))
        return failure(path, reason)
    }

    private static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
