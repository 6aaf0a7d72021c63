import Foundation

/// Threads running submitted jobs in arrival order. Handlers may be CPU-heavy (model
/// predictions, decoding a huge image), so they run here and never on an event loop. The queue
/// needs no bound of its own: each connection has at most one request in flight and
/// connections are capped.
///
/// A job that has run longer than `longJobThreshold` stops counting against `threadCount`: when
/// jobs are queued and every thread is taken, another thread is started (up to `maxExtraThreads`
/// more), so that a few slow requests cannot hold up the quick ones behind them; the kernel then
/// shares the cores between them. Extra threads end after a second without work.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [WorkerJob] = []
    private var head = 0
    private var stopping = false
    private let name: String
    private let threadCount: Int
    private let maxExtraThreads: Int
    private let longJobThreshold: Double
    private var liveThreads = 0
    private var sleepingThreads = 0
    private var threadsStarted = 0
    /// When each busy thread's current job started, by the thread's number.
    private var jobStarts: [Int: Double] = [:]

    init(threadCount: Int, name: String, maxExtraThreads: Int = 0, longJobThreshold: Double = .infinity) {
        self.name = name
        self.threadCount = threadCount
        self.maxExtraThreads = max(0, maxExtraThreads)
        self.longJobThreshold = longJobThreshold
        condition.lock()
        for _ in 0..<threadCount { startThread() }
        condition.unlock()
    }

    func submit(_ job: @escaping () -> Void) {
        submit(contentsOf: [ClosureJob(job)])
    }

    /// Queues a batch under one lock and wakes only as many sleeping workers as there are jobs:
    /// an event loop hands over everything one epoll round produced at once.
    func submit(contentsOf batch: [WorkerJob]) {
        guard !batch.isEmpty else { return }
        condition.lock()
        jobs.append(contentsOf: batch)
        for _ in 0..<min(batch.count, sleepingThreads) { condition.signal() }
        addThreadsForQueuedJobs(now: MonotonicClock.now())
        condition.unlock()
    }

    /// True when jobs wait for a thread.
    var hasQueuedJobs: Bool {
        condition.lock()
        defer { condition.unlock() }
        return head < jobs.count
    }

    /// Queues `batch` and takes the oldest queued job (the batch's first when nothing older
    /// waits) for the caller to run on its own thread, under one lock, waking only as many
    /// sleeping workers as jobs were left for them. An event loop that runs handlers itself takes
    /// its work this way, so that whichever thread runs a request, requests start in the order
    /// they arrived, and no worker is woken for the job the loop keeps.
    func submitTakingOldest(contentsOf batch: [WorkerJob]) -> WorkerJob? {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(contentsOf: batch)
        guard head < jobs.count else { return nil }
        let oldest = takeOldest()
        for _ in 0..<min(max(0, batch.count - 1), sleepingThreads) { condition.signal() }
        addThreadsForQueuedJobs(now: MonotonicClock.now())
        return oldest
    }

    /// Called now and then (the event loops' timer tick): starts a thread if jobs wait while
    /// every thread is held by a long job.
    func rebalance() {
        condition.lock()
        addThreadsForQueuedJobs(now: MonotonicClock.now())
        condition.unlock()
    }

    /// Lets queued jobs finish, then ends the threads; waits at most `timeout` seconds for them.
    /// Returns false when a job was still running at the end (its thread exits when it returns).
    @discardableResult
    func stop(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while liveThreads > 0 {
            if !condition.wait(until: deadline) { return liveThreads == 0 }
        }
        return true
    }

    /// Under the lock.
    private func addThreadsForQueuedJobs(now: Double) {
        guard !stopping, maxExtraThreads > 0 else { return }
        let queued = jobs.count - head - sleepingThreads
        guard queued > 0, liveThreads < threadCount + maxExtraThreads else { return }
        let longJobs = jobStarts.values.reduce(0) { $0 + (now - $1 > longJobThreshold ? 1 : 0) }
        let available = liveThreads - longJobs
        let wanted = min(queued, threadCount - available, threadCount + maxExtraThreads - liveThreads)
        for _ in 0..<max(0, wanted) { startThread() }
    }

    /// Under the lock.
    private func startThread() {
        let number = threadsStarted
        threadsStarted += 1
        liveThreads += 1
        let threadName = "\(name)-\(number)"
        let thread = Thread { [self] in
            ThreadName.setForCurrentThread(threadName)
            work(number: number)
        }
        thread.stackSize = 8 << 20  // handlers may recurse through model code
        thread.start()
    }

    private func work(number: Int) {
        condition.lock()
        while true {
            while head == jobs.count && !stopping {
                sleepingThreads += 1
                if liveThreads > threadCount {
                    // An extra thread: it ends once a second passes without work for it.
                    let gotWork = condition.wait(until: Date(timeIntervalSinceNow: 1))
                    sleepingThreads -= 1
                    if !gotWork && head == jobs.count && liveThreads > threadCount { return exit() }
                } else {
                    condition.wait()
                    sleepingThreads -= 1
                }
            }
            if head == jobs.count { return exit() }
            let job = takeOldest()
            jobStarts[number] = MonotonicClock.now()
            condition.unlock()
            job.run()
            condition.lock()
            jobStarts[number] = nil
        }
    }

    /// Under the lock, with a job queued: dequeues it, dropping the taken prefix once it is
    /// all of the queue or most of a long one.
    private func takeOldest() -> WorkerJob {
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= jobs.count {
            jobs.removeSubrange(0..<head)
            head = 0
        }
        return job
    }

    /// Under the lock, which it gives up: the thread is done.
    private func exit() {
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
    }
}

/// Seconds on a clock that never jumps, for deadlines and durations.
public enum MonotonicClock {
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Work for the pool. A job that an event loop takes for its own thread may be asked more of
/// than `run` (see `EventLoop.RequestJob`).
protocol WorkerJob: AnyObject {
    func run()
}

/// A closure as a job.
final class ClosureJob: WorkerJob {
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
    func run() { body() }
}
