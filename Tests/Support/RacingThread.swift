import Foundation

/// A thread that repeats one action as fast as it can until stopped: the other side of a race.
///
/// Each round runs to its end before the stop is seen, so an action that breaks the tree and puts
/// it back (a directory swapped for a symbolic link and back) always leaves it whole.
public final class RacingThread: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var roundsDone = 0
    private let done = DispatchSemaphore(value: 0)

    /// Starts a thread that calls `round` with the round's number until `stop()`.
    public init(_ round: @escaping @Sendable (Int) -> Void) {
        let thread = Thread { [self] in
            var count = 0
            while !self.isStopping {
                round(count)
                count += 1
            }
            self.lock.withLock { self.roundsDone = count }
            self.done.signal()
        }
        thread.start()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Stops the thread after its current round, waits for it, and returns the rounds it ran.
    @discardableResult
    public func stop() -> Int {
        lock.withLock { stopping = true }
        done.wait()
        return lock.withLock { roundsDone }
    }
}

/// SplitMix64: a small seeded generator, so a race's choices are the same on every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
