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
    /// Verifies the assets and creates the configured plugin, with metadata overrides applied.
    public static func loadModel(_ configuration: MAXConfiguration, plugins: [ModelPlugin],
                                 logger: Logger) throws -> AnyModel {
        guard let plugin = plugins.first(where: { $0.name == configuration.modelPlugin }) else {
            throw ConfigurationError(key: "model.plugin",
                                     message: "unknown plugin '\(configuration.modelPlugin)'; built in: \(plugins.map(\.name).joined(separator: ", "))")
        }
        // An explicit model file replaces the configured model asset, which is then not checked.
        var assetsToPrepare = configuration
        if configuration.modelFile != nil {
            assetsToPrepare.assets.removeAll { $0.path == configuration.modelAsset }
        }
        let statuses = try AssetStore.prepare(assetsToPrepare, logger: logger.child(label: "assets"))
        var assetFiles: [String: URL] = [:]
        for status in statuses { assetFiles[status.path] = status.file }
        let modelAsset: URL?
        if let modelFile = configuration.modelFile {
            guard FileManager.default.isReadableFile(atPath: modelFile) else {
                throw ConfigurationError(key: "model.file", message: "no readable file at '\(modelFile)'")
            }
            modelAsset = URL(fileURLWithPath: modelFile)
            logger.info("model file \(modelFile) given explicitly: loaded without an MD5 check")
        } else {
            modelAsset = configuration.modelAsset.flatMap { assetFiles[$0] }
        }
        let context = PluginContext(
            options: configuration.modelOptions,
            modelAsset: modelAsset,
            assets: assetFiles,
            maxImagePixels: configuration.maxImagePixels,
            logger: logger.child(label: plugin.name))
        let started = Date()
        let model: AnyModel
        do {
            model = try plugin.make(context)
        } catch {
            throw PluginStartError(plugin: plugin.name, underlying: error)
        }
        logger.info("model '\(plugin.name)' loaded in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        return model.withMetadata(configuration.modelMetadata)
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
                              corsEnabled: configuration.corsEnabled, extraRoutes: extraRoutes, logger: appLogger)
    }

    /// The HTTP server's settings from the configuration.
    public static func serverConfiguration(_ configuration: MAXConfiguration) -> HTTPServerConfiguration {
        var server = HTTPServerConfiguration()
        server.host = configuration.host
        server.port = configuration.port
        server.maxBodyBytes = configuration.maxUploadBytes
        server.requestTimeout = configuration.requestTimeout
        server.workerCount = configuration.workers
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
        let model = try loadModel(configuration, plugins: plugins, logger: logger)
        let registry = ModelRegistry([ServedModel(id: model.metadata.id, pluginName: configuration.modelPlugin, model: model)])
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
        logger.info("serving '\(configuration.apiTitle)' on http://\(hostForURL(configuration.host)):\(server.localPort)/ (model \(model.metadata.id))")
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
