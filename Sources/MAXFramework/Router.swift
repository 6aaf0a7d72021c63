import Foundation
import HTTPServer
import Logging

/// Dispatches requests to routes: 404 for an unknown path, 405 with `Allow` for a known path and
/// a method it does not take, HEAD as GET, OPTIONS (and CORS pre-flight) for every path, errors
/// thrown by handlers rendered in the framework's envelope with their status. Immutable; any
/// number of threads may call `handle` at once.
struct Router: Sendable {
    let routes: [Route]
    let cors: CORSPolicy
    let logger: Logger
    /// Literal paths (no captures) as served, for finding a request's route template at once.
    private let literalPaths: Set<String>
    /// The routes of each literal path (`/` + its segments), in `routes` order: a request for
    /// one is answered without matching every pattern.
    private let literalRoutes: [String: [Route]]

    init(routes: [Route], cors: CORSPolicy, logger: Logger) {
        // Literal segments outrank captures; otherwise the declared order holds.
        self.routes = routes.enumerated()
            .sorted { ($0.element.pattern.captureCount, $0.offset) < ($1.element.pattern.captureCount, $1.offset) }
            .map(\.element)
        self.cors = cors
        self.logger = logger
        literalPaths = Set(routes.filter { $0.pattern.captureCount == 0 }.map { "/" + $0.pattern.literalPath })
        literalRoutes = Dictionary(grouping: self.routes.filter { $0.pattern.captureCount == 0 }) { "/" + $0.pattern.literalPath }
    }

    /// The declared path of the route `path` reaches (`/models/{id}/predict`), or nil: what
    /// metrics label a request with, whatever the client put in the path.
    func template(for path: String) -> String? {
        if literalPaths.contains(path) { return path }
        let normalized = "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        if literalPaths.contains(normalized) { return normalized }
        let parts = PathPattern.segments(of: path)
        return routes.first { $0.pattern.captureCount > 0 && $0.pattern.match(parts) != nil }?.path
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        cors.decorate(&response, for: request)
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        if let literal = literalRoutes[request.path]
            ?? literalRoutes["/" + PathPattern.segments(of: request.path).joined(separator: "/")] {
            // Literal paths outrank captures: what the scan below would find first.
            return answer(request, matching: literal, parameters: nil)
        }
        let parts = PathPattern.segments(of: request.path)
        var matching: [Route] = [], parameters: [[String: String]] = []
        for route in routes {
            guard let captured = route.pattern.match(parts) else { continue }
            matching.append(route)
            parameters.append(captured)
        }
        return answer(request, matching: matching, parameters: parameters)
    }

    /// Answers `request` with the routes whose patterns match its path, the most specific first,
    /// and their captures (nil: none captured anything). Walks them by index: a `Route` carries
    /// its documents and handler, and each copy of one retains them all.
    private func answer(_ request: HTTPRequest, matching: [Route], parameters: [[String: String]]?) -> HTTPResponse {
        guard !matching.isEmpty else {
            return Router.error(.notFound, "no route \(request.path); see /swagger.json for the API")
        }
        // The routes of the most specific pattern that matched (all methods on that path).
        let path = matching[0].path
        var methods: [String] {
            var methods: [String] = []
            for index in matching.indices where matching[index].path == path && !methods.contains(matching[index].method) {
                methods.append(matching[index].method)
            }
            return methods
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        if method == "OPTIONS" && !methods.contains("OPTIONS") {
            return options(allowing: methods, request: request)
        }
        // The routes of this path and method: a route for the request's media type first, else
        // one taking any type. Found by index, without collecting them (this runs per request).
        func isCandidate(_ index: Int) -> Bool { matching[index].path == path && matching[index].method == method }
        var chosen: Int?
        var anyType: Int?
        var typed = false
        for index in matching.indices where isCandidate(index) {
            if matching[index].contentTypes == nil {
                if anyType == nil { anyType = index }
            } else {
                typed = true
            }
        }
        if typed {
            let mediaType = MediaType.essence(of: request.headers["Content-Type"] ?? "")
            chosen = matching.indices.first { isCandidate($0) && matching[$0].contentTypes?.contains(mediaType) == true }
            if chosen == nil && anyType == nil {
                let accepted = matching.indices.filter(isCandidate).compactMap { matching[$0].contentTypes }.flatMap { $0 }
                return Router.error(.unsupportedMediaType, "\(request.method) \(request.path) takes \(accepted.joined(separator: ", ")), not '\(mediaType)'")
            }
        }
        guard let index = chosen ?? anyType else {
            var response = Router.error(.methodNotAllowed,
                                        "\(request.method) is not allowed on \(request.path); use \(methods.joined(separator: ", "))")
            response.headers.set("Allow", Router.allowHeader(methods))
            return response
        }
        let route = matching[index]
        do {
            return try route.handler(RouteRequest(http: request, pathParameters: parameters?[index] ?? [:]))
        } catch let refusal as HTTPResponseError {
            logger.debug("\(request.method) \(request.path) refused (\(refusal.status.code)): \(refusal.message)")
            var response = Router.error(refusal.status, refusal.message)
            for field in refusal.headers { response.headers.set(field.name, field.value) }
            return response
        } catch {
            logger.error("\(request.method) \(request.path) failed: \(error)")
            return Router.error(.internalServerError, "the service failed to answer; the server log has details")
        }
    }

    static func allowHeader(_ methods: [String]) -> String {
        var allowed = methods
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        if !allowed.contains("OPTIONS") { allowed.append("OPTIONS") }
        return allowed.joined(separator: ", ")
    }

    private func options(allowing methods: [String], request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(status: .noContent)
        response.headers.set("Allow", Router.allowHeader(methods))
        cors.answerPreflight(&response, request: request, methods: Router.allowHeader(methods))
        return response
    }

    /// `{"status": "error", "message": "..."}` with `status`: the one error body of the service.
    static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        .json(status, PredictionEnvelope.failure(message).serialized)
    }
}

/// Cross-origin access as flask-cors grants it when MAX's `CORS_ENABLE` is on: the request's
/// `Origin` echoed (any origin allowed), and on pre-flight its requested method and headers.
public struct CORSPolicy: Sendable {
    public var enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }

    func decorate(_ response: inout HTTPResponse, for request: HTTPRequest) {
        guard enabled else { return }
        if let origin = request.headers["Origin"], !origin.isEmpty {
            response.headers.set("Access-Control-Allow-Origin", origin)
            response.headers.set("Vary", "Origin")
        } else {
            response.headers.set("Access-Control-Allow-Origin", "*")
        }
    }

    func answerPreflight(_ response: inout HTTPResponse, request: HTTPRequest, methods: String) {
        guard enabled else { return }
        response.headers.set("Access-Control-Allow-Methods", methods)
        let requested = request.headers["Access-Control-Request-Headers"]?.trimmingCharacters(in: .whitespaces) ?? ""
        response.headers.set("Access-Control-Allow-Headers", requested.isEmpty ? "Content-Type" : requested)
        response.headers.set("Access-Control-Max-Age", "600")
    }

    /// For errors the HTTP layer answers itself, before a request is parsed: any origin.
    func decorateServerError(_ response: inout HTTPResponse) {
        guard enabled else { return }
        response.headers.set("Access-Control-Allow-Origin", "*")
    }
}
