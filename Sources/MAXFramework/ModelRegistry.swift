import Foundation
import Logging

/// One model the service serves, under its id. The model itself may be replaced while the
/// service runs (a training job deploying its result): requests that already hold the old one
/// finish on it, new requests get the new one, none fails.
public final class ServedModel: @unchecked Sendable {
    /// Unique in the service; the `{id}` of `/models/{id}/...`.
    public let id: String
    /// The registered plugin that made it (`mnist`, `keras-classifier`).
    public let pluginName: String
    private let lock = NSLock()
    private var current: AnyModel
    private var currentVersion = 1
    private var pipelineObserver: PipelineObserver?
    private var replacementListeners: [@Sendable (ServedModel) -> Void] = []

    public init(id: String, pluginName: String, model: AnyModel) {
        self.id = id
        self.pluginName = pluginName
        self.current = model
    }

    /// The model to use for one request; take it once per request.
    public var model: AnyModel {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// 1 for the model loaded at start-up, one more for each replacement (KServe's model
    /// version, the metrics' `version` label).
    public var version: Int {
        lock.lock(); defer { lock.unlock() }
        return currentVersion
    }

    /// Serves `model` from now on. It must take the same input and give the same output as the
    /// one it replaces, since the documents were generated from that one.
    public func replace(with model: AnyModel) {
        lock.lock()
        current = model
        currentVersion += 1
        let listeners = replacementListeners
        lock.unlock()
        for listener in listeners { listener(self) }
    }

    /// Told of each replacement (metrics relabel the model's version).
    public func onReplace(_ listener: @escaping @Sendable (ServedModel) -> Void) {
        lock.lock(); replacementListeners.append(listener); lock.unlock()
    }

    /// Who is told how this model's predictions went (the service's metrics); nil for nobody.
    public var observer: PipelineObserver? {
        get { lock.lock(); defer { lock.unlock() }; return pipelineObserver }
        set { lock.lock(); pipelineObserver = newValue; lock.unlock() }
    }

    /// The inputs of one request through the current model, observed: every adapter serving this
    /// model (MAX's routes, KServe, the digit services') predicts through here.
    public func run(_ inputs: [ModelInput]) -> [Result<ModelAnswer, Error>] {
        model.run(inputs, observer: observer)
    }

    /// As `run`, answered in MAX's envelope.
    public func respond(to inputs: [ModelInput], logger: Logger) -> PredictionOutcome {
        model.respond(to: inputs, logger: logger, observer: observer)
    }
}

/// Every model of the service, in configured order; the first is the default that MAX's
/// `/model/*` routes serve.
public final class ModelRegistry: Sendable {
    public let models: [ServedModel]

    public init(_ models: [ServedModel]) {
        precondition(!models.isEmpty, "a service serves at least one model")
        self.models = models
    }

    public var defaultModel: ServedModel { models[0] }

    public func model(id: String) -> ServedModel? { models.first { $0.id == id } }

    /// The served models made by `plugin`, in order.
    public func models(plugin: String) -> [ServedModel] { models.filter { $0.pluginName == plugin } }
}
