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
    private var ticker: Ticker?
    /// When the last plain line was written (on the ticker's thread only).
    private var lastPlain = Date().timeIntervalSince1970

    /// `mode` is what to draw unasked (`.none` with `--quiet`); SIGUSR1 is answered in every mode.
    init(progress: ScanProgress, mode: ProgressMode, interval: Double) {
        self.progress = progress
        self.mode = mode
        self.interval = max(0.2, interval)
    }

    /// Whether the terminal line is drawn.
    private var redraws: Bool { mode == .auto && StandardStreams.errorIsTerminal }

    /// Starts watching the counters, five times a second, on the library's ticker thread.
    func start() {
        guard ticker == nil else { return }
        lastPlain = Date().timeIntervalSince1970
        let ticker = Ticker(period: 0.2) { [self] isLast in tick(isLast: isLast) }
        self.ticker = ticker
        ticker.start()
    }

    /// One look at the counters: answers SIGUSR1, redraws the terminal line or writes a plain
    /// line when one is due; at the end, only answers a request that came as the run ended.
    private func tick(isLast: Bool) {
        if isLast {
            if ProgressRequest.take() { printLine() }
            return
        }
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
    }

    /// Stops watching and clears the terminal line.
    func stop() {
        guard let ticker else { return }
        ticker.stop()
        self.ticker = nil
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
