import Glibc

extension WorkerPool {
    /// Runs `body` on every job, starting from `initial`, where a job may find more jobs (a
    /// directory finds its subdirectories), on up to `threadCount` threads; returns when no job is
    /// left and every thread is idle: a barrier, as `map` is.
    ///
    /// Jobs wait on one shared stack behind a mutex. `body` appends the jobs it finds to its last
    /// argument; they are pushed so that the first one found is taken next. One thread therefore
    /// takes jobs in depth-first preorder, and the stack (with whatever its jobs hold open) stays
    /// about as deep as the tree rather than as wide. Each thread has its own `State`, made by
    /// `makeState` with the thread's number, and the states come back in that order for the caller
    /// to merge. The threads are the pool's own (`map` runs one long job per thread).
    ///
    /// - Throws: `DupelinkError` with code `.cancelled` when SIGINT or SIGTERM arrived before the
    ///   stack was drained; no new job starts once a cancellation is requested.
    package func drain<Job: Sendable, State: Sendable>(
        _ initial: [Job],
        makeState: @escaping @Sendable (Int) -> State,
        _ body: @escaping @Sendable (Job, inout State, inout [Job]) -> Void
    ) throws(DupelinkError) -> [State] {
        let stack = SharedStack<Job>(initial)
        let states = try map(count: threadCount, makeState: {}) { worker, _ in
            var state = makeState(worker)
            var found: [Job] = []
            var next = stack.first()
            while let job = next {
                body(job, &state, &found)
                next = stack.next(pushing: &found)
            }
            return state
        }
        if stack.wasCancelled { throw DupelinkError(.cancelled) }
        return Array(states)
    }
}

/// A stack of jobs behind one mutex, with a count of the jobs being run: the stack is drained when
/// it is empty and no thread is running a job (which could still push more).
private final class SharedStack<Job>: @unchecked Sendable {
    private var jobs: [Job]
    private var running = 0
    private var waiting = 0
    private var drained = false
    private var cancelled = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(_ initial: [Job]) {
        jobs = initial.reversed()
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
    }

    /// Whether the stack stopped because of a cancellation.
    var wasCancelled: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return cancelled
    }

    /// Waits for a thread's first job; nil when there is none left.
    func first() -> Job? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return waitForJob()
    }

    /// Marks the caller's job done, pushes the jobs it found (emptying `found`, the first found on
    /// top), and waits for the next job; nil when the stack is drained or a cancellation was
    /// requested.
    func next(pushing found: inout [Job]) -> Job? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        running -= 1
        if !found.isEmpty {
            jobs.append(contentsOf: found.reversed())
            // One job is the caller's; wake one waiting thread for each of the others, no more (a
            // broadcast would wake every thread to find one job).
            for _ in 0..<min(found.count - 1, waiting) { pthread_cond_signal(wake) }
            found.removeAll(keepingCapacity: true)
        }
        return waitForJob()
    }

    /// With the mutex held: the next job, or nil once drained.
    private func waitForJob() -> Job? {
        while true {
            if !drained && Cancellation.isRequested {
                cancelled = true
                drained = true
                pthread_cond_broadcast(wake)
            }
            if drained { return nil }
            if let job = jobs.popLast() {
                running += 1
                return job
            }
            if running == 0 {
                drained = true
                pthread_cond_broadcast(wake)
                return nil
            }
            waiting += 1
            pthread_cond_wait(wake, mutex)
            waiting -= 1
        }
    }
}
