import Foundation

/// A fixed set of threads running submitted jobs in arrival order. Handlers may be CPU-heavy
/// (model predictions), so they run here and never on an event loop. The queue needs no bound of
/// its own: each connection has at most one request in flight and connections are capped.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var stopping = false
    private var liveThreads = 0
    private var sleepingThreads = 0

    init(threadCount: Int, name: String) {
        liveThreads = threadCount
        for index in 0..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 8 << 20  // handlers may recurse through model code
            thread.start()
        }
    }

    func submit(_ job: @escaping () -> Void) {
        submit(contentsOf: [job])
    }

    /// Queues a batch under one lock and wakes only as many sleeping workers as there are jobs:
    /// an event loop hands over everything one epoll round produced at once.
    func submit(contentsOf batch: [() -> Void]) {
        guard !batch.isEmpty else { return }
        condition.lock()
        jobs.append(contentsOf: batch)
        for _ in 0..<min(batch.count, sleepingThreads) { condition.signal() }
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

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping {
                sleepingThreads += 1
                condition.wait()
                sleepingThreads -= 1
            }
            if head == jobs.count {
                liveThreads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= jobs.count {
                jobs.removeSubrange(0..<head)
                head = 0
            }
            condition.unlock()
            job()
        }
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
