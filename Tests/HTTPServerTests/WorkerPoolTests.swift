import Foundation
@testable import HTTPServer
import XCTest

/// The queue's order is what the event loop relies on when it takes work for its own thread:
/// the oldest job first, and a job taken is never run by a worker as well.
final class WorkerPoolTests: XCTestCase {
    func testTakingJobsGivesTheOldestFirstAndTheWorkersRunOnlyTheRest() {
        let pool = WorkerPool(threadCount: 1, name: "test-worker")
        defer { pool.stop(timeout: 5) }
        let blocker = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let lock = NSLock()
        var ran: [String] = []
        func record(_ name: String) -> WorkerJob {
            ClosureJob { lock.lock(); ran.append(name); lock.unlock() }
        }
        // The pool's only thread is held, so everything submitted next stays queued.
        pool.submit { started.signal(); blocker.wait() }
        started.wait()
        pool.submit(contentsOf: [record("first"), record("second")])

        pool.submitTakingOldest(contentsOf: [record("third")])?.run()
        pool.submitTakingOldest(contentsOf: [record("fourth")])?.run()
        XCTAssertEqual(ran, ["first", "second"], "what waited longest is taken first")

        let done = DispatchSemaphore(value: 0)
        pool.submit { done.signal() }
        blocker.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        lock.lock()
        XCTAssertEqual(ran, ["first", "second", "third", "fourth"], "the worker runs what was left, once each")
        lock.unlock()
        XCTAssertNil(pool.submitTakingOldest(contentsOf: []), "nothing is left to take")
        pool.submitTakingOldest(contentsOf: [record("fifth")])?.run()
        lock.lock()
        XCTAssertEqual(ran.last, "fifth", "with nothing older waiting, the batch's first is taken")
        lock.unlock()
    }
}
