
/// Finding out who this process is, and whether the process an identity names still runs: read
/// from `/proc` by the journal, while `ProcessIdentity` itself is plain data the catalog stores.
extension ProcessIdentity {
    /// The identity of this process.
    ///
    /// Touches the disk: reads two files under `/proc`.
    public static func current() -> ProcessIdentity {
        let pid = Syscalls.processID
        return ProcessIdentity(processID: pid, startTime: startTime(of: pid) ?? 0, bootID: currentBootID())
    }

    /// Whether the process that this identity names is still running.
    ///
    /// After a reboot nothing from before is running; a process id now used by another process
    /// (another start time) does not count.
    public var isRunning: Bool {
        if !bootID.isEmpty, bootID != Self.currentBootID() { return false }
        if startTime != 0 {
            return Self.startTime(of: processID) == startTime
        }
        return Syscalls.processExists(processID)
    }

    private static func currentBootID() -> String {
        guard let bytes = Syscalls.kernelFile(at: "/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: bytes, as: UTF8.self).trimmingNewlines()
    }

    /// Field 22 of `/proc/<pid>/stat`, or nil when the process is gone or a zombie (it ended; its
    /// parent has not yet collected it). The command name (field 2) may contain spaces and
    /// parentheses, so fields are counted after its last `)`.
    private static func startTime(of pid: Int32) -> Int64? {
        guard let bytes = Syscalls.kernelFile(at: "/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // After the name: field 3 (state) is index 0, so field 22 is index 19.
        guard fields.count > 19, fields[0].first != UInt8(ascii: "Z"), fields[0].first != UInt8(ascii: "X") else { return nil }
        return Int64(String(decoding: fields[19], as: UTF8.self))
    }
}

extension String {
    fileprivate func trimmingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
