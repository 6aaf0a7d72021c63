import Foundation
import HTTPServer
import Logging

/// A plugin that could not be created (its asset would not load, its options were wrong).
public struct PluginStartError: Error, CustomStringConvertible {
    public let plugin: String
    public let underlying: Error
    public var description: String { "model plugin '\(plugin)' failed to start: \(underlying)" }
}

/// Start-up in MAX's order: assets verified (downloaded if needed), the model loaded once, then
/// the routes served. Shared by `max-server serve`, `metadata` and `predict`.
public enum MAXService {
    /// Verifies the assets and creates every configured model, the default first.
    public static func loadModels(_ configuration: MAXConfiguration, plugins: [ModelPlugin],
                                  logger: Logger) throws -> ModelRegistry {
        ModelRegistry(try load(configuration.models, configuration: configuration, plugins: plugins, logger: logger))
    }

    /// Verifies the default model's assets and creates it alone (`max-server predict`, `metadata`).
    public static func loadModel(_ configuration: MAXConfiguration, plugins: [ModelPlugin],
                                 logger: Logger) throws -> AnyModel {
        try load([configuration.models[0]], configuration: configuration, plugins: plugins, logger: logger)[0].model
    }

    private static func load(_ models: [ModelConfiguration], configuration: MAXConfiguration, plugins: [ModelPlugin],
                             logger: Logger) throws -> [ServedModel] {
        // Plugins and options first: a typo fails start-up before any download.
        var warnings: [String] = []
        let chosen: [(ModelConfiguration, ModelPlugin, JSONValue)] = try models.map { model in
            guard let plugin = plugins.first(where: { $0.name == model.plugin }) else {
                throw ConfigurationError(key: "\(model.place).plugin",
                                         message: "unknown plugin '\(model.plugin)'; built in: \(plugins.map(\.name).joined(separator: ", "))")
            }
            return (model, plugin, try plugin.checkedOptions(model.options, place: model.place, warnings: &warnings))
        }
        for warning in warnings { logger.warning(warning) }

        // Assets every model needs; an asset replaced by an explicit file is not checked.
        let neededAssets = Set(models.compactMap { $0.file == nil ? $0.asset : nil })
        let replacedAssets = Set(models.compactMap { $0.file != nil ? $0.asset : nil }).subtracting(neededAssets)
        var assetsToPrepare = configuration
        assetsToPrepare.assets.removeAll { replacedAssets.contains($0.path) }
        let statuses = try AssetStore.prepare(assetsToPrepare, logger: logger.child(label: "assets"))
        var assetFiles: [String: URL] = [:]
        for status in statuses { assetFiles[status.path] = status.file }

        return try chosen.map { model, plugin, options in
            let modelFile: URL?
            if let file = model.file {
                let url = configuration.resolve(file)
                guard FileManager.default.isReadableFile(atPath: url.path) else {
                    throw ConfigurationError(key: "\(model.place).file", message: "no readable file at '\(url.path)'")
                }
                modelFile = url
                logger.info("model '\(model.resolvedID)': file \(url.path) given explicitly, loaded without an MD5 check")
            } else {
                modelFile = model.asset.flatMap { assetFiles[$0] }
            }
            let context = PluginContext(options: options, modelAsset: modelFile, assets: assetFiles,
                                        maxImagePixels: configuration.maxImagePixels, baseDirectory: configuration.baseDirectory,
                                        logger: logger.child(label: model.resolvedID))
            let started = Date()
            let made: AnyModel
            do {
                made = try plugin.make(context)
            } catch {
                throw PluginStartError(plugin: plugin.name, underlying: error)
            }
            logger.info("model '\(model.resolvedID)' (plugin \(plugin.name)) loaded in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
            return ServedModel(id: model.resolvedID, pluginName: plugin.name,
                               model: batched(made.withMetadata(model.metadata), model, logger: logger))
        }
    }

    /// `made` with the dynamic batching `model` asks for, if its plugin batches.
    private static func batched(_ made: AnyModel, _ model: ModelConfiguration, logger: Logger) -> AnyModel {
        guard model.batching.isEnabled else { return made }
        guard made.maxBatchSize > 1 else {
            logger.warning("\(model.place).max_batch_size: plugin '\(model.plugin)' does not batch; its requests run one by one")
            return made
        }
        let result = made.batching(model.batching)
        if let settings = result.batching {
            logger.info("model '\(model.resolvedID)': dynamic batching, max_batch_size \(settings.maxBatchSize)"
                        + (settings.maxBatchSize < model.batching.maxBatchSize ? " (the plugin's limit)" : "")
                        + ", max_queue_delay_microseconds \(settings.maxQueueDelayMicroseconds)")
        }
        return result
    }

    /// The application serving `registry`, with the operations routes (`/metrics`, `/health/*`)
    /// and the routes of every provider.
    public static func makeApplication(_ configuration: MAXConfiguration, registry: ModelRegistry,
                                       providers: [RouteProvider] = [], health: ServiceHealth = ServiceHealth(),
                                       metrics: ServiceMetrics = ServiceMetrics(), logger: Logger) throws -> MAXApplication {
        let appLogger = logger.child(label: "app")
        var extraRoutes = OperationsRoutes.routes(health: health, metrics: metrics)
        for provider in providers {
            let context = ServiceContext(registry: registry, configuration: configuration, logger: appLogger.child(label: provider.name),
                                         health: health, metrics: metrics)
            extraRoutes += try provider.make(context)
        }
        return MAXApplication(registry: registry,
                              api: APIDescription(title: configuration.apiTitle, description: configuration.apiDescription,
                                                  version: configuration.apiVersion),
                              corsEnabled: configuration.corsEnabled, extraRoutes: extraRoutes,
                              webApp: configuration.webAppEnabled, logger: appLogger)
    }

    /// The HTTP server's settings from the configuration.
    public static func serverConfiguration(_ configuration: MAXConfiguration) -> HTTPServerConfiguration {
        var server = HTTPServerConfiguration()
        server.host = configuration.host
        server.port = configuration.port
        server.maxBodyBytes = configuration.maxUploadBytes
        server.requestTimeout = configuration.requestTimeout
        server.headerTimeout = configuration.headerTimeout
        server.maxBufferedBodyBytes = configuration.bodyMemoryBudget
        server.bufferedBodyWait = configuration.memoryWait
        server.maxConnections = configuration.maxConnections
        server.workerCount = configuration.workers
        // A batch can only be as large as the requests in the pipeline at once: with automatic
        // workers and batching on, enough threads for a full batch beside one per core.
        let largestBatch = configuration.models.map(\.batching.maxBatchSize).max() ?? 1
        if configuration.workers == 0 && largestBatch > 1 {
            server.workerCount = min(1024, ProcessInfo.processInfo.activeProcessorCount + largestBatch)
        }
        let cors = configuration.corsEnabled
        server.errorRenderer = { status, message in
            var response = MAXApplication.error(status, message)
            if cors { response.headers.set("Access-Control-Allow-Origin", "*") }
            return response
        }
        return server
    }

    /// Loads the model and starts the HTTP server; returns it running (call `shutdown()` or
    /// `waitForShutdownSignal()`).
    public static func start(_ configuration: MAXConfiguration, plugins: [ModelPlugin], providers: [RouteProvider] = [],
                             logger: Logger) throws -> RunningService {
        let health = ServiceHealth()
        let metrics = ServiceMetrics()
        metrics.track(health)
        let registry = try loadModels(configuration, plugins: plugins, logger: logger)
        metrics.track(registry)
        let application = try makeApplication(configuration, registry: registry, providers: providers, health: health,
                                              metrics: metrics, logger: logger)
        var serverConfiguration = serverConfiguration(configuration)
        serverConfiguration.requestObserver = { record in
            metrics.record(record, route: record.method == "-" ? nil : application.routeTemplate(for: record.path))
        }
        let server = HTTPServer(configuration: serverConfiguration, logger: logger.child(label: "http"),
                                handler: { request in metrics.measureInFlight { application.handle(request) } })
        try server.start()
        health.markReady()
        logger.info("serving '\(configuration.apiTitle)' on http://\(hostForURL(configuration.host)):\(server.localPort)/ (models: \(registry.models.map(\.id).joined(separator: ", ")))")
        return RunningService(server: server, registry: registry, health: health, metrics: metrics,
                              drainDelay: configuration.drainDelay)
    }

    static func hostForURL(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// A started service, so callers need not import HTTPServer.
public final class RunningService: Sendable {
    let server: HTTPServer
    /// The served models (a training job replaces one here).
    public let registry: ModelRegistry
    public let health: ServiceHealth
    public let metrics: ServiceMetrics
    /// Seconds between SIGTERM (readiness off) and the listener closing (`server.drain_delay`).
    public let drainDelay: Double

    init(server: HTTPServer, registry: ModelRegistry, health: ServiceHealth, metrics: ServiceMetrics, drainDelay: Double) {
        self.server = server
        self.registry = registry
        self.health = health
        self.metrics = metrics
        self.drainDelay = drainDelay
    }

    /// The bound port (useful when configured as 0).
    public var port: Int { server.localPort }

    /// Blocks until SIGINT or SIGTERM. Readiness goes off at once; after SIGTERM the service
    /// keeps answering for `drainDelay` seconds (a second signal cuts that short), then shuts
    /// down gracefully.
    public func waitForShutdownSignal() {
        server.waitForShutdownSignal(drainDelay: drainDelay) { [health] _ in health.beginDraining() }
    }

    /// What SIGTERM does, for callers that stop the service themselves: readiness off, `delay`
    /// seconds still serving, then the graceful shutdown.
    public func drain(delay: Double) {
        health.beginDraining()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        server.shutdown()
    }

    public func shutdown() {
        health.beginDraining()
        server.shutdown()
    }
}
