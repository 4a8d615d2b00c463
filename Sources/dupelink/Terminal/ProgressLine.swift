import DupelinkCore
import Foundation

/// A one-line progress display on standard error, redrawn five times a second while a scan or a
/// link runs. Shown only when standard error is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let progress: ScanProgress
    private let wakeUp = NSCondition()
    private let exited = DispatchSemaphore(value: 0)
    private var finished = false
    private var running = false

    init(progress: ScanProgress) {
        self.progress = progress
    }

    /// Starts redrawing, if standard error is a terminal.
    func start() {
        guard StandardStreams.errorIsTerminal else { return }
        running = true
        Thread { [self] in
            wakeUp.lock()
            while !finished {
                // Draw at once, then five times a second: even a short run shows what it did.
                StandardStreams.write(Array(("\r\u{1B}[K" + line()).utf8), to: 2)
                _ = wakeUp.wait(until: Date().addingTimeInterval(0.2))
            }
            wakeUp.unlock()
            exited.signal()
        }.start()
    }

    /// Stops redrawing and clears the line.
    func stop() {
        guard running else { return }
        wakeUp.lock()
        finished = true
        wakeUp.signal()
        wakeUp.unlock()
        exited.wait()
        running = false
        StandardStreams.write(Array("\r\u{1B}[K".utf8), to: 2)
    }

    /// When the stage now shown began, and the bytes read by then.
    private var stageStart: (stage: ScanProgress.Stage, time: Double, bytes: Int)?

    private func line() -> String {
        let stage = progress.stage
        let now = Date().timeIntervalSince1970
        if stageStart?.stage != stage { stageStart = (stage, now, progress.bytesRead) }
        let start = stageStart ?? (stage, now, 0)
        return ProgressText.line(
            ProgressText.Reading(
                stage: stage, filesWalked: progress.filesWalked, bytesRead: Int64(progress.bytesRead - start.bytes),
                jobsDone: progress.jobsDone, jobsTotal: progress.jobsTotal, elapsed: now - start.time))
    }
}
