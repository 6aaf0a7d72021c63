import Foundation
import Logging

/// What a model author writes, as MAXModelWrapper in MAX: metadata, the declared input and
/// output, and the three pipeline steps. The framework builds the routes, Swagger and docs from
/// these alone.
///
/// One instance is created at start-up and called from several request threads at once, so
/// conforming types must be `Sendable` (immutable state, or state guarded by a lock).
public protocol ModelWrapper: Sendable {
    /// What `preProcess` hands to `predict` (e.g. a tensor).
    associatedtype Prepared
    /// What `predict` hands to `postProcess` (e.g. class scores).
    associatedtype Output
    /// One element of the response's `predictions` array.
    associatedtype Prediction: Encodable

    /// Served at GET /model/metadata (config.json `model.metadata` may override fields).
    var metadata: ModelMetadata { get }
    /// Form fields, content types and query parameters POST /model/predict accepts.
    var input: ModelInputSpec { get }
    /// The fields of one prediction, for Swagger.
    var output: ModelOutputSchema { get }

    /// Turns the upload into model input. Throw `ModelError` when the client sent something
    /// unusable (`.badRequest` for not an image or corrupt, `.unprocessable`, `.payloadTooLarge`):
    /// the client gets that status and the message.
    func preProcess(_ input: ModelInput) throws -> Prepared
    func predict(_ prepared: Prepared) throws -> Output
    /// Turns the raw output into predictions; `input` gives access to query parameters (`top_k`).
    func postProcess(_ output: Output, for input: ModelInput) throws -> [Prediction]
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

/// One upload as the plugin sees it, whether it came over HTTP or from `max-server predict`.
public struct ModelInput: Sendable {
    public var bytes: [UInt8]
    /// The upload's declared type (`image/png`), if any; plugins should sniff the bytes rather than trust it.
    public var contentType: String?
    public var fileName: String?
    /// Query parameters of the request, in order (e.g. `top_k`).
    public var query: [(name: String, value: String)]

    public init(bytes: [UInt8], contentType: String? = nil, fileName: String? = nil,
                query: [(name: String, value: String)] = []) {
        self.bytes = bytes
        self.contentType = contentType
        self.fileName = fileName
        self.query = query
    }

    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

/// The upload POST /model/predict accepts.
public struct ModelInputSpec: Sendable {
    /// Multipart field names, the preferred first (MAX-MNIST uses `file`, some MAX models `image`).
    public var fieldNames: [String]
    /// Content types accepted as a raw body, and listed in Swagger's `consumes`.
    public var contentTypes: [String]
    /// Shown in Swagger for the upload field.
    public var description: String
    public var queryParameters: [QueryParameter]

    public init(fieldNames: [String] = ["file", "image"],
                contentTypes: [String] = ["image/png", "image/jpeg", "image/bmp", "image/x-portable-anymap"],
                description: String, queryParameters: [QueryParameter] = []) {
        self.fieldNames = fieldNames
        self.contentTypes = contentTypes
        self.description = description
        self.queryParameters = queryParameters
    }
}

/// An optional query parameter of POST /model/predict (e.g. `top_k`).
public struct QueryParameter: Sendable {
    public var name: String
    public var type: SchemaType
    public var description: String
    public var defaultValue: JSONValue?

    public init(name: String, type: SchemaType, description: String, defaultValue: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.description = description
        self.defaultValue = defaultValue
    }
}

/// JSON types as Swagger names them.
public indirect enum SchemaType: Sendable {
    case integer, number, string, boolean
    case array(of: SchemaType)
    case object([SchemaProperty])
}

/// A named field of a prediction.
public struct SchemaProperty: Sendable {
    public var name: String
    public var type: SchemaType
    public var description: String
    public var example: JSONValue?

    public init(_ name: String, _ type: SchemaType, _ description: String, example: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.description = description
        self.example = example
    }
}

/// The fields of one element of `predictions`.
public struct ModelOutputSchema: Sendable {
    public var properties: [SchemaProperty]
    public init(properties: [SchemaProperty]) { self.properties = properties }
}

/// What a plugin is created from, once, at start-up.
public struct PluginContext: Sendable {
    /// The `model.options` section of config.json (an object; empty by default).
    public var options: JSONValue
    /// The file named by `model.asset`, verified against md5sums.txt; nil if none is configured.
    public var modelAsset: URL?
    /// Every verified asset by its configured path.
    public var assets: [String: URL]
    /// `limits.max_image_pixels`, for decoders.
    public var maxImagePixels: Int
    public var logger: Logger

    public init(options: JSONValue = .object([]), modelAsset: URL? = nil, assets: [String: URL] = [:],
                maxImagePixels: Int = 50_000_000, logger: Logger) {
        self.options = options
        self.modelAsset = modelAsset
        self.assets = assets
        self.maxImagePixels = maxImagePixels
        self.logger = logger
    }
}

/// A plugin registered by name in the executable; config.json `model.plugin` picks one.
public struct ModelPlugin: Sendable {
    public let name: String
    public let make: @Sendable (PluginContext) throws -> AnyModel

    /// Registers a wrapper type under `name`.
    public init<Wrapper: ModelWrapper>(name: String, _ create: @escaping @Sendable (PluginContext) throws -> Wrapper) {
        self.name = name
        self.make = { context in AnyModel(try create(context)) }
    }
}
