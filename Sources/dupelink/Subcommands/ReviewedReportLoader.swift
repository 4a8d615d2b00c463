import DupelinkCore
import Glibc
import SystemPackage

/// Reading a reviewed JSON report for `link --from`, with the errors a user sees.
enum ReviewedReportLoader {
    /// Reads and checks the report at `path`; prints why not and ends with status 2 when it is
    /// unreadable or fails a check. Nothing has been touched then.
    static func load(_ path: [UInt8]) throws -> SavedScan {
        let data: [UInt8]
        do {
            data = try readFile(path)
        } catch .invalidArgument {
            StandardStreams.error(DupelinkError(.invalidInput, path: path, detail: "not a regular file; give the path of a JSON report").description)
            throw ExitStatus.failure
        } catch .fileTooLarge {
            StandardStreams.error(DupelinkError(.invalidInput, path: path, detail: "larger than the 2 GiB a report may be").description)
            throw ExitStatus.failure
        } catch {
            StandardStreams.error(DupelinkError(.invalidInput, path: path, errno: error, operation: "read the report").description)
            throw ExitStatus.failure
        }
        do {
            return try ReviewedReport.savedScan(from: data, file: path)
        } catch {
            StandardStreams.error(error.description + "; nothing was changed")
            throw ExitStatus.failure
        }
    }

    /// Reads every class of the report again to confirm it is byte-identical; prints why not and
    /// ends with status 2 (or 130 when interrupted). Nothing has been touched then.
    static func confirmContent(_ scan: ScanResult) throws -> ScanResult {
        do {
            return try ContentConfirmation.confirm(scan)
        } catch where error.code == .cancelled {
            StandardStreams.error("interrupted; nothing was changed")
            throw ExitStatus.interrupted
        } catch {
            StandardStreams.error(error.description + "; nothing was changed")
            throw ExitStatus.failure
        }
    }

    /// The largest report `link --from` reads (stated in `--help`): about 7 million names.
    static let maximumSize = 2 << 30

    /// Reads a regular file of at most `maximumSize` bytes. Opened without blocking, so a FIFO
    /// given by mistake is refused instead of waited on, and a device is never read.
    private static func readFile(_ path: [UInt8]) throws(Errno) -> [UInt8] {
        let cPath = path.cString
        let descriptor = try Syscalls.open(cPath, in: Syscalls.currentDirectory, options: [.noControllingTerminal, .nonBlocking])
        defer { Syscalls.closeQuietly(descriptor) }
        let status = try Syscalls.status(of: descriptor)
        guard status.kind == .regular else { throw Errno.invalidArgument }
        guard status.size <= Int64(maximumSize) else { throw Errno.fileTooLarge }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor.rawValue, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            if count == 0 { return result }
            result += buffer[0..<count]
            if result.count > maximumSize { throw Errno.fileTooLarge }
        }
    }
}
