import Foundation
import Glibc

/// What one run of the `dupelink` binary did.
struct CLIResult {
    var status: Int32
    var standardOutput: [UInt8]
    var standardError: String
    var output: String { String(decoding: standardOutput, as: UTF8.self) }
}

/// Runs the built `dupelink` binary (next to the test bundle in `.build/<config>/`) with raw-byte
/// arguments, so names that are not UTF-8 reach it intact.
enum CLI {
    /// The path of the built binary.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("dupelink").path
    }

    /// Runs `dupelink` with the arguments; `asNobody` drops to uid/gid 65534 with `setpriv`.
    static func run(_ arguments: [[UInt8]], asNobody: Bool = false) throws -> CLIResult {
        try start(arguments, asNobody: asNobody).wait()
    }

    /// Starts `dupelink` and returns at once.
    static func start(_ arguments: [[UInt8]], asNobody: Bool = false) throws -> RunningCLI {
        var argv: [[UInt8]] = [Array(binary.utf8)] + arguments
        if asNobody {
            argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"].map { Array($0.utf8) } + argv
        }
        let directory = NSTemporaryDirectory() + "dupelink-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outPath = directory + "/out", errPath = directory + "/err"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        SpawnHygiene.closeInheritedDescriptors(&actions)

        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { bytes in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            pointer[bytes.count] = 0
            return pointer
        } + [nil]
        defer { for pointer in cArguments { pointer?.deallocate() } }

        // Each run gets its own cache folder, so the default catalog never lands in the tester's home.
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = directory + "/cache"
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }

        var pid = pid_t()
        let spawned = posix_spawn(&pid, cArguments[0]!, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw CLIError.spawn(spawned) }
        return RunningCLI(pid: pid, directory: directory)
    }

    /// Runs `dupelink` with string arguments.
    static func run(_ arguments: String..., asNobody: Bool = false) throws -> CLIResult {
        try run(arguments.map { Array($0.utf8) }, asNobody: asNobody)
    }
}

/// A `dupelink` process that was started and not yet waited for.
struct RunningCLI {
    let pid: pid_t
    let directory: String

    /// Sends a signal to the process.
    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to end and collects what it printed.
    func wait() throws -> CLIResult {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CLIResult(
            status: exitStatus,
            standardOutput: Array((try? Data(contentsOf: URL(fileURLWithPath: directory + "/out"))) ?? Data()),
            standardError: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: directory + "/err"))) ?? Data(), as: UTF8.self))
    }
}

enum CLIError: Error {
    case spawn(Int32)
}
