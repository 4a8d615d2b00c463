import Glibc
import Synchronization

/// The one place where dupelink makes threads: a fixed number of dedicated threads for blocking
/// reads, so that a slow disk never blocks Swift's cooperative thread pool.
///
/// A stage hands the pool a count of independent jobs; each thread claims the next job index,
/// runs it with its own reusable state (read buffers, hash state), and stores the result in that
/// job's slot. `map` returns when every thread is done: a barrier between stages.
@_spi(Stages) public struct WorkerPool: Sendable {
    /// How many threads run jobs at once.
    @_spi(Stages) public let threadCount: Int

    /// Creates a pool of `threadCount` threads (at least one).
    @_spi(Stages) public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
    }

    /// This pool with at most `count` threads (at least one): a stage that wants fewer readers
    /// than the run has, such as one per spinning disk, takes them from the run's one pool.
    @_spi(Stages) public func limited(to count: Int) -> WorkerPool {
        WorkerPool(threadCount: min(threadCount, count))
    }

    /// The number of online processors.
    @_spi(Stages) public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The default pool size for reading: twice the processors, at least 8. Threads mostly wait
    /// for the disk, and a deeper queue of reads lets an SSD or a virtual disk serve them in
    /// parallel (on the 100,000-file corpus, cold cache, 2 cores: 7.2 s with 2 threads, 5.4 s
    /// with 8); with a warm cache the extra threads cost nothing measurable.
    @_spi(Stages) public static var readerCount: Int { max(8, 2 * processorCount) }

    /// Runs `body` for every index in `0..<count`, on up to `threadCount` threads, and returns the
    /// results in index order.
    ///
    /// `makeState` runs once per thread, on that thread. Jobs are claimed in index order, so put the
    /// largest first. Once a cancellation is requested no new job starts.
    /// - Throws: `DupelinkError` with code `.cancelled` when SIGINT or SIGTERM arrived before every
    ///   job ran.
    @_spi(Stages) public func map<State, Result: Sendable>(
        count: Int,
        makeState: @escaping @Sendable () -> State,
        _ body: @escaping @Sendable (Int, inout State) -> Result
    ) throws(DupelinkError) -> PoolResults<Result> {
        let slots = ResultSlots<Result>(count: count)
        if count == 0 { return PoolResults(slots: slots) }
        let next = Counter()
        let work: @Sendable () -> Void = {
            var state = makeState()
            while !Cancellation.isRequested {
                let index = next.claim()
                if index >= count { break }
                slots.store(body(index, &state), at: index)
            }
        }
        let threads = min(threadCount, count)
        if threads == 1 {
            work()
        } else {
            let handles = (0..<threads).map { _ in startThread(work) }
            for handle in handles { pthread_join(handle, nil) }
        }
        guard slots.isComplete else { throw DupelinkError(.cancelled) }
        return PoolResults(slots: slots)
    }
}

/// One slot per job; each slot is written by exactly one thread, and read only after every thread
/// has been joined, so no lock is needed.
fileprivate final class ResultSlots<Result>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Result?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    func store(_ result: Result, at index: Int) { storage[index] = result }

    /// Whether every job stored its result.
    var isComplete: Bool { !storage.contains { $0 == nil } }

    /// The result of job `index`, once `isComplete`.
    subscript(index: Int) -> Result { storage[index]! }

    var count: Int { storage.count }
}

/// The results of `WorkerPool.map`, in job order: the slots the workers filled, handed over without
/// a copy (a million results would otherwise be held twice for a moment).
@_spi(Stages) public struct PoolResults<Result>: RandomAccessCollection {
    fileprivate let slots: ResultSlots<Result>

    @_spi(Stages) public var startIndex: Int { 0 }
    @_spi(Stages) public var endIndex: Int { slots.count }
    @_spi(Stages) public subscript(position: Int) -> Result { slots[position] }
}

private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func claim() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    // No thread could be made: run the work here instead, which is slower but correct.
    guard let handle = makeThread(body) else {
        body()
        return pthread_self()
    }
    return handle
}

/// Starts a thread running `body`; nil when none could be made (`pthread_create` failed), and
/// `body` did not run.
func makeThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    var handle = pthread_t()
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let result = pthread_create(&handle, nil, { context in
        let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
        body.run()
        return nil
    }, context)
    if result != 0 {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        return nil
    }
    return handle
}
