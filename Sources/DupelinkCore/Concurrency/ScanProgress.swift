import Synchronization

/// Counters that the stages bump as they go and that a progress display may read at any time
/// from another thread.
public final class ScanProgress: Sendable {
    /// The stages a scan goes through, in order.
    public enum Stage: Int, Sendable {
        case walk, headTail, content, link, done
        /// Before the run begins: waiting for another run to let go of the catalog (`--wait`).
        case waitingForCatalog
    }

    private let stageValue = Atomic<Int>(Stage.walk.rawValue)
    private let filesWalkedValue = Atomic<Int>(0)
    private let bytesReadValue = Atomic<Int>(0)
    private let jobsDoneValue = Atomic<Int>(0)
    private let jobsTotalValue = Atomic<Int>(0)

    /// Creates counters at zero.
    public init() {}

    /// The stage now running.
    public var stage: Stage { Stage(rawValue: stageValue.load(ordering: .relaxed)) ?? .done }
    /// Regular files found so far.
    public var filesWalked: Int { filesWalkedValue.load(ordering: .relaxed) }
    /// File content read so far, all stages together.
    public var bytesRead: Int { bytesReadValue.load(ordering: .relaxed) }
    /// Jobs finished in the current stage.
    public var jobsDone: Int { jobsDoneValue.load(ordering: .relaxed) }
    /// Jobs in the current stage.
    public var jobsTotal: Int { jobsTotalValue.load(ordering: .relaxed) }

    /// Says the run is waiting for another one to let go of the catalog.
    public func beginWaitingForCatalog() { begin(.waitingForCatalog) }

    /// Says the wait for the catalog is over: the run begins with its walk.
    public func endWaitingForCatalog() { begin(.walk) }

    func begin(_ stage: Stage, jobs: Int = 0) {
        jobsDoneValue.store(0, ordering: .relaxed)
        jobsTotalValue.store(jobs, ordering: .relaxed)
        stageValue.store(stage.rawValue, ordering: .relaxed)
    }
    func addFilesWalked(_ count: Int) { filesWalkedValue.wrappingAdd(count, ordering: .relaxed) }
    func addBytesRead(_ count: Int) { bytesReadValue.wrappingAdd(count, ordering: .relaxed) }
    func jobFinished() { jobsDoneValue.wrappingAdd(1, ordering: .relaxed) }
}
