import Foundation
import Glibc
import Synchronization

/// A `dupelink` process whose standard output and standard error are pipes the test reads as it
/// goes, to know what the process has reached without sleeping: a run blocks writing a report
/// larger than a pipe holds until the test reads it, and holds its catalog's lock all that time.
final class PipedCLI {
    /// The process id.
    let pid: pid_t
    private let output: Int32
    private let error: Int32
    private var outputBytes: [UInt8] = []
    private var errorBytes: [UInt8] = []
    private var status: Int32?

    /// Starts `dupelink` with `arguments` and `XDG_CACHE_HOME` set to `cacheHome`. Standard output
    /// goes to a pipe, or to the file `outputPath` when given.
    init(_ arguments: [String], cacheHome: String, outputPath: String? = nil) throws {
        var outputPipe: [Int32] = [0, 0], errorPipe: [Int32] = [0, 0]
        guard Self.makePipe(&outputPipe), Self.makePipe(&errorPipe) else { throw CLIError.spawn(errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        }
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        SpawnHygiene.closeInheritedDescriptors(&actions)

        let argv = [CLI.binary] + arguments
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cacheHome
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }

        // The child would inherit the signal mask of the test's thread, on which the test runner
        // blocks SIGINT and SIGTERM: start it as a shell or systemd would, with nothing blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid = pid_t()
        let spawned = posix_spawn(&pid, cArguments[0]!, &actions, &attributes, cArguments, cEnvironment)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw CLIError.spawn(spawned)
        }
        self.pid = pid
        output = outputPipe[0]
        error = errorPipe[0]
    }

    deinit {
        if status == nil {
            let pid = self.pid
            reaped.withLock { done in
                kill(pid, SIGKILL)
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                done = true
            }
        }
        close(output)
        close(error)
    }

    /// Blocks until the process has written at least `count` bytes to standard output (or closed it).
    func waitForOutput(bytes count: Int) {
        while outputBytes.count < count, readChunk(from: output, into: &outputBytes) {}
    }

    /// Blocks until standard error holds `text` (or is closed); returns whether it does. Standard
    /// output is read meanwhile, so a process that prints a long report never blocks on it.
    func waitForError(containing text: String) -> Bool {
        var outputOpen = true
        while !errorText.contains(text) {
            var descriptors = [pollfd(fd: error, events: Int16(POLLIN), revents: 0)]
            if outputOpen { descriptors.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 { continue }
            if outputOpen, descriptors[1].revents != 0 { outputOpen = readChunk(from: output, into: &outputBytes) }
            if descriptors[0].revents != 0, !readChunk(from: error, into: &errorBytes) { return errorText.contains(text) }
        }
        return true
    }

    /// Reads both pipes to their end, waits for the process, and returns what it did.
    func finish() -> CLIResult {
        while readChunk(from: output, into: &outputBytes) {}
        while readChunk(from: error, into: &errorBytes) {}
        return CLIResult(status: waitForExit(), standardOutput: outputBytes, standardError: errorText)
    }

    /// Kills the process with SIGKILL and waits for it, reading nothing more.
    func killNow() -> Int32 {
        kill(pid, SIGKILL)
        return waitForExit()
    }

    /// A pipe whose ends are closed in every other child the tests spawn (pipe2 is not imported).
    static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private var errorText: String { String(decoding: errorBytes, as: UTF8.self) }

    /// Sends SIGKILL after `seconds` if the process has not been reaped by then, so that a test
    /// whose process ignores what it was told fails instead of hanging. Never signals another
    /// process: the pid cannot be reused before it is reaped, and reaping happens under the lock.
    func killIfStillRunning(after seconds: Double) {
        let reaped = self.reaped, pid = self.pid
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            reaped.withLock { done in
                if !done { kill(pid, SIGKILL) }
            }
        }
    }

    private let reaped = Reaped()

    private func waitForExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while true {
            let result = reaped.withLock { done -> pid_t in
                let result = waitpid(pid, &raw, WNOHANG)
                if result == pid { done = true }
                return result
            }
            if result == pid { break }
            if result < 0 && errno != EINTR { break }
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
        }
        let exitStatus = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status = exitStatus
        return exitStatus
    }

    /// Reads what is there (blocking until something is); false at the end of the stream.
    private func readChunk(from descriptor: Int32, into bytes: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            bytes += buffer[0..<count]
            return true
        }
    }
}

/// Whether a `PipedCLI` process has been reaped, shared with its kill timer.
final class Reaped: Sendable {
    private let state = Mutex(false)

    /// Runs `body` with the flag, under the lock.
    func withLock<T>(_ body: (inout Bool) -> T) -> T {
        state.withLock { body(&$0) }
    }
}
