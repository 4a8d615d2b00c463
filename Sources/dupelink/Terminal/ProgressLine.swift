import DupelinkCore
import Foundation

/// How progress is shown on standard error.
enum ProgressMode: String, CaseIterable, Sendable {
    /// A line redrawn five times a second when standard error is a terminal; nothing otherwise.
    case auto
    /// A plain line every `--progress-interval` seconds, for logs (journald), terminal or not.
    case plain
    /// Nothing (but what SIGUSR1 asks for).
    case none
}

/// The progress of a scan or a link on standard error: a line redrawn five times a second on a
/// terminal, a plain line every few seconds for a log, and one line whenever SIGUSR1 arrives,
/// terminal or not, so that an unattended run can be watched (`kill -USR1 PID`).
final class ProgressLine: @unchecked Sendable {
    private let progress: ScanProgress
    private let mode: ProgressMode
    private let interval: Double
    private let wakeUp = NSCondition()
    private let exited = DispatchSemaphore(value: 0)
    private var finished = false
    private var running = false

    /// `mode` is what to draw unasked (`.none` with `--quiet`); SIGUSR1 is answered in every mode.
    init(progress: ScanProgress, mode: ProgressMode, interval: Double) {
        self.progress = progress
        self.mode = mode
        self.interval = max(0.2, interval)
    }

    /// Whether the terminal line is drawn.
    private var redraws: Bool { mode == .auto && StandardStreams.errorIsTerminal }

    /// Starts watching the counters.
    func start() {
        running = true
        Thread { [self] in
            var lastPlain = Date().timeIntervalSince1970
            wakeUp.lock()
            while !finished {
                let now = Date().timeIntervalSince1970
                if ProgressRequest.take() {
                    // One line that stays, even on a terminal (the redrawn line follows it).
                    printLine(clearingFirst: redraws)
                }
                if redraws {
                    // Draw at once, then five times a second: even a short run shows what it did.
                    StandardStreams.write(Array(("\r\u{1B}[K" + line()).utf8), to: 2)
                } else if mode == .plain && now - lastPlain >= interval {
                    lastPlain = now
                    printLine()
                }
                _ = wakeUp.wait(until: Date().addingTimeInterval(0.2))
            }
            // A request that came as the run ended is answered too.
            if ProgressRequest.take() { printLine() }
            wakeUp.unlock()
            exited.signal()
        }.start()
    }

    /// Stops watching and clears the terminal line.
    func stop() {
        guard running else { return }
        wakeUp.lock()
        finished = true
        wakeUp.signal()
        wakeUp.unlock()
        exited.wait()
        running = false
        if redraws { StandardStreams.write(Array("\r\u{1B}[K".utf8), to: 2) }
    }

    /// Writes one progress line that stays (after clearing the redrawn line on a terminal).
    private func printLine(clearingFirst: Bool = false) {
        StandardStreams.write(Array(((clearingFirst ? "\r\u{1B}[K" : "") + "dupelink: " + line() + "\n").utf8), to: 2)
    }

    /// When the stage now shown began, and the bytes read by then.
    private var stageStart: (stage: ScanProgress.Stage, time: Double, bytes: Int)?

    private func line() -> String {
        let stage = progress.stage
        let now = Date().timeIntervalSince1970
        if stageStart?.stage != stage { stageStart = (stage, now, progress.bytesRead) }
        let start = stageStart ?? (stage, now, 0)
        let text = ProgressText.line(
            ProgressText.Reading(
                stage: stage, filesWalked: progress.filesWalked, bytesRead: Int64(progress.bytesRead - start.bytes),
                jobsDone: progress.jobsDone, jobsTotal: progress.jobsTotal, elapsed: now - start.time))
        return text.isEmpty ? "finishing" : text
    }
}
