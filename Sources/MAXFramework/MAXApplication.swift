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
    public init(registry: ModelRegistry, api: APIDescription, corsEnabled: Bool, extraRoutes: [Route] = [],
                logger: Logger) {
        self.registry = registry
        self.api = api
        let served = ModelRoutes.routes(registry, logger: logger) + extraRoutes
        let documentRoutes = MAXApplication.documentRoutes(api: api, describing: served, registry: registry)
        routes = documentRoutes + served
        router = Router(routes: routes, cors: CORSPolicy(enabled: corsEnabled), logger: logger)
    }

    /// One model, served as the default (the single-model configuration).
    public convenience init(model: AnyModel, api: APIDescription, corsEnabled: Bool, logger: Logger) {
        self.init(registry: ModelRegistry([ServedModel(id: model.metadata.id, pluginName: model.metadata.id, model: model)]),
                  api: api, corsEnabled: corsEnabled, logger: logger)
    }

    /// The default model (what `/model/*` serves).
    public var model: AnyModel { registry.defaultModel.model }

    /// Answers one request; never throws and never traps, whatever the request holds.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        router.handle(request)
    }

    /// `/` and `/swagger.json`, generated from the other routes' declarations (and their own).
    private static func documentRoutes(api: APIDescription, describing served: [Route], registry: ModelRegistry) -> [Route] {
        let docsDoc = OperationDoc(summary: "Interactive API documentation", operationId: "get_docs", tags: ["docs"],
                                   responses: [ResponseDoc(200, "The docs page", contentType: "text/html")])
        let swaggerDoc = OperationDoc(summary: "This Swagger 2.0 document", operationId: "get_swagger", tags: ["docs"],
                                      responses: [ResponseDoc(200, "The API description")])
        let placeholders = [
            Route("GET", "/", doc: docsDoc) { _ in HTTPResponse() },
            Route("GET", "/swagger.json", doc: swaggerDoc) { _ in HTTPResponse() },
        ]
        let tags: [(name: String, description: String)] = [
            ("model", registry.defaultModel.model.metadata.name),
            ("models", "Every served model by id"),
            ("docs", "API documentation"),
        ] + served.compactMap(\.doc).flatMap(\.tags).filter { !["model", "models", "docs"].contains($0) }
            .reduce(into: [(name: String, description: String)]()) { list, tag in
                if !list.contains(where: { $0.name == tag }) { list.append((tag, tag)) }
            }
        let swagger = Array(SwaggerDocument.build(api: api, routes: placeholders + served, tags: tags).serialized.utf8)
        let docs = Array(DocsPage.html(title: api.title).utf8)
        return [
            Route("GET", "/", doc: docsDoc) { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: docs)
            },
            Route("GET", "/swagger.json", doc: swaggerDoc) { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: swagger)
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

/// What a route provider is given: the served models, the configuration and a logger.
public struct ServiceContext: Sendable {
    public let registry: ModelRegistry
    public let configuration: MAXConfiguration
    public let logger: Logger

    public init(registry: ModelRegistry, configuration: MAXConfiguration, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
    }
}
