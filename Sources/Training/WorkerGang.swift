import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads that run one job's pieces at a time, the caller taking its share:
/// `gang.run(pieces) { piece in ... }` returns when every piece is done. The trainer splits
/// each layer's batch into one piece per thread.
///
/// Training must not starve serving on a shared machine, so the gang's threads (and a thread
/// that calls `lowerPriority()`, normally the training loop's own) can run at a higher nice
/// value: Linux then gives cores to normal-priority threads (request handling) first.
final class WorkerGang: @unchecked Sendable {
    let threadCount: Int
    let niceness: Int32
    private let state = State()

    /// `threads` in total including the caller (so `threads - 1` are started).
    init(threads: Int, niceness: Int32 = 0) {
        threadCount = max(1, threads)
        self.niceness = niceness
        for index in 1..<threadCount {
            let state = self.state
            let thread = Thread { WorkerGang.setNiceness(niceness); state.workerLoop() }
            thread.name = "training-\(index)"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Raises the calling thread's nice value to the gang's.
    func lowerPriority() { WorkerGang.setNiceness(niceness) }

    static func setNiceness(_ value: Int32) {
        guard value != 0 else { return }
        #if os(Linux)
        // Linux keeps the nice value per thread: PRIO_PROCESS with id 0 sets the calling thread's.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, value)
        #endif
    }

    /// Runs `body(0) ... body(count - 1)`, spread over the gang; returns when all are done.
    func run(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, threadCount > 1 else {
            for piece in 0..<count { body(piece) }
            return
        }
        withoutActuallyEscaping(body) { state.run(count, $0) }
    }

    /// Shared by the gang and its threads (which must not keep the gang itself alive).
    private final class State: @unchecked Sendable {
        private var job: ((Int) -> Void)?
        private var pieces = 0
        private var nextPiece = 0
        private var finished = 0
        private var generation = 0
        private var stopping = false
        private let condition = NSCondition()

        func stop() {
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
        }

        func run(_ count: Int, _ body: @escaping (Int) -> Void) {
            condition.lock()
            job = body
            pieces = count
            nextPiece = 0
            finished = 0
            generation &+= 1
            condition.broadcast()
            condition.unlock()
            work()
            condition.lock()
            while finished < pieces { condition.wait() }
            job = nil
            condition.unlock()
        }

        /// Takes pieces until none are left.
        private func work() {
            while runNextPiece() {
                condition.lock()
                finished += 1
                if finished == pieces { condition.broadcast() }
                condition.unlock()
            }
        }

        /// Runs one piece if one is left. The job is borrowed from a non-escaping closure, so
        /// this thread's reference to it must end (with this call) before `finished` tells the
        /// caller it may return.
        @inline(never)
        private func runNextPiece() -> Bool {
            condition.lock()
            guard nextPiece < pieces, let job else {
                condition.unlock()
                return false
            }
            let piece = nextPiece
            nextPiece += 1
            condition.unlock()
            job(piece)
            return true
        }

        func workerLoop() {
            var seen = 0
            while true {
                condition.lock()
                while generation == seen && !stopping { condition.wait() }
                if stopping {
                    condition.unlock()
                    return
                }
                seen = generation
                condition.unlock()
                work()
            }
        }
    }
}
