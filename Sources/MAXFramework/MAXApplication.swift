import Foundation
import HTTPServer
import Logging

/// The service as one function from request to response: MAX's routes for every served model,
/// the routes protocol adapters add, and the documents describing them all. Tested without
/// sockets and handed to `HTTPServer` as its handler.
///
/// Immutable after `init` (the documents are rendered once), so any number of worker threads
/// may call `handle` at once.
public final class MAXApplication: Sendable {
    public let registry: ModelRegistry
    public let api: APIDescription
    /// Every route served, documented or not, in declaration order.
    public let routes: [Route]
    private let router: Router

    /// - Parameters:
    ///   - extraRoutes: routes of protocol adapters (see `RouteProvider`), served beside MAX's.
    ///   - webApp: serve the demo app at /app (config `server.web_app`; MAX's `DISABLE_WEB_APP`).
    public init(registry: ModelRegistry, api: APIDescription, corsEnabled: Bool, extraRoutes: [Route] = [],
                webApp: Bool = true, logger: Logger) {
        self.registry = registry
        self.api = api
        let served = Route.documentingContentTypes(ModelRoutes.routes(registry, logger: logger) + extraRoutes)
        let documentRoutes = MAXApplication.documentRoutes(api: api, describing: served, registry: registry, webApp: webApp)
        routes = documentRoutes + served
        router = Router(routes: routes, cors: CORSPolicy(enabled: corsEnabled), logger: logger)
    }

    /// One model, served as the default (the single-model configuration).
    public convenience init(model: AnyModel, api: APIDescription, corsEnabled: Bool, webApp: Bool = true, logger: Logger) {
        self.init(registry: ModelRegistry([ServedModel(id: model.metadata.id, pluginName: model.metadata.id, model: model)]),
                  api: api, corsEnabled: corsEnabled, webApp: webApp, logger: logger)
    }

    /// The default model (what `/model/*` serves).
    public var model: AnyModel { registry.defaultModel.model }

    /// Answers one request; never throws and never traps, whatever the request holds.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        router.handle(request)
    }

    /// The declared path of the route a request path reaches (`/models/{id}/predict`), or nil.
    public func routeTemplate(for path: String) -> String? {
        router.template(for: path)
    }

    /// The pages for people (`/`, `/app` and the files they load), `/openapi.json` and
    /// `/swagger.json`, generated from the other routes' declarations (and their own).
    private static func documentRoutes(api: APIDescription, describing served: [Route], registry: ModelRegistry,
                                       webApp: Bool) -> [Route] {
        let site = WebSite(title: api.title, specPath: "openapi.json", webApp: webApp)
        let swaggerDoc = OperationDoc(summary: "This API as a Swagger 2.0 document", operationId: "get_swagger", tags: ["docs"],
                                      responses: [ResponseDoc(200, "The API description (Swagger 2.0)")])
        let openAPIDoc = OperationDoc(summary: "This API as an OpenAPI 3.0 document", operationId: "get_openapi", tags: ["docs"],
                                      responses: [ResponseDoc(200, "The API description (OpenAPI \(OpenAPIDocument.version))")])
        let placeholders = site.routes + [
            Route("GET", "/openapi.json", doc: openAPIDoc) { _ in HTTPResponse() },
            Route("GET", "/swagger.json", doc: swaggerDoc) { _ in HTTPResponse() },
        ]
        // MAX's tags first, described; an adapter's tags are listed under their own names.
        var tags: [(name: String, description: String)] = [
            ("model", registry.defaultModel.model.metadata.name), ("models", "Every served model by id"), ("docs", "API documentation"),
        ]
        for tag in served.compactMap(\.doc).flatMap(\.tags) where !tags.contains(where: { $0.name == tag }) {
            tags.append((tag, tag))
        }
        // Both documents from the same declarations, written on first request (once): they are
        // a third of the work from exec to the first prediction, and most services are asked
        // for them rarely.
        let documentRoutes = placeholders + served
        let documentTags = tags
        let swagger = BuiltOnce { SwaggerDocument.build(api: api, routes: documentRoutes, tags: documentTags).serializedBytes }
        let openAPI = BuiltOnce { OpenAPIDocument.build(api: api, routes: documentRoutes, tags: documentTags).serializedBytes }
        return site.routes + [
            Route("GET", "/openapi.json", doc: openAPIDoc) { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: openAPI.value)
            },
            Route("GET", "/swagger.json", doc: swaggerDoc) { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: swagger.value)
            },
        ]
    }

    /// `{"status": "error", "message": "..."}` with `status`: the service's one error body.
    public static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        Router.error(status, message)
    }
}

/// What Swagger's `info` says about the API (config.json `api.*`).
public struct APIDescription: Sendable, Equatable {
    public var title: String
    public var description: String
    public var version: String

    public init(title: String, description: String, version: String) {
        self.title = title
        self.description = description
        self.version = version
    }
}

/// Routes a protocol adapter adds to the service (KServe v2, the digit services' routes, metrics,
/// health, a web app), registered by name in the executable beside the model plugins. `make`
/// runs once at start-up, after the models are loaded; return no routes to stay off.
public struct RouteProvider: Sendable {
    public let name: String
    public let make: @Sendable (ServiceContext) throws -> [Route]

    public init(name: String, make: @escaping @Sendable (ServiceContext) throws -> [Route]) {
        self.name = name
        self.make = make
    }
}

/// What a route provider is given: the served models, the configuration, a logger, the
/// service's health (readiness) and its metrics (to register families of its own).
public struct ServiceContext: Sendable {
    public let registry: ModelRegistry
    public let configuration: MAXConfiguration
    public let logger: Logger
    public let health: ServiceHealth
    public let metrics: ServiceMetrics

    public init(registry: ModelRegistry, configuration: MAXConfiguration, logger: Logger,
                health: ServiceHealth = ServiceHealth(), metrics: ServiceMetrics = ServiceMetrics()) {
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.health = health
        self.metrics = metrics
    }
}

/// A value made by its first reader and kept: any number of threads may ask at once.
final class BuiltOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var built: Value?
    private let build: @Sendable () -> Value

    init(_ build: @escaping @Sendable () -> Value) { self.build = build }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let made = build()
        built = made
        return made
    }
}
