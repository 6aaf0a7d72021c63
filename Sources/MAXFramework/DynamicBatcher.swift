import Foundation

/// How a model batches the inputs of concurrent requests, named as Triton names it.
public struct BatchingSettings: Sendable, Equatable {
    /// Most inputs in one `predictBatch` call (Triton's `max_batch_size`); 1 turns batching off.
    public var maxBatchSize: Int
    /// How long the oldest waiting input may be held for others to join it (Triton's
    /// `max_queue_delay_microseconds`). 0 adds no wait: a batch is whatever arrived while the
    /// model was busy with the previous one.
    public var maxQueueDelayMicroseconds: Int

    public init(maxBatchSize: Int, maxQueueDelayMicroseconds: Int = 0) {
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
    }

    public var isEnabled: Bool { maxBatchSize > 1 }
}

/// What the configuration accepts.
enum BatchingLimits {
    static let maxBatchSize = 1024
    /// One second: longer would only hold requests hostage.
    static let maxQueueDelay = 1_000_000
}

/// Triton's dynamic batcher for one model: the prepared inputs of concurrent requests are
/// gathered into one batch call. No thread of its own: the first caller to find the model idle
/// leads, waiting up to the queue delay (or until the batch is full), runs the batch on its own
/// thread and hands every caller its results; the others wait. A request's inputs stay together
/// and in order, and each request gets back exactly its own results. `run` must give one
/// result per item, in order (the pipeline's `predict` does, retrying items one by one when a
/// batch fails, so a bad input fails only its own request).
final class DynamicBatcher<Item, Output>: @unchecked Sendable {
    typealias Run = (_ batch: [Item], _ observer: PipelineObserver?) -> [Result<Output, Error>]

    /// One caller's inputs while they wait.
    private final class Ticket {
        let items: [Item]
        let arrived: Double
        var results: [Result<Output, Error>]?

        init(items: [Item], arrived: Double) {
            self.items = items
            self.arrived = arrived
        }
    }

    let settings: BatchingSettings
    private let run: Run
    private let condition = NSCondition()
    /// Waiting tickets, oldest first.
    private var queue: [Ticket] = []
    private var queuedItems = 0
    /// A caller is gathering or running a batch.
    private var leading = false

    init(settings: BatchingSettings, run: @escaping Run) {
        precondition(settings.maxBatchSize >= 1 && settings.maxQueueDelayMicroseconds >= 0)
        self.settings = settings
        self.run = run
    }

    /// `items` (one request's) through the model as part of a batch: their results, in order.
    /// The observer is told each batch's inference time and size, and how long these items queued.
    func submit(_ items: [Item], observer: PipelineObserver?) -> [Result<Output, Error>] {
        guard !items.isEmpty else { return [] }
        let ticket = Ticket(items: items, arrived: MonotonicClock.now())
        condition.lock()
        queue.append(ticket)
        queuedItems += items.count
        // A leader waiting for the batch to fill may go now.
        if queuedItems >= settings.maxBatchSize { condition.broadcast() }
        while ticket.results == nil {
            if leading {
                condition.wait()
            } else {
                lead(observer: observer)
            }
        }
        condition.unlock()
        return ticket.results ?? []
    }

    /// With the lock held: waits until a batch is full or the oldest waiting input has waited
    /// the delay, takes whole requests oldest first (at least one, however large), runs them
    /// without the lock, then delivers the results and wakes everyone.
    private func lead(observer: PipelineObserver?) {
        leading = true
        let delay = Double(settings.maxQueueDelayMicroseconds) / 1_000_000
        while queuedItems < settings.maxBatchSize, let oldest = queue.first {
            let remaining = oldest.arrived + delay - MonotonicClock.now()
            guard remaining > 0 else { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining))
        }
        var taken: [Ticket] = []
        var count = 0
        while let next = queue.first, taken.isEmpty || count + next.items.count <= settings.maxBatchSize {
            taken.append(next)
            queue.removeFirst()
            count += next.items.count
        }
        queuedItems -= count
        condition.unlock()

        let started = MonotonicClock.now()
        for ticket in taken { observer?.observeQueue(seconds: started - ticket.arrived, items: ticket.items.count) }
        let results = run(taken.flatMap(\.items), observer)
        observer?.observe(.inference, seconds: MonotonicClock.now() - started, items: count)

        condition.lock()
        var offset = 0
        for ticket in taken {
            let end = offset + ticket.items.count
            ticket.results = end <= results.count
                ? Array(results[offset..<end])
                : ticket.items.map { _ in .failure(ModelFailure(stage: "predict", underlying: BatchSizeMismatch(inputs: count, outputs: results.count))) }
            offset = end
        }
        leading = false
        condition.broadcast()
    }
}
