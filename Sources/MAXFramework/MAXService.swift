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

    /// The application serving `registry`, with the routes of every provider.
    public static func makeApplication(_ configuration: MAXConfiguration, registry: ModelRegistry,
                                       providers: [RouteProvider] = [], logger: Logger) throws -> MAXApplication {
        let appLogger = logger.child(label: "app")
        var extraRoutes: [Route] = []
        for provider in providers {
            let context = ServiceContext(registry: registry, configuration: configuration, logger: appLogger.child(label: provider.name))
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
        let model = try loadModel(configuration, plugins: plugins, logger: logger)
        let registry = ModelRegistry([ServedModel(id: model.metadata.id, pluginName: configuration.modelPlugin, model: model)])
        let application = try makeApplication(configuration, registry: registry, providers: providers, logger: logger)
        let server = HTTPServer(configuration: serverConfiguration(configuration), logger: logger.child(label: "http"),
                                handler: { request in application.handle(request) })
        try server.start()
        logger.info("serving '\(configuration.apiTitle)' on http://\(hostForURL(configuration.host)):\(server.localPort)/ (model \(model.metadata.id))")
        return RunningService(server: server)
    }

    static func hostForURL(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// A started service, so callers need not import HTTPServer.
public final class RunningService: Sendable {
    let server: HTTPServer
    init(server: HTTPServer) { self.server = server }

    /// The bound port (useful when configured as 0).
    public var port: Int { server.localPort }
    /// Blocks until SIGINT or SIGTERM, then shuts down gracefully.
    public func waitForShutdownSignal() { server.waitForShutdownSignal() }
    public func shutdown() { server.shutdown() }
}
