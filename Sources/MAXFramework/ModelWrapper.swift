import Foundation
import Logging

/// What a model author writes, as MAXModelWrapper in MAX: metadata, the declared input and
/// output, and the three pipeline steps. The framework builds the routes, the OpenAPI documents
/// and the docs page from these alone.
///
/// One instance is created at start-up and called from several request threads at once, so
/// conforming types must be `Sendable` (immutable state, or state guarded by a lock).
public protocol ModelWrapper: Sendable {
    /// What `preProcess` hands to `predict` (e.g. a tensor).
    associatedtype Prepared
    /// What `predict` hands to `postProcess` (e.g. class scores).
    associatedtype Output
    /// One element of the response's `predictions` array; encoded once, members in the order
    /// the type encodes them.
    associatedtype Prediction: Encodable

    /// Served at GET /model/metadata (config.json `model.metadata` may override fields).
    var metadata: ModelMetadata { get }
    /// What POST /model/predict takes: files, JSON, or either, and its query parameters.
    var input: ModelInputSpec { get }
    /// The fields of one prediction, for the documents.
    var output: ModelOutputSchema { get }
    /// The classes a classifier tells apart, served at GET /model/labels; nil (the default) for
    /// a model that has none.
    var labels: [ModelLabel]? { get }

    /// Turns one input into model input. Throw `ModelError` when the client sent something
    /// unusable (`.badRequest` for not an image or corrupt, `.unprocessable`, `.payloadTooLarge`):
    /// the client gets that status and the message.
    func preProcess(_ input: ModelInput) throws -> Prepared
    func predict(_ prepared: Prepared) throws -> Output
    /// Several inputs at once (the files of one request, or with dynamic batching those of
    /// concurrent requests); the default calls `predict` on each. Implement it when the model
    /// runs a batch faster than its items one by one. If it throws, the framework retries the
    /// items one by one, so one bad item fails only itself.
    func predictBatch(_ batch: [Prepared]) throws -> [Output]
    /// Most inputs `predictBatch` takes at once. A plugin opts in to dynamic batching (the
    /// model's `max_batch_size` setting) by answering more than 1, the default.
    var maxBatchSize: Int { get }
    /// Turns the raw output into predictions; `input` gives access to query parameters (`top_k`).
    func postProcess(_ output: Output, for input: ModelInput) throws -> [Prediction]
    /// Members added to the response after `status` and `predictions` (e.g. a `message` saying
    /// nothing was found); none by default.
    func responseFields(_ output: Output, for input: ModelInput) throws -> [(key: String, value: JSONValue)]
}

extension ModelWrapper {
    public var labels: [ModelLabel]? { nil }

    public func predictBatch(_ batch: [Prepared]) throws -> [Output] { try batch.map(predict) }

    public var maxBatchSize: Int { 1 }

    public func responseFields(_ output: Output, for input: ModelInput) throws -> [(key: String, value: JSONValue)] { [] }
}

/// The metadata MAX serves: `{"id", "name", "description", "type", "source", "license"}`.
public struct ModelMetadata: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var description: String
    public var type: String
    public var source: String
    public var license: String

    public init(id: String, name: String, description: String, type: String, source: String, license: String) {
        self.id = id
        self.name = name
        self.description = description
        self.type = type
        self.source = source
        self.license = license
    }

    /// This metadata with the fields named in `overrides` replaced.
    public func applying(_ overrides: [String: String]) -> ModelMetadata {
        var copy = self
        if let value = overrides["id"] { copy.id = value }
        if let value = overrides["name"] { copy.name = value }
        if let value = overrides["description"] { copy.description = value }
        if let value = overrides["type"] { copy.type = value }
        if let value = overrides["source"] { copy.source = value }
        if let value = overrides["license"] { copy.license = value }
        return copy
    }

    var json: JSONValue {
        .object([("id", .string(id)), ("name", .string(name)), ("description", .string(description)),
                 ("type", .string(type)), ("source", .string(source)), ("license", .string(license))])
    }
}

/// The fields of one element of `predictions`.
public struct ModelOutputSchema: Sendable {
    public var properties: [SchemaProperty]
    public init(properties: [SchemaProperty]) { self.properties = properties }
}

/// One class of a classifier, as MAX's GET /model/labels lists it: `{"id": "0", "name": "zero"}`.
public struct ModelLabel: Sendable, Equatable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// Labels `0`...`n-1` named by `names` (class indices as names when none are given).
    public static func indexed(_ names: [String]) -> [ModelLabel] {
        names.enumerated().map { ModelLabel(id: String($0.offset), name: $0.element) }
    }
}

