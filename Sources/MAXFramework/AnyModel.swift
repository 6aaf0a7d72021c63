import Foundation

/// A `ModelWrapper` with its associated types erased, as the framework stores it: the pipeline
/// runs from inputs to encoded predictions, a batch at a time.
public final class AnyModel: Sendable {
    public let metadata: ModelMetadata
    public let input: ModelInputSpec
    public let output: ModelOutputSchema
    public let labels: [ModelLabel]?
    /// The wrapper itself, for adapters that need its concrete type (`wrapper as? MNISTModel`).
    public let wrapper: any ModelWrapper
    /// The JSON GET /model/metadata serves, encoded once.
    public let metadataBody: [UInt8]
    /// Most inputs the plugin's `predictBatch` takes at once (1: it does not batch).
    public let maxBatchSize: Int
    /// How concurrent requests are batched; nil when each runs alone.
    public let batching: BatchingSettings?
    private typealias Pipeline = @Sendable ([ModelInput], PipelineObserver?) -> [Result<ModelAnswer, Error>]
    private let pipeline: Pipeline
    /// The pipeline with a dynamic batcher of the given settings in front of `predict`.
    private let batchedPipeline: @Sendable (BatchingSettings) -> Pipeline

    public init<Wrapper: ModelWrapper>(_ wrapper: Wrapper) {
        metadata = wrapper.metadata
        input = wrapper.input
        output = wrapper.output
        labels = wrapper.labels
        self.wrapper = wrapper
        metadataBody = wrapper.metadata.json.serializedBytes
        maxBatchSize = max(1, wrapper.maxBatchSize)
        batching = nil
        let spec = wrapper.input
        let unbatched: @Sendable ([Wrapper.Prepared], PipelineObserver?) -> [Result<Wrapper.Output, Error>] = { batch, observer in
            let started = MonotonicClock.now()
            let outputs = AnyModel.predict(wrapper, batch)
            if !batch.isEmpty { observer?.observe(.inference, seconds: MonotonicClock.now() - started, items: batch.count) }
            return outputs
        }
        pipeline = { inputs, observer in AnyModel.run(wrapper, spec, inputs, observer, predict: unbatched) }
        batchedPipeline = { settings in
            let batcher = DynamicBatcher<Wrapper.Prepared, Wrapper.Output>(settings: settings) { batch, _ in
                AnyModel.predict(wrapper, batch)
            }
            return { inputs, observer in AnyModel.run(wrapper, spec, inputs, observer, predict: batcher.submit) }
        }
    }

    /// A copy serving `metadata` instead (config.json overrides), or batching as `batching` says.
    private init(_ other: AnyModel, metadata: ModelMetadata, batching: BatchingSettings?) {
        self.metadata = metadata
        self.input = other.input
        self.output = other.output
        self.labels = other.labels
        self.wrapper = other.wrapper
        self.metadataBody = metadata.json.serializedBytes
        self.maxBatchSize = other.maxBatchSize
        self.batching = batching
        self.batchedPipeline = other.batchedPipeline
        if let batching, batching != other.batching {
            self.pipeline = other.batchedPipeline(batching)
        } else {
            self.pipeline = other.pipeline
        }
    }

    public func withMetadata(_ overrides: [String: String]) -> AnyModel {
        overrides.isEmpty ? self : AnyModel(self, metadata: metadata.applying(overrides), batching: batching)
    }

    /// This model with concurrent requests gathered into batches (a new, empty queue), or self
    /// when `settings` turns batching off or the plugin does not batch. The batch size is capped
    /// at the plugin's `maxBatchSize`.
    public func batching(_ settings: BatchingSettings) -> AnyModel {
        precondition(batching == nil, "batching is set once, on the model a plugin made")
        let capped = BatchingSettings(maxBatchSize: min(settings.maxBatchSize, maxBatchSize),
                                      maxQueueDelayMicroseconds: settings.maxQueueDelayMicroseconds)
        guard capped.isEnabled else { return self }
        return AnyModel(self, metadata: metadata, batching: capped)
    }


    /// preProcess, predict (as one batch), postProcess: one result per input, in order. An
    /// input's failure is its own: `HTTPResponseError` (usually `ModelError`) for the client's
    /// mistakes, anything else (`ModelFailure`) for the service's. `observer` is told how long
    /// each step took and how each input ended (metrics).
    public func run(_ inputs: [ModelInput], observer: PipelineObserver? = nil) -> [Result<ModelAnswer, Error>] {
        pipeline(inputs, observer)
    }

    /// One input through the pipeline.
    public func run(_ input: ModelInput, observer: PipelineObserver? = nil) throws -> ModelAnswer {
        try run([input], observer: observer)[0].get()
    }

    /// `predict` runs the prepared inputs (directly, or through a dynamic batcher with other
    /// requests' inputs) and observes the inference time.
    private static func run<Wrapper: ModelWrapper>(
        _ wrapper: Wrapper, _ spec: ModelInputSpec, _ inputs: [ModelInput], _ observer: PipelineObserver?,
        predict: ([Wrapper.Prepared], PipelineObserver?) -> [Result<Wrapper.Output, Error>]
    ) -> [Result<ModelAnswer, Error>] {
        if inputs.count == 1 { return [runAlone(wrapper, spec, inputs[0], observer, predict: predict)] }
        var results = [Result<ModelAnswer, Error>?](repeating: nil, count: inputs.count)
        var prepared: [Wrapper.Prepared] = []
        var preparedIndices: [Int] = []
        for (index, input) in inputs.enumerated() {
            let started = MonotonicClock.now()
            do {
                try admit(input, spec)
                prepared.append(try wrapper.preProcess(input))
                preparedIndices.append(index)
            } catch {
                results[index] = .failure(clientOrFailure(error, stage: "pre-processing"))
            }
            observer?.observe(.preprocess, seconds: MonotonicClock.now() - started, items: 1)
        }
        let outputs = predict(prepared, observer)
        for (position, index) in preparedIndices.enumerated() {
            let started = MonotonicClock.now()
            results[index] = outputs[position].flatMap { output in
                Result { try answer(wrapper, output, for: inputs[index]) }
                    .mapError { clientOrFailure($0, stage: "post-processing") }
            }
            if case .success = outputs[position] {
                observer?.observe(.postprocess, seconds: MonotonicClock.now() - started, items: 1)
            }
        }
        let finished = results.map { $0! }
        for result in finished { observeOutcome(result, observer) }
        return finished
    }

    /// `run` for the usual request of one input, without the bookkeeping arrays a batch needs
    /// (each an allocation on every request): the same steps, observations and errors.
    private static func runAlone<Wrapper: ModelWrapper>(
        _ wrapper: Wrapper, _ spec: ModelInputSpec, _ input: ModelInput, _ observer: PipelineObserver?,
        predict: ([Wrapper.Prepared], PipelineObserver?) -> [Result<Wrapper.Output, Error>]
    ) -> Result<ModelAnswer, Error> {
        var started = MonotonicClock.now()
        let prepared: Wrapper.Prepared
        do {
            try admit(input, spec)
            prepared = try wrapper.preProcess(input)
        } catch {
            observer?.observe(.preprocess, seconds: MonotonicClock.now() - started, items: 1)
            let failure: Result<ModelAnswer, Error> = .failure(clientOrFailure(error, stage: "pre-processing"))
            observeOutcome(failure, observer)
            return failure
        }
        observer?.observe(.preprocess, seconds: MonotonicClock.now() - started, items: 1)
        let output = predict([prepared], observer)[0]
        started = MonotonicClock.now()
        let result = output.flatMap { output in
            Result { try answer(wrapper, output, for: input) }.mapError { clientOrFailure($0, stage: "post-processing") }
        }
        if case .success = output {
            observer?.observe(.postprocess, seconds: MonotonicClock.now() - started, items: 1)
        }
        observeOutcome(result, observer)
        return result
    }

    /// How an input ended, for the metrics: answered, refused (the client's mistake) or failed.
    private static func observeOutcome(_ result: Result<ModelAnswer, Error>, _ observer: PipelineObserver?) {
        switch result {
        case .success: observer?.observe(outcome: .ok)
        case .failure(let error): observer?.observe(outcome: error is HTTPResponseError ? .clientError : .error)
        }
    }

    /// What every plugin may assume of its input: a file is not empty, a JSON body fits the
    /// declared schema (422 naming the first bad member otherwise).
    private static func admit(_ input: ModelInput, _ spec: ModelInputSpec) throws {
        switch input.content {
        case .file(let file):
            guard spec.files != nil else { throw ModelError.unsupportedMediaType("this model takes \(spec.acceptedForms), not a file") }
            guard !file.bytes.isEmpty else { throw ModelError.badRequest("the uploaded file is empty") }
        case .json(let value):
            guard let json = spec.json else { throw ModelError.unsupportedMediaType("this model takes \(spec.acceptedForms), not JSON") }
            try json.schema.validate(value)
        }
    }

    /// The batch through `predictBatch`; if it fails, item by item, so a bad item fails alone.
    private static func predict<Wrapper: ModelWrapper>(_ wrapper: Wrapper, _ batch: [Wrapper.Prepared]) -> [Result<Wrapper.Output, Error>] {
        guard !batch.isEmpty else { return [] }
        if batch.count == 1 {
            return [Result { try wrapper.predict(batch[0]) }.mapError { clientOrFailure($0, stage: "predict") }]
        }
        do {
            let outputs = try wrapper.predictBatch(batch)
            guard outputs.count == batch.count else {
                throw ModelFailure(stage: "predict", underlying: BatchSizeMismatch(inputs: batch.count, outputs: outputs.count))
            }
            return outputs.map { .success($0) }
        } catch {
            return batch.map { item in Result { try wrapper.predict(item) }.mapError { clientOrFailure($0, stage: "predict") } }
        }
    }

    private static func answer<Wrapper: ModelWrapper>(_ wrapper: Wrapper, _ output: Wrapper.Output,
                                                      for input: ModelInput) throws -> ModelAnswer {
        let predictions = try wrapper.postProcess(output, for: input)
        let fields = try wrapper.responseFields(output, for: input)
        let encoder = JSONValueEncoder()
        let encoded: [JSONValue]
        do {
            encoded = try predictions.map { try encoder.encode($0) }
        } catch {
            throw ModelFailure(stage: "encoding predictions", underlying: error)
        }
        return ModelAnswer(predictions: encoded, fields: fields)
    }

    /// The client's mistakes keep their status; anything else becomes the service's fault.
    private static func clientOrFailure(_ error: Error, stage: String) -> Error {
        if error is HTTPResponseError || error is ModelFailure { return error }
        return ModelFailure(stage: stage, underlying: error)
    }
}

/// The predictions for one input, encoded, with the extra response members the plugin added.
public struct ModelAnswer: Sendable {
    public var predictions: [JSONValue]
    public var fields: [(key: String, value: JSONValue)]

    public init(predictions: [JSONValue], fields: [(key: String, value: JSONValue)] = []) {
        self.predictions = predictions
        self.fields = fields
    }
}

/// The model failed for a reason that is not the client's: logged in full, answered with 500.
public struct ModelFailure: Error, CustomStringConvertible {
    public let stage: String
    public let underlying: Error
    public init(stage: String, underlying: Error) {
        self.stage = stage
        self.underlying = underlying
    }
    public var description: String { "\(stage) failed: \(underlying)" }
}

/// `predictBatch` returned a different number of outputs than it was given inputs.
struct BatchSizeMismatch: Error, CustomStringConvertible {
    let inputs: Int
    let outputs: Int
    var description: String { "predictBatch returned \(outputs) outputs for \(inputs) inputs" }
}
