import Foundation
import Logging

/// Everything the service is told from outside. Every key has a default, so `{}` works.
/// Precedence, lowest first: defaults < config.json < environment (`MAX_*`, plus the names
/// other digit services use: `APP_HOST`, `APP_PORT`, `APP_LOG`, `CORS_ENABLE`) < command-line flags.
/// The keys are listed once, in `ConfigurationKeys.all`, which README.md documents.
public struct MAXConfiguration: Sendable {
    // api: what /swagger.json and the docs page call the API. The defaults describe the model
    // served by default (the MNIST plugin with its built-in model), so no config file is needed.
    public var apiTitle = "MAX MNIST"
    public var apiDescription = "Classifies a handwritten digit (0-9) in an uploaded image with a Keras CNN trained on MNIST."
    public var apiVersion = "1.0.0"

    // server
    public var host = "0.0.0.0"
    public var port = 5000
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .text
    public var corsEnabled = false
    /// The demo app at /app (MAX's web apps; off with `DISABLE_WEB_APP=true`).
    public var webAppEnabled = true
    /// Threads running requests; 0 = one per core (at least 2).
    public var workers = 0
    /// Seconds between SIGTERM (readiness off) and closing the listener, while still serving.
    public var drainDelay: Double = 0

    // limits
    public var maxUploadBytes = 16 * 1024 * 1024
    /// Largest width x height a plugin should decode (passed to plugins in their context).
    public var maxImagePixels = 50_000_000
    public var requestTimeout: Double = 30
    /// Seconds to send a complete request head (HTTPServerConfiguration.headerTimeout).
    public var headerTimeout: Double = 10
    /// Bytes of request bodies held at once (HTTPServerConfiguration.maxBufferedBodyBytes).
    public var bodyMemoryBudget = 128 * 1024 * 1024
    /// Bytes of decoded images held at once (ImageCodecs' DecodingBudget, set by max-server).
    public var imageMemoryBudget = 512 * 1024 * 1024
    /// Seconds a request waits for its share of either budget before 503.
    public var memoryWait: Double = 1
    /// Connections open at once (HTTPServerConfiguration.maxConnections).
    public var maxConnections = 1024

    // models
    /// The served models, the default (what MAX's `/model/*` serves) first: config.json's
    /// `models` list, or its single `model` section. Never empty.
    public var models: [ModelConfiguration] = [ModelConfiguration()]

    // engine: the orchestration engine this service announces itself to (its digit-service contract).
    /// The engine's base URL (`APP_ENGINE`); announcing is on when this and `engineServiceURL` are set.
    public var engineURL: String? = nil
    /// This service's own base URL as the engine reaches it (`APP_SERVICE`).
    public var engineServiceURL: String? = nil
    /// Seconds between announcements (`APP_NOTIFY_CRON`).
    public var engineNotifyInterval: Double = 30

    // assets
    public var checksumFile = "md5sums.txt"
    /// Seconds a download may take for each 64 KiB: a silent link and one that drips both fail.
    public var downloadTimeout: Double = 60
    /// Seconds a whole download may take.
    public var downloadTotalTimeout: Double = 3600
    /// Largest asset downloaded (refused from its announced length, or cut when it grows past it).
    public var maxDownloadBytes = 2 * 1024 * 1024 * 1024
    public var assets: [AssetSpec] = []

    // training (the train routes of module TrainingService; off by default)
    public var training = TrainingSettings()

    /// Folder relative paths are resolved against: the config file's folder, else the working directory.
    public var baseDirectory: URL

    public init(baseDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.baseDirectory = baseDirectory
    }

    /// `path` resolved against `baseDirectory` unless absolute.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
    }
}

extension MAXConfiguration {
    // The single-model keys (`model.*`, `MAX_MODEL_*`, `--model`) set the default model.

    /// Name of the registered plugin serving the default model.
    public var modelPlugin: String {
        get { models[0].plugin }
        set { models[0].plugin = newValue }
    }
    /// Path (as listed under assets.files) of the file the default model's plugin loads.
    public var modelAsset: String? {
        get { models[0].asset }
        set { models[0].asset = newValue }
    }
    /// A model file loaded instead of `modelAsset`, as is: a user's own file needs no MD5 entry.
    public var modelFile: String? {
        get { models[0].file }
        set { models[0].file = newValue }
    }
    /// Replacements for fields of the default model's metadata.
    public var modelMetadata: [String: String] {
        get { models[0].metadata }
        set { models[0].metadata = newValue }
    }
    /// The default model's plugin options.
    public var modelOptions: JSONValue {
        get { models[0].options }
        set { models[0].options = newValue }
    }
}

/// One served model as configured: which plugin serves it, from which file, with what options.
/// `training.*`: what the train routes may do. Paths are as configured (resolve them with
/// `MAXConfiguration.resolve`); nil data means requests must upload their data.
public struct TrainingSettings: Sendable, Equatable {
    public var enabled = false
    /// Empty: no token required.
    public var token = ""
    public var data: String?
    public var testData: String?
    public var maxEpochs = 100
    public var maxBatchSize = 1024
    public var maxQueue = 4
    public var maxDataBytes = 256 << 20
    public var maxParameters = 10_000_000
    public var maxMemoryBytes = 2 << 30
    /// 0: one per core.
    public var threads = 0
    public var niceness = 10
    public var outputDirectory = "trained"

    public init() {}
}

public struct ModelConfiguration: Sendable, Equatable {
    /// The `{id}` of `/models/{id}/...`; nil means the plugin's name.
    public var id: String?
    /// Name of the registered plugin.
    public var plugin = "mnist"
    /// Path (as listed under assets.files) of the file the plugin loads; nil for none (a plugin
    /// may then use a built-in model, as `mnist` does).
    public var asset: String?
    /// A model file loaded instead of `asset`, as is (no MD5 entry needed). A relative path from
    /// config.json is resolved beside it; from the environment or a flag, against the working directory.
    public var file: String?
    /// Replacements for fields of the plugin's metadata (id, name, description, type, source, license).
    public var metadata: [String: String] = [:]
    /// The plugin's own settings, checked against the options it declares.
    public var options: JSONValue = .object([])
    /// Dynamic batching of concurrent requests (Triton's `max_batch_size` and
    /// `max_queue_delay_microseconds`); a batch size of 1, the default, leaves it off.
    public var batching = BatchingSettings(maxBatchSize: 1)
    /// Where it was configured, for messages: `model` or `models[1]`.
    public var place = "model"

    public init(id: String? = nil, plugin: String = "mnist", asset: String? = nil, file: String? = nil) {
        self.id = id
        self.plugin = plugin
        self.asset = asset
        self.file = file
    }

    public var resolvedID: String { id ?? plugin }
}

/// One file the model needs: where it lives and, optionally, where to fetch it from.
public struct AssetSpec: Sendable, Equatable {
    /// Path relative to the base directory, exactly as listed in md5sums.txt (e.g. `assets/model.h5`).
    public var path: String
    /// http, https or file URL to download from when the file is missing or wrong.
    public var url: URL?

    public init(path: String, url: URL? = nil) {
        self.path = path
        self.url = url
    }
}

/// A setting that cannot be used: names the key and where it came from, says what was expected.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
    public var description: String { "configuration error: \(key): \(message)" }
}

/// The configuration plus warnings worth logging (unknown keys, most often typos).
public struct LoadedConfiguration: Sendable {
    public var configuration: MAXConfiguration
    public var warnings: [String]
    /// The config file read, if any.
    public var source: URL?
}

extension MAXConfiguration {
    /// Builds the configuration from its layers.
    /// - Parameters:
    ///   - file: an explicit config file (must exist); when nil, `MAX_CONFIG` or `./config.json`
    ///     is read if present, else defaults are used.
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    ///   - overrides: values from command-line flags by key (`"server.port": "8080"`).
    public static func load(file: URL? = nil, environment: [String: String] = [:],
                            overrides: [String: String] = [:],
                            workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        throws -> LoadedConfiguration {
        var configURL = file
        if configURL == nil, let fromEnvironment = environment["MAX_CONFIG"], !fromEnvironment.isEmpty {
            configURL = fromEnvironment.hasPrefix("/") ? URL(fileURLWithPath: fromEnvironment)
                : workingDirectory.appendingPathComponent(fromEnvironment)
        }
        if configURL == nil {
            let implicit = workingDirectory.appendingPathComponent("config.json")
            if FileManager.default.fileExists(atPath: implicit.path) { configURL = implicit }
        }

        var configuration = MAXConfiguration(baseDirectory: configURL?.deletingLastPathComponent() ?? workingDirectory)
        var warnings: [String] = []
        if let configURL {
            let document = try readDocument(configURL)
            try ConfigurationKeys.applyDocument(document, to: &configuration, warnings: &warnings,
                                                source: configURL.lastPathComponent)
        }
        try ConfigurationKeys.applyEnvironment(environment, to: &configuration)
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let setting = ConfigurationKeys.all.first(where: { $0.key == key }) else {
                throw ConfigurationError(key: key, message: "not a configuration key")
            }
            try setting.apply(&configuration, .text(value), "\(key) (command line)")
        }
        try configuration.validate()
        return LoadedConfiguration(configuration: configuration, warnings: warnings, source: configURL)
    }

    static func readDocument(_ url: URL) throws -> JSONValue {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationError(key: url.path, message: "cannot read the config file (\(error.localizedDescription))")
        }
        do {
            return try JSONValue.parse([UInt8](data))
        } catch let parseError as JSONParseError {
            throw ConfigurationError(key: url.lastPathComponent, message: "not valid JSON: \(parseError)")
        }
    }

    /// Checks that hold across keys.
    func validate() throws {
        guard bodyMemoryBudget >= maxUploadBytes else {
            throw ConfigurationError(key: "limits.body_memory_budget",
                                     message: "\(bodyMemoryBudget) is less than limits.max_upload_bytes (\(maxUploadBytes)); the largest uploads could never be received")
        }
        var ids = Set<String>()
        for model in models {
            if let asset = model.asset, !assets.contains(where: { $0.path == asset }) {
                throw ConfigurationError(key: "\(model.place).asset",
                                         message: "'\(asset)' is not listed under assets.files; add {\"path\": \"\(asset)\"} there")
            }
            let id = model.resolvedID
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ConfigurationError(key: "\(model.place).id", message: "'\(id)' cannot be part of a URL path; use letters, digits, '-', '_' and '.'")
            }
            guard ids.insert(id).inserted else {
                throw ConfigurationError(key: "\(model.place).id",
                                         message: "two models are called '\(id)'; give each an \"id\" of its own")
            }
        }
        var seen = Set<String>()
        for asset in assets where !seen.insert(asset.path).inserted {
            throw ConfigurationError(key: "assets.files", message: "'\(asset.path)' is listed twice")
        }
    }
}
