import Foundation
import Logging

/// A raw setting before conversion: a JSON value from config.json, or text from the
/// environment or a flag.
enum SettingInput {
    case json(JSONValue)
    case text(String)
}

/// One scalar key: its dotted name in config.json, its environment names and how to apply it.
public struct ConfigurationSetting: Sendable {
    /// Dotted path in config.json, e.g. `server.port`.
    public let key: String
    /// Environment variables, weakest first; the `MAX_*` name comes last and so wins.
    public let environment: [String]
    /// One line for README.md and `--help`.
    public let summary: String
    let apply: @Sendable (inout MAXConfiguration, SettingInput, String) throws -> Void
    /// Environment variables meaning the opposite of a boolean key (MAX's `DISABLE_WEB_APP=true`
    /// is `server.web_app: false`); weaker than `environment`.
    public private(set) var negatedEnvironment: [String] = []

    /// This setting, also set (inverted) by the boolean variables `names`.
    func negated(by names: [String]) -> ConfigurationSetting {
        var copy = self
        copy.negatedEnvironment = names
        return copy
    }
}

/// The table of every scalar key, plus the structured ones (model.metadata, model.options,
/// assets.files) that only config.json can set.
public enum ConfigurationKeys {
    public static let all: [ConfigurationSetting] = [
        text("api.title", ["MAX_API_TITLE"], "API title in Swagger and the docs page") { $0.apiTitle = $1 },
        text("api.description", ["MAX_API_DESCRIPTION"], "API description in Swagger") { $0.apiDescription = $1 },
        text("api.version", ["MAX_API_VERSION"], "API version in Swagger") { $0.apiVersion = $1 },
        text("server.host", ["APP_HOST", "MAX_HOST"], "address to listen on (`0.0.0.0`, `::`, `127.0.0.1`)") {
            $0.host = $1
        },
        integer("server.port", ["APP_PORT", "MAX_PORT"], 0...65535, "TCP port; 0 picks a free one") { $0.port = $1 },
        level("server.log_level", ["APP_LOG", "MAX_LOG_LEVEL"], "debug, info, warning or error") { $0.logLevel = $1 },
        choice("server.log_format", ["MAX_LOG_FORMAT"], "`text` (as MAX prints) or `json` (one object per line)",
               expected: "text or json", { LogFormat(name: $0) }) { $0.logFormat = $1 },
        boolean("server.cors", ["CORS_ENABLE", "MAX_CORS"], "send CORS headers (Access-Control-Allow-Origin: *)") {
            $0.corsEnabled = $1
        },
        boolean("server.web_app", ["MAX_WEB_APP"], "serve the demo app at /app (`DISABLE_WEB_APP=true` turns it off, as in MAX)") {
            $0.webAppEnabled = $1
        }.negated(by: ["DISABLE_WEB_APP"]),
        integer("server.workers", ["MAX_WORKERS"], 0...1024, "request threads; 0 = one per core, at least 2") {
            $0.workers = $1
        },
        decimal("server.drain_delay", ["MAX_DRAIN_DELAY"], "seconds between SIGTERM (readiness off) and closing the listener",
                allowsZero: true) { $0.drainDelay = $1 },
        integer("limits.max_upload_bytes", ["MAX_UPLOAD_BYTES"], 1...(1 << 34), "largest request body accepted (413 beyond)") {
            $0.maxUploadBytes = $1
        },
        integer("limits.max_image_pixels", ["MAX_IMAGE_PIXELS"], 1...(1 << 34), "largest width x height a plugin decodes") {
            $0.maxImagePixels = $1
        },
        decimal("limits.request_timeout", ["MAX_REQUEST_TIMEOUT"], "seconds to receive one request (408 beyond)") {
            $0.requestTimeout = $1
        },
        decimal("limits.header_timeout", ["MAX_HEADER_TIMEOUT"],
                "seconds a client has to send a request's head after connecting or starting it (408, or close if it sent nothing)") {
            $0.headerTimeout = $1
        },
        integer("limits.body_memory_budget", ["MAX_BODY_MEMORY_BUDGET"], 1...(1 << 40),
                "bytes of request bodies held at once by all requests; a body waits for its share, then 503") {
            $0.bodyMemoryBudget = $1
        },
        integer("limits.image_memory_budget", ["MAX_IMAGE_MEMORY_BUDGET"], 1...(1 << 40),
                "bytes of decoded images and decoder buffers held at once by all requests; a decode waits for its share, then 503") {
            $0.imageMemoryBudget = $1
        },
        decimal("limits.memory_wait", ["MAX_MEMORY_WAIT"], "seconds a request waits for its share of a memory budget before 503") {
            $0.memoryWait = $1
        },
        integer("server.max_connections", ["MAX_CONNECTIONS"], 1...1_000_000,
                "connections open at once; at the cap the idlest is closed for a newcomer, or 503 when all are busy") {
            $0.maxConnections = $1
        },
        text("model.id", ["MAX_MODEL_ID"], "the model's id in /models/{id}/...; empty = the plugin's name") {
            $0.models[0].id = $1.isEmpty ? nil : $1
        },
        text("model.plugin", ["MAX_MODEL_PLUGIN"], "registered plugin to serve") { $0.modelPlugin = $1 },
        text("model.asset", ["MAX_MODEL_ASSET"], "path (listed in assets.files) of the file the plugin loads; empty = none") {
            $0.modelAsset = $1.isEmpty ? nil : $1
        },
        path("model.file", ["MAX_MODEL_FILE"], "a model file loaded instead of model.asset, as is (no MD5 check); empty = none") {
            $0.modelFile = $1
        },
        integer("model.max_batch_size", ["MAX_BATCH_SIZE"], 1...BatchingLimits.maxBatchSize,
                "dynamic batching: most concurrent inputs per model call; 1 = off (only plugins that batch take more)") {
            $0.models[0].batching.maxBatchSize = $1
        },
        integer("model.max_queue_delay_microseconds", ["MAX_QUEUE_DELAY_MICROSECONDS"], 0...BatchingLimits.maxQueueDelay,
                "dynamic batching: how long an input may wait for others to join its batch") {
            $0.models[0].batching.maxQueueDelayMicroseconds = $1
        },
        text("engine.url", ["APP_ENGINE", "MAX_ENGINE_URL"], "orchestration engine to announce to (with engine.service_url); empty = none") {
            $0.engineURL = $1.isEmpty ? nil : $1
        },
        text("engine.service_url", ["APP_SERVICE", "MAX_ENGINE_SERVICE_URL"], "this service's base URL as the engine reaches it; empty = none") {
            $0.engineServiceURL = $1.isEmpty ? nil : $1
        },
        decimal("engine.notify_interval", ["APP_NOTIFY_CRON", "MAX_ENGINE_NOTIFY_INTERVAL"], "seconds between announcements to the engine") {
            $0.engineNotifyInterval = $1
        },
        text("assets.checksums", ["MAX_ASSETS_CHECKSUMS"], "md5sum-format file with the assets' digests") {
            $0.checksumFile = $1
        },
        decimal("assets.download_timeout", ["MAX_DOWNLOAD_TIMEOUT"],
                "seconds a download may take for each 64 KiB (a silent or dripping link fails)") {
            $0.downloadTimeout = $1
        },
        decimal("assets.download_total_timeout", ["MAX_DOWNLOAD_TOTAL_TIMEOUT"], "seconds a whole download may take") {
            $0.downloadTotalTimeout = $1
        },
        integer("assets.max_download_bytes", ["MAX_DOWNLOAD_BYTES"], 1...(1 << 50), "largest asset downloaded") {
            $0.maxDownloadBytes = $1
        },
    ] + trainingKeys

    /// `training.*`: the train routes (module TrainingService), off unless enabled.
    static let trainingKeys: [ConfigurationSetting] = [
        boolean("training.enabled", ["MAX_TRAINING"], "serve POST/GET/DELETE /model/train and /api/v1/train") {
            $0.training.enabled = $1
        },
        text("training.token", ["MAX_TRAINING_TOKEN"], "if set, train requests must send `Authorization: Bearer <token>`") {
            $0.training.token = $1
        },
        path("training.data", ["MAX_TRAINING_DATA"], "training data (Kaggle CSV, IDX, .npz) used when a request uploads none") {
            $0.training.data = $1
        },
        path("training.test_data", ["MAX_TRAINING_TEST_DATA"], "test data the result is measured on (default: the data's own test split)") {
            $0.training.testData = $1
        },
        integer("training.max_epochs", ["MAX_TRAINING_MAX_EPOCHS"], 1...100_000, "largest train_args.epochs a request may ask for") {
            $0.training.maxEpochs = $1
        },
        integer("training.max_batch_size", ["MAX_TRAINING_MAX_BATCH_SIZE"], 1...65_536, "largest train_args.batch_size") {
            $0.training.maxBatchSize = $1
        },
        integer("training.max_queue", ["MAX_TRAINING_MAX_QUEUE"], 0...1000, "jobs that may wait behind the running one (503 beyond)") {
            $0.training.maxQueue = $1
        },
        integer("training.max_data_bytes", ["MAX_TRAINING_MAX_DATA_BYTES"], 1...(1 << 34), "largest uploaded or configured data, decompressed") {
            $0.training.maxDataBytes = $1
        },
        integer("training.max_parameters", ["MAX_TRAINING_MAX_PARAMETERS"], 1...(1 << 34), "largest network a request may build, in weights") {
            $0.training.maxParameters = $1
        },
        integer("training.max_memory_bytes", ["MAX_TRAINING_MAX_MEMORY_BYTES"], 1...(1 << 40),
                "largest estimated working set of a job (weights, optimizer, a batch's activations)") {
            $0.training.maxMemoryBytes = $1
        },
        integer("training.threads", ["MAX_TRAINING_THREADS"], 0...256, "threads a job trains on; 0 = one per core") {
            $0.training.threads = $1
        },
        integer("training.niceness", ["MAX_TRAINING_NICENESS"], 0...19, "nice value of training threads (serving keeps priority)") {
            $0.training.niceness = $1
        },
        path("training.output_directory", ["MAX_TRAINING_OUTPUT_DIRECTORY"], "where save_weights keeps trained models (with .md5 files)") {
            $0.training.outputDirectory = $1 ?? "trained"
        },
    ]

    /// Keys set only in config.json (structured values).
    static let structuredKeys: Set<String> = ["model.metadata", "model.options", "assets.files"]
    /// Top-level keys whose value is not a section of scalar keys.
    static let topLevelLists: Set<String> = ["models"]
    /// The members of one entry of `models`.
    static let modelEntryKeys = ["id", "plugin", "asset", "file", "metadata", "options", "max_batch_size",
                                 "max_queue_delay_microseconds"]
    static let metadataFields: Set<String> = ["id", "name", "description", "type", "source", "license"]

    // MARK: Applying layers

    static func applyDocument(_ document: JSONValue, to configuration: inout MAXConfiguration,
                              warnings: inout [String], source: String) throws {
        guard let sections = document.objectMembers else {
            throw ConfigurationError(key: source, message: "the top level must be an object, got \(document.kindDescription)")
        }
        let knownKeys = Set(all.map(\.key)).union(structuredKeys)
        let sectionNames = Set(knownKeys.compactMap { $0.split(separator: ".").first.map(String.init) }).union(topLevelLists)
        if sections.contains(where: { $0.key == "model" }) && sections.contains(where: { $0.key == "models" }) {
            throw ConfigurationError(key: "\(source): models",
                                     message: "both \"model\" and \"models\" are set; list every model under \"models\" (the first is the default)")
        }
        for (sectionName, sectionValue) in sections {
            if sectionName == "models" {
                configuration.models = try modelList(sectionValue, place: "\(source): models", warnings: &warnings)
                continue
            }
            guard sectionNames.contains(sectionName) else {
                warnings.append(unknownKeyWarning(sectionName, source: source, known: sectionNames))
                continue
            }
            guard let members = sectionValue.objectMembers else {
                throw ConfigurationError(key: "\(source): \(sectionName)",
                                         message: "expected an object, got \(sectionValue.kindDescription)")
            }
            if sectionName == "model" { configuration.models[0].place = "\(source): model" }
            for (name, value) in members {
                let key = "\(sectionName).\(name)"
                let place = "\(source): \(key)"
                if let setting = all.first(where: { $0.key == key }) {
                    try setting.apply(&configuration, .json(value), place)
                } else if key == "model.metadata" {
                    configuration.modelMetadata = try metadataOverrides(value, place: place, warnings: &warnings)
                } else if key == "model.options" {
                    guard value.objectMembers != nil else {
                        throw ConfigurationError(key: place, message: "expected an object, got \(value.kindDescription)")
                    }
                    configuration.modelOptions = value
                } else if key == "assets.files" {
                    configuration.assets = try assetList(value, place: place, warnings: &warnings)
                } else {
                    warnings.append(unknownKeyWarning(key, source: source, known: knownKeys))
                }
            }
        }
    }

    static func applyEnvironment(_ environment: [String: String], to configuration: inout MAXConfiguration) throws {
        for setting in all {
            for name in setting.negatedEnvironment {
                guard let value = environment[name] else { continue }
                try setting.apply(&configuration, .text(invertedBoolean(value)), "\(setting.key) (environment \(name))")
            }
            for name in setting.environment {
                guard let value = environment[name] else { continue }
                try setting.apply(&configuration, .text(value), "\(setting.key) (environment \(name))")
            }
        }
    }

    /// `true` for a false word and `false` for a true one; anything else unchanged, so the
    /// boolean key refuses it with its usual message.
    static func invertedBoolean(_ text: String) -> String {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on": return "false"
        case "false", "0", "no", "off", "": return "true"
        default: return text
        }
    }

    static func metadataOverrides(_ value: JSONValue, place: String, warnings: inout [String]) throws -> [String: String] {
        guard let members = value.objectMembers else {
            throw ConfigurationError(key: place, message: "expected an object, got \(value.kindDescription)")
        }
        var overrides: [String: String] = [:]
        for (field, fieldValue) in members {
            guard metadataFields.contains(field) else {
                warnings.append("\(place): unknown metadata field '\(field)' ignored (known: \(metadataFields.sorted().joined(separator: ", ")))")
                continue
            }
            guard let text = fieldValue.stringValue else {
                throw ConfigurationError(key: "\(place).\(field)", message: "expected a string, got \(fieldValue.kindDescription)")
            }
            overrides[field] = text
        }
        return overrides
    }

    /// `models`: `[{"id", "plugin", "asset", "file", "metadata", "options", "max_batch_size",
    /// "max_queue_delay_microseconds"}, ...]`, at least one.
    static func modelList(_ value: JSONValue, place: String, warnings: inout [String]) throws -> [ModelConfiguration] {
        guard let items = value.arrayValue, !items.isEmpty else {
            throw ConfigurationError(key: place, message: "expected a non-empty array of model objects, got \(value.kindDescription)")
        }
        return try items.enumerated().map { index, item in
            let itemPlace = "\(place)[\(index)]"
            guard let members = item.objectMembers else {
                throw ConfigurationError(key: itemPlace, message: "expected an object with \"plugin\" and optional \"id\", \"asset\", \"file\", \"metadata\", \"options\"")
            }
            var model = ModelConfiguration()
            model.place = "\(itemPlace)"
            func text(_ name: String) throws -> String? {
                guard let member = item[name], member != .null else { return nil }
                guard let string = member.stringValue else {
                    throw ConfigurationError(key: "\(itemPlace).\(name)", message: "expected a string, got \(member.kindDescription)")
                }
                return string.isEmpty ? nil : string
            }
            guard let plugin = try text("plugin") else {
                throw ConfigurationError(key: "\(itemPlace).plugin", message: "every model names the plugin that serves it")
            }
            model.plugin = plugin
            model.id = try text("id")
            model.asset = try text("asset")
            model.file = try text("file")
            if let metadata = item["metadata"] {
                model.metadata = try metadataOverrides(metadata, place: "\(itemPlace).metadata", warnings: &warnings)
            }
            if let options = item["options"] {
                guard options.objectMembers != nil else {
                    throw ConfigurationError(key: "\(itemPlace).options", message: "expected an object, got \(options.kindDescription)")
                }
                model.options = options
            }
            func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
                guard let member = item[name], member != .null else { return nil }
                guard let number = member.intValue, range.contains(number) else {
                    throw ConfigurationError(key: "\(itemPlace).\(name)",
                                             message: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(member.intValue.map(String.init) ?? member.kindDescription)")
                }
                return number
            }
            if let size = try integer("max_batch_size", 1...BatchingLimits.maxBatchSize) { model.batching.maxBatchSize = size }
            if let delay = try integer("max_queue_delay_microseconds", 0...BatchingLimits.maxQueueDelay) {
                model.batching.maxQueueDelayMicroseconds = delay
            }
            for (name, _) in members where !modelEntryKeys.contains(name) {
                warnings.append(unknownKeyWarning("\(itemPlace).\(name)", source: nil, known: Set(modelEntryKeys.map { "\(itemPlace).\($0)" })))
            }
            return model
        }
    }

    static func assetList(_ value: JSONValue, place: String, warnings: inout [String]) throws -> [AssetSpec] {
        guard let items = value.arrayValue else {
            throw ConfigurationError(key: place, message: "expected an array of {\"path\", \"url\"} objects, got \(value.kindDescription)")
        }
        return try items.enumerated().map { index, item in
            let itemPlace = "\(place)[\(index)]"
            guard let members = item.objectMembers else {
                throw ConfigurationError(key: itemPlace, message: "expected an object with \"path\" and optional \"url\"")
            }
            for (name, _) in members where name != "path" && name != "url" {
                warnings.append(unknownKeyWarning("\(itemPlace).\(name)", source: nil, known: ["path", "url"]))
            }
            guard let path = item["path"]?.stringValue, !path.isEmpty else {
                throw ConfigurationError(key: "\(itemPlace).path", message: "expected a non-empty string")
            }
            guard !path.split(separator: "/").contains("..") else {
                throw ConfigurationError(key: "\(itemPlace).path", message: "must not contain '..'")
            }
            var url: URL? = nil
            if let urlValue = item["url"], urlValue != .null {
                guard let text = urlValue.stringValue, let parsed = URL(string: text),
                      let scheme = parsed.scheme?.lowercased(), ["http", "https", "file"].contains(scheme) else {
                    throw ConfigurationError(key: "\(itemPlace).url", message: "expected an http, https or file URL, got \(urlValue.serialized)")
                }
                url = parsed
            }
            return AssetSpec(path: path, url: url)
        }
    }

    static func unknownKeyWarning(_ key: String, source: String?, known: Set<String>) -> String {
        let prefix = source.map { "\($0): " } ?? ""
        var warning = "\(prefix)unknown key '\(key)' ignored"
        let leaf = key.split(separator: ".").last.map(String.init) ?? key
        if let guess = known.sorted().min(by: { editDistance($0, key) < editDistance($1, key) }),
           editDistance(guess, key) <= 3 || editDistance(String(guess.split(separator: ".").last ?? ""), leaf) <= 2 {
            warning += " (did you mean '\(guess)'?)"
        }
        return warning
    }

    /// Levenshtein distance, for "did you mean" hints on typos.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: Typed setting builders

    static func text(_ key: String, _ environment: [String], _ summary: String,
                     _ set: @escaping @Sendable (inout MAXConfiguration, String) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            switch input {
            case .text(let value): set(&configuration, value)
            case .json(let value):
                guard let text = value.stringValue else {
                    throw ConfigurationError(key: place, message: "expected a string, got \(value.kindDescription)")
                }
                set(&configuration, text)
            }
        }
    }

    /// A file path: relative paths from config.json stay relative (resolved beside the file
    /// later); from the environment or a flag they are made absolute against the working directory.
    static func path(_ key: String, _ environment: [String], _ summary: String,
                     _ set: @escaping @Sendable (inout MAXConfiguration, String?) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            switch input {
            case .text(let value):
                guard !value.isEmpty else { return set(&configuration, nil) }
                let absolute = value.hasPrefix("/") ? value
                    : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(value).path
                set(&configuration, absolute)
            case .json(let value):
                guard let text = value.stringValue else {
                    throw ConfigurationError(key: place, message: "expected a string, got \(value.kindDescription)")
                }
                set(&configuration, text.isEmpty ? nil : text)
            }
        }
    }

    static func integer(_ key: String, _ environment: [String], _ range: ClosedRange<Int>, _ summary: String,
                        _ set: @escaping @Sendable (inout MAXConfiguration, Int) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            let number: Int?
            switch input {
            case .text(let value): number = Int(value.trimmingCharacters(in: .whitespaces))
            case .json(let value): number = value.intValue
            }
            guard let number, range.contains(number) else {
                throw ConfigurationError(key: place, message: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(input.shown)")
            }
            set(&configuration, number)
        }
    }

    static func decimal(_ key: String, _ environment: [String], _ summary: String, allowsZero: Bool = false,
                        _ set: @escaping @Sendable (inout MAXConfiguration, Double) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            let number: Double?
            switch input {
            case .text(let value): number = Double(value.trimmingCharacters(in: .whitespaces))
            case .json(let value): number = value.doubleValue
            }
            guard let number, number.isFinite, number > 0 || (allowsZero && number == 0) else {
                let expected = allowsZero ? "0 or a positive number of seconds" : "a positive number of seconds"
                throw ConfigurationError(key: place, message: "expected \(expected), got \(input.shown)")
            }
            set(&configuration, number)
        }
    }

    static func boolean(_ key: String, _ environment: [String], _ summary: String,
                        _ set: @escaping @Sendable (inout MAXConfiguration, Bool) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            let flag: Bool?
            switch input {
            case .json(let value): flag = value.boolValue
            case .text(let value):
                switch value.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true", "1", "yes", "on": flag = true
                case "false", "0", "no", "off", "": flag = false
                default: flag = nil
                }
            }
            guard let flag else {
                throw ConfigurationError(key: place, message: "expected true or false, got \(input.shown)")
            }
            set(&configuration, flag)
        }
    }

    static func level(_ key: String, _ environment: [String], _ summary: String,
                      _ set: @escaping @Sendable (inout MAXConfiguration, LogLevel) -> Void) -> ConfigurationSetting {
        choice(key, environment, summary, expected: "debug, info, warning or error", { LogLevel(name: $0) }, set)
    }

    /// A setting that takes one of a few names (`parse` returns nil for others).
    static func choice<Value>(_ key: String, _ environment: [String], _ summary: String, expected: String,
                              _ parse: @escaping @Sendable (String) -> Value?,
                              _ set: @escaping @Sendable (inout MAXConfiguration, Value) -> Void) -> ConfigurationSetting {
        ConfigurationSetting(key: key, environment: environment, summary: summary) { configuration, input, place in
            let name: String?
            switch input {
            case .text(let value): name = value
            case .json(let value): name = value.stringValue
            }
            guard let name, let value = parse(name.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(key: place, message: "expected \(expected), got \(input.shown)")
            }
            set(&configuration, value)
        }
    }
}

extension SettingInput {
    /// The value as the user wrote it, for error messages.
    var shown: String {
        switch self {
        case .text(let value): return "'\(value)'"
        case .json(let value): return value.serialized
        }
    }
}
