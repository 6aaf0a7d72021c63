import Foundation
import Logging

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
