/// The words of the progress line: for each stage what is done of what is known, the rate, and,
/// once a stage has run a second and done something, an estimate of the time left.
package enum ProgressText {
    /// What one reading of the counters says.
    package struct Reading: Sendable {
        package var stage: ScanProgress.Stage
        package var filesWalked: Int
        /// Bytes read since the stage began.
        package var bytesRead: Int64
        package var jobsDone: Int
        package var jobsTotal: Int
        /// Seconds since the stage began.
        package var elapsed: Double

        package init(
            stage: ScanProgress.Stage, filesWalked: Int, bytesRead: Int64, jobsDone: Int, jobsTotal: Int, elapsed: Double
        ) {
            self.stage = stage
            self.filesWalked = filesWalked
            self.bytesRead = bytesRead
            self.jobsDone = jobsDone
            self.jobsTotal = jobsTotal
            self.elapsed = elapsed
        }
    }

    /// `walking: 120,000 files (40,000 files/s)`, `comparing: 1,200/4,000 groups, 1.2 GiB read
    /// (310 MiB/s), about 0:09 left`.
    package static func line(_ reading: Reading) -> String {
        let measured = reading.elapsed >= 1
        switch reading.stage {
        case .walk:
            let rate = measured ? " (\(Int(Double(reading.filesWalked) / reading.elapsed)) files/s)" : ""
            return "walking: \(reading.filesWalked) files\(rate)"
        case .headTail, .content:
            let what = reading.stage == .headTail ? "reading heads and tails" : "comparing"
            let unit = reading.stage == .headTail ? "files" : "groups"
            let rate = measured ? " (\(ByteSize.format(Int64(Double(reading.bytesRead) / reading.elapsed)))/s)" : ""
            return "\(what): \(reading.jobsDone)/\(reading.jobsTotal) \(unit), \(ByteSize.format(reading.bytesRead)) read\(rate)\(left(reading))"
        case .link:
            return "linking: \(reading.jobsDone)/\(reading.jobsTotal)\(left(reading))"
        case .done:
            return ""
        case .waitingForCatalog:
            let waited = measured ? " (\(Int(reading.elapsed)) s)" : ""
            return "waiting for another dupelink run to finish with the catalog\(waited)"
        }
    }

    /// `, about 1:05 left` from the share of jobs done, or nothing before there is a basis.
    static func left(_ reading: Reading) -> String {
        guard reading.elapsed >= 1, reading.jobsDone > 0, reading.jobsTotal > reading.jobsDone else { return "" }
        let seconds = Int((reading.elapsed * Double(reading.jobsTotal - reading.jobsDone) / Double(reading.jobsDone)).rounded())
        let clock = seconds >= 3600
            ? "\(seconds / 3600):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))"
            : "\(seconds / 60):\(pad(seconds % 60))"
        return ", about \(clock) left"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
