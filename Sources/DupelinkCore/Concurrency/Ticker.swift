import Foundation
import Glibc

/// A thread that calls `tick` about every `period` seconds until stopped, then once more with
/// `isLast` set: what redraws the progress line. The one thread dupelink makes outside the worker
/// pool, made here so that threads live in one place.
///
/// `tick` runs on the ticker's thread only, never twice at once. When no thread can be made,
/// nothing ticks: progress is shown, not relied on.
package final class Ticker: @unchecked Sendable {
    private let period: Double
    private let tick: @Sendable (_ isLast: Bool) -> Void
    private let wakeUp = NSCondition()
    private var finished = false
    private var thread: pthread_t?

    /// A ticker that calls `tick` every `period` seconds (at least 0.05) once started.
    package init(period: Double, _ tick: @escaping @Sendable (_ isLast: Bool) -> Void) {
        self.period = max(0.05, period)
        self.tick = tick
    }

    /// Starts the thread; its first tick comes at once.
    package func start() {
        guard thread == nil else { return }
        thread = makeThread { [self] in
            wakeUp.lock()
            while !finished {
                tick(false)
                _ = wakeUp.wait(until: Date().addingTimeInterval(period))
            }
            wakeUp.unlock()
            tick(true)
        }
    }

    /// Wakes the thread, lets it tick a last time, and waits for it to end.
    package func stop() {
        guard let thread else { return }
        wakeUp.lock()
        finished = true
        wakeUp.signal()
        wakeUp.unlock()
        pthread_join(thread, nil)
        self.thread = nil
    }
}
