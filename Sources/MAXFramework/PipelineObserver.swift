/// The three steps every prediction goes through, as metrics name them.
public enum PipelineStage: String, Sendable, CaseIterable {
    case preprocess, inference, postprocess
}

/// Told how long each pipeline step took (metrics). `items` is how many inputs the step handled
/// at once: 1 for pre- and post-processing, the batch size for inference.
public protocol PipelineObserver: Sendable {
    func observe(_ stage: PipelineStage, seconds: Double, items: Int)
    /// One input's outcome: answered, refused as the client's mistake, or failed.
    func observe(outcome: PipelineOutcome)
    /// How long `items` inputs of one request waited in the dynamic batcher's queue.
    func observeQueue(seconds: Double, items: Int)
}

extension PipelineObserver {
    public func observeQueue(seconds: Double, items: Int) {}
}

public enum PipelineOutcome: String, Sendable {
    case ok
    case clientError = "client_error"
    case error
}
