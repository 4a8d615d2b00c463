/// Who ran a journaled run: enough to tell, later, whether that process is still alive.
///
/// A process id alone is reused; with the process's start time (in clock ticks since boot) and
/// the boot id, a live process with the same id is told apart from the one that wrote the run.
public struct ProcessIdentity: Hashable, Sendable, Codable {
    /// The process id.
    public var processID: Int32
    /// The start time from `/proc/<pid>/stat` (field 22), or 0 when unknown.
    public var startTime: Int64
    /// `/proc/sys/kernel/random/boot_id`, or empty when unknown.
    public var bootID: String

    /// Creates an identity from its parts.
    public init(processID: Int32, startTime: Int64, bootID: String) {
        self.processID = processID
        self.startTime = startTime
        self.bootID = bootID
    }
}
