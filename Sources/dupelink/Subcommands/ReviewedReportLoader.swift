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

    private static func readFile(_ path: [UInt8]) throws(Errno) -> [UInt8] {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        let descriptor = try Syscalls.open(cPath, in: Syscalls.currentDirectory, flags: O_RDONLY | O_NOCTTY)
        defer { Syscalls.closeQuietly(descriptor) }
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
        }
    }
}
