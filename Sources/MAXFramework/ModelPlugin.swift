import Foundation
import Logging

/// What a plugin is created from, once per served model, at start-up.
public struct PluginContext: Sendable {
    /// The model's `options`, checked against the plugin's declared options, with the declared
    /// defaults filled in (so `options["resize"]` is present whenever it has a default).
    public var options: JSONValue
    /// The model's file: the configured `file`, else its `asset` verified against md5sums.txt;
    /// nil when neither is configured.
    public var modelAsset: URL?
    /// Every verified asset by its configured path.
    public var assets: [String: URL]
    /// `limits.max_image_pixels`, for decoders.
    public var maxImagePixels: Int
    /// The config file's folder (else the working directory): where relative paths in options point.
    public var baseDirectory: URL
    public var logger: Logger

    public init(options: JSONValue = .object([]), modelAsset: URL? = nil, assets: [String: URL] = [:],
                maxImagePixels: Int = 50_000_000,
                baseDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath), logger: Logger) {
        self.options = options
        self.modelAsset = modelAsset
        self.assets = assets
        self.maxImagePixels = maxImagePixels
        self.baseDirectory = baseDirectory
        self.logger = logger
    }

    /// A path from an option, resolved beside the config file unless absolute.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
    }

    /// The option named `name` (its default when not configured), or nil.
    public func option(_ name: String) -> JSONValue? { options[name] }
}

/// One setting a plugin takes under its model's `options`: its type (a `Schema`), what it does,
/// and its default.
public struct PluginOption: Sendable {
    public let name: String
    public let schema: Schema
    public let description: String
    public let defaultValue: JSONValue?

    public init(_ name: String, _ schema: Schema, _ description: String, default defaultValue: JSONValue? = nil) {
        self.name = name
        self.schema = schema
        self.description = description
        self.defaultValue = defaultValue
    }
}

/// A plugin registered by name in the executable; a model's `plugin` in config.json picks one.
public struct ModelPlugin: Sendable {
    public let name: String
    /// The options it takes; any other key under `options` is warned about, a wrong type stops start-up.
    public let options: [PluginOption]
    public let make: @Sendable (PluginContext) throws -> AnyModel

    /// Registers a wrapper type under `name`.
    public init<Wrapper: ModelWrapper>(name: String, options: [PluginOption] = [],
                                       _ create: @escaping @Sendable (PluginContext) throws -> Wrapper) {
        self.name = name
        self.options = options
        self.make = { context in AnyModel(try create(context)) }
    }

    /// `configured` checked against the declared options: unknown keys become warnings (with a
    /// "did you mean" hint), a value of the wrong type a `ConfigurationError` naming
    /// `place.options.key`; declared defaults are filled in.
    public func checkedOptions(_ configured: JSONValue, place: String, warnings: inout [String]) throws -> JSONValue {
        let members = configured.objectMembers ?? []
        let known = Set(options.map(\.name))
        for (key, _) in members where !known.contains(key) {
            var warning = "\(place).options: the plugin '\(name)' has no option '\(key)'; ignored"
            if let guess = options.map(\.name).min(by: { ConfigurationKeys.editDistance($0, key) < ConfigurationKeys.editDistance($1, key) }),
               ConfigurationKeys.editDistance(guess, key) <= 3 {
                warning += " (did you mean '\(guess)'?)"
            }
            if options.isEmpty { warning += " (it takes no options)" }
            warnings.append(warning)
        }
        var result: [(key: String, value: JSONValue)] = []
        for option in options {
            if let value = members.first(where: { $0.key == option.name })?.value {
                if let problem = option.schema.firstProblem(in: value, at: option.name) {
                    throw ConfigurationError(key: "\(place).options.\(option.name)", message: Self.withoutPath(problem, option.name))
                }
                result.append((key: option.name, value: value))
            } else if let defaultValue = option.defaultValue {
                result.append((key: option.name, value: defaultValue))
            }
        }
        return .object(result)
    }

    /// A schema problem for `name` without its leading `name: ` (the key names it already).
    private static func withoutPath(_ problem: String, _ name: String) -> String {
        problem.hasPrefix(name + ": ") ? String(problem.dropFirst(name.count + 2)) : problem
    }
}

/// A plugin cannot make its model from what it was given (a missing file, labels that do not
/// match the model, a shape it cannot serve): start-up stops with this message.
public struct PluginSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
