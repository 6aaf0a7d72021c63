import Foundation
import HTTPServer
import Logging

/// The routes MAX serves, generated from one model: a pure function from request to response,
/// so it is tested without sockets and handed to `HTTPServer` as its handler.
///
/// Immutable after `init` (the Swagger document and docs page are rendered once), so any
/// number of worker threads may call `handle` at once; the model must be `Sendable`.
public final class MAXApplication: Sendable {
    public let model: AnyModel
    public let api: APIDescription
    private let corsEnabled: Bool
    private let logger: Logger
    private let swaggerBody: [UInt8]
    private let metadataBody: [UInt8]
    private let site: WebSite
    /// Methods each path answers (HEAD is implied by GET); OPTIONS is answered for all.
    private let routes: [(path: String, methods: [String])]

    /// `webApp` serves the demo app at /app (config `server.web_app`; MAX's `DISABLE_WEB_APP`).
    public init(model: AnyModel, api: APIDescription, corsEnabled: Bool, webApp: Bool = true, logger: Logger) {
        self.model = model
        self.api = api
        self.corsEnabled = corsEnabled
        self.logger = logger
        swaggerBody = Array(SwaggerDocument.build(api: api, model: model, webApp: webApp).serialized.utf8)
        metadataBody = Array(model.metadata.json.serialized.utf8)
        site = WebSite(title: api.title, specPath: "swagger.json", webApp: webApp)
        routes = site.paths.map { ($0, ["GET"]) } + [
            ("/swagger.json", ["GET"]),
            ("/model/metadata", ["GET"]),
            ("/model/predict", ["POST"]),
        ]
    }

    /// The bytes of a page or a file the pages load (`/`, `/app`, `/static/app.js`), as served.
    public func webPageBody(at path: String) -> [UInt8]? { site.body(at: path) }

    /// Answers one request; never throws and never traps, whatever the request holds.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        if corsEnabled {
            response.headers.set("Access-Control-Allow-Origin", "*")
        }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        guard let route = routes.first(where: { $0.path == request.path }) else {
            return MAXApplication.error(.notFound, "no route \(request.path); see /swagger.json for the API")
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        if method == "OPTIONS" { return options(allowing: route.methods) }
        guard route.methods.contains(method) else {
            var response = MAXApplication.error(.methodNotAllowed, "\(request.method) is not allowed on \(route.path); use \(route.methods.joined(separator: ", "))")
            response.headers.set("Allow", allowHeader(route.methods))
            return response
        }
        if let page = site.response(for: request) { return page }
        switch route.path {
        case "/swagger.json": return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: swaggerBody)
        case "/model/metadata": return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: metadataBody)
        default: return predict(request)
        }
    }

    private func allowHeader(_ methods: [String]) -> String {
        var allowed = methods
        if allowed.contains("GET") { allowed.append("HEAD") }
        allowed.append("OPTIONS")
        return allowed.joined(separator: ", ")
    }

    /// OPTIONS, including CORS pre-flight when CORS is on.
    private func options(allowing methods: [String]) -> HTTPResponse {
        var response = HTTPResponse(status: .noContent)
        response.headers.set("Allow", allowHeader(methods))
        if corsEnabled {
            response.headers.set("Access-Control-Allow-Methods", allowHeader(methods))
            response.headers.set("Access-Control-Allow-Headers", "Content-Type")
            response.headers.set("Access-Control-Max-Age", "600")
        }
        return response
    }

    private func predict(_ request: HTTPRequest) -> HTTPResponse {
        let upload: ModelInput
        do {
            upload = try UploadExtractor.extract(from: request, spec: model.input)
        } catch let rejection as ModelError {
            logger.debug("predict refused (\(rejection.status.code)): \(rejection.message)")
            return MAXApplication.error(rejection.status, rejection.message)
        } catch {
            return MAXApplication.error(.badRequest, "\(error)")
        }
        let outcome = model.respond(to: upload, logger: logger)
        return .json(outcome.status, outcome.json.serialized)
    }

    /// `{"status": "error", "message": "..."}` with `status`.
    public static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        .json(status, PredictionEnvelope.failure(message).serialized)
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
