import Foundation

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

    /// Serves `model` from now on. It must take the same input and give the same output as the
    /// one it replaces, since the documents were generated from that one.
    public func replace(with model: AnyModel) {
        lock.lock(); current = model; lock.unlock()
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
