import Datasets
import Foundation
import MAXFramework
import Training

/// One training request's life: queued, training, then succeeded, failed or cancelled. Read
/// by the status route while the runner thread updates it, so every field is behind a lock.
public final class TrainingJob: @unchecked Sendable {
    public enum State: String, Sendable {
        case queued
        /// Imagia's word for a running job.
        case training = "training_in_progress"
        case succeeded, failed, cancelled
    }

    /// The key clients poll with (a UUID, as Imagia's proposal has it).
    public let key: String
    let request: TrainingRequest
    let data: DatasetSplits?
    let cancellation = CancellationFlag()
    private let lock = NSLock()
    private var _state = State.queued
    private var _epoch = 0
    private var _batch = 0
    private var _batches = 0
    private var _loss: Double?
    private var _accuracy: Double?
    private var _history: [EpochReport] = []
    private var _outcome: TrainingOutcome?
    private var _message: String?
    private var _asset: (path: String, md5: String)?
    private var _deployed = false
    let created = Date()
    private var _started: Date?
    private var _finished: Date?

    init(request: TrainingRequest, data: DatasetSplits?) {
        key = UUID().uuidString.lowercased()
        self.request = request
        self.data = data
    }

    public var state: State { lock.lock(); defer { lock.unlock() }; return _state }
    var isFinished: Bool { [.succeeded, .failed, .cancelled].contains(state) }

    func update(_ body: (TrainingJob) -> Void) {
        lock.lock()
        body(self)
        lock.unlock()
    }

    func start() { update { $0._state = .training; $0._started = Date() } }

    func record(_ event: TrainingEvent) {
        update { job in
            switch event {
            case let .batch(progress):
                (job._epoch, job._batch, job._batches) = (progress.epoch, progress.batch, progress.batches)
                (job._loss, job._accuracy) = (progress.loss, progress.accuracy)
            case let .epoch(report):
                job._history.append(report)
                (job._loss, job._accuracy) = (report.loss, report.accuracy)
            }
        }
    }

    func finish(_ state: State, outcome: TrainingOutcome? = nil, message: String? = nil,
                asset: (path: String, md5: String)? = nil, deployed: Bool = false) {
        update { job in
            job._state = state
            job._outcome = outcome
            job._message = message
            job._asset = asset
            job._deployed = deployed
            job._finished = Date()
        }
    }

    /// GET .../train/{key}: Imagia's `status`, `current_epoch`, `current_loss`, plus accuracy,
    /// the epochs asked for, progress within the epoch, the per-epoch history and, once done,
    /// the Imagia result (or the error), the saved asset and whether it was deployed.
    var status: JSONValue {
        lock.lock(); defer { lock.unlock() }
        var members: [(key: String, value: JSONValue)] = [
            ("key", .string(key)), ("status", .string(_state.rawValue)),
            ("current_epoch", .int(_epoch)), ("epochs", .int(request.configuration.epochs)),
            ("current_loss", _loss.map { .number($0) } ?? .null),
            ("current_accuracy", _accuracy.map { .number($0) } ?? .null),
            ("batch", .int(_batch)), ("batches", .int(_batches)),
            ("history", .array(_history.map(TrainingResponses.epoch))),
        ]
        if cancellation.isCancelled && _finished == nil { members.append(("cancel_requested", .bool(true))) }
        if let outcome = _outcome { members.append(("result", TrainingResponses.result(outcome)["message"] ?? .null)) }
        if let message = _message { members.append(("message", .string(message))) }
        if let asset = _asset {
            members.append(("asset", .object([("path", .string(asset.path)), ("md5", .string(asset.md5))])))
        }
        if request.deploy { members.append(("deployed", .bool(_deployed))) }
        func time(_ date: Date?) -> JSONValue { date.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null }
        members += [("created", time(created)), ("started", time(_started)), ("finished", time(_finished))]
        return .object(members)
    }
}

/// Runs jobs one at a time, in order, on a thread of its own at a lower priority than serving;
/// at most `capacity` jobs wait behind the running one. Finished jobs are remembered (the last
/// `keep`) so their results can still be read.
public final class TrainingJobQueue: @unchecked Sendable {
    let capacity: Int
    let keep: Int
    private let lock = NSCondition()
    private var waiting: [TrainingJob] = []
    private var jobs: [String: TrainingJob] = [:]
    private var order: [String] = []
    private var running: TrainingJob?
    private let work: (TrainingJob) -> Void

    /// `work` runs each job to its end (it calls the job's `start` and `finish`).
    init(capacity: Int, keep: Int = 64, niceness: Int32, work: @escaping (TrainingJob) -> Void) {
        self.capacity = capacity
        self.keep = keep
        self.work = work
        let thread = Thread { [weak self] in
            TrainingJobQueue.lowerPriority(niceness)
            while let self, let job = self.next() {
                self.work(job)
                self.lock.lock()
                self.running = nil
                self.lock.unlock()
            }
        }
        thread.name = "training-jobs"
        thread.start()
    }

    private static func lowerPriority(_ niceness: Int32) {
        #if os(Linux)
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
    }

    /// Blocks until a job is waiting.
    private func next() -> TrainingJob? {
        lock.lock()
        defer { lock.unlock() }
        while waiting.isEmpty { lock.wait() }
        let job = waiting.removeFirst()
        running = job
        return job
    }

    /// Queues `job`; nil when the queue is full.
    func submit(_ job: TrainingJob) -> TrainingJob? {
        lock.lock()
        defer { lock.unlock() }
        guard waiting.count < capacity || (capacity == 0 && running == nil && waiting.isEmpty) else { return nil }
        waiting.append(job)
        jobs[job.key] = job
        order.append(job.key)
        // Forget the oldest finished jobs beyond `keep`.
        while order.count > keep, let index = order.firstIndex(where: { jobs[$0]?.isFinished == true }) {
            jobs[order.remove(at: index)] = nil
        }
        lock.signal()
        return job
    }

    func job(_ key: String) -> TrainingJob? {
        lock.lock(); defer { lock.unlock() }
        return jobs[key]
    }

    /// All remembered jobs, oldest first.
    var all: [TrainingJob] {
        lock.lock(); defer { lock.unlock() }
        return order.compactMap { jobs[$0] }
    }

    /// Cancels a waiting job at once, or asks a running one to stop after its current batch.
    /// False when the job had already finished.
    func cancel(_ job: TrainingJob) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let index = waiting.firstIndex(where: { $0 === job }) {
            waiting.remove(at: index)
            job.finish(.cancelled, message: "cancelled before it started")
            return true
        }
        guard !job.isFinished else { return false }
        job.cancellation.cancel()
        return true
    }

    /// Jobs waiting plus the one running.
    var load: (waiting: Int, running: Bool) {
        lock.lock(); defer { lock.unlock() }
        return (waiting.count, running != nil)
    }
}
