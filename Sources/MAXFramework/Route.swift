import HTTPServer

/// One method on one path, with its description for the OpenAPI documents and its handler.
/// The framework's own routes (MAX's `/model/*`, `/models/*`, the documents) and those that
/// protocol adapters add (KServe v2, the digit services' routes, metrics, health) are all
/// declared this way, so routing, CORS, errors and the documents treat them alike.
public struct Route: Sendable {
    public let method: String
    /// A path, with `{name}` for a segment captured as a path parameter (`/v2/models/{name}/infer`).
    public let path: String
    /// How the documents describe it; nil keeps the route out of them (static assets, aliases).
    public let doc: OperationDoc?
    /// Set, the route answers only requests whose Content-Type is one of these media types, and
    /// takes them ahead of a route of the same method and path without this set (an adapter
    /// answering `text/csv` on `/model/predict`). Nil: any request.
    public let contentTypes: [String]?
    public let handler: @Sendable (RouteRequest) throws -> HTTPResponse
    let pattern: PathPattern

    public init(_ method: String, _ path: String, doc: OperationDoc?, contentTypes: [String]? = nil,
                handler: @escaping @Sendable (RouteRequest) throws -> HTTPResponse) {
        self.method = method
        self.path = path
        self.doc = doc
        self.contentTypes = contentTypes.map { $0.map { $0.lowercased() } }
        self.handler = handler
        pattern = PathPattern(path)
    }
}

extension Route {
    /// The routes with each undocumented media-type route (`contentTypes` set, `doc` nil) listed
    /// in the request body of the documented route of its method and path, so the documents say
    /// that `POST /model/predict` also takes `text/csv` when an adapter answers it.
    static func documentingContentTypes(_ routes: [Route]) -> [Route] {
        routes.map { route in
            guard var doc = route.doc, route.contentTypes == nil else { return route }
            let extra = routes.filter { $0.doc == nil && $0.method == route.method && $0.path == route.path }
                .compactMap(\.contentTypes).flatMap { $0 }
            guard !extra.isEmpty else { return route }
            var body = doc.requestBody ?? RequestBodyDoc()
            body.rawContentTypes += extra.filter { !body.rawContentTypes.contains($0) }
            doc.requestBody = body
            return Route(route.method, route.path, doc: doc, contentTypes: nil, handler: route.handler)
        }
    }
}

/// A request as a route handler sees it: the HTTP request and the captured path parameters.
public struct RouteRequest: Sendable {
    public let http: HTTPRequest
    public let pathParameters: [String: String]

    public init(http: HTTPRequest, pathParameters: [String: String] = [:]) {
        self.http = http
        self.pathParameters = pathParameters
    }

    public func pathParameter(_ name: String) -> String? { pathParameters[name] }
    public func queryValue(_ name: String) -> String? { http.queryValue(name) }
    public var headers: HTTPHeaders { http.headers }
    public var body: [UInt8] { http.body }
}

/// A path split into literal segments and `{parameter}` captures.
struct PathPattern: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]

    init(_ path: String) {
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    /// Literal segments outrank captures: `/models/mnist/predict` is tried before `/models/{id}/predict`.
    var captureCount: Int { segments.filter { if case .parameter = $0 { return true }; return false }.count }

    /// The literal segments joined with `/` (the path itself when nothing is captured).
    var literalPath: String {
        segments.map { segment -> String in
            switch segment {
            case .literal(let text): return text
            case .parameter(let name): return "{\(name)}"
            }
        }.joined(separator: "/")
    }

    var parameterNames: [String] {
        segments.compactMap { if case .parameter(let name) = $0 { return name }; return nil }
    }

    /// The captured parameters when `path` matches, else nil. Captures never match an empty segment.
    func match(_ path: String) -> [String: String]? {
        match(PathPattern.segments(of: path))
    }

    /// A path's non-empty segments: split once per request, then matched against every pattern.
    static func segments(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    func match(_ parts: [Substring]) -> [String: String]? {
        guard parts.count == segments.count else { return nil }
        var captured: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): if text != part { return nil }
            case .parameter(let name): captured[name] = String(part)
            }
        }
        return captured
    }
}

// MARK: - Documentation

/// What the OpenAPI documents say about one operation. Neutral between Swagger 2.0 and
/// OpenAPI 3.0: both are generated from it.
public struct OperationDoc: Sendable {
    public var summary: String
    public var description: String?
    public var operationId: String
    public var tags: [String]
    /// Path, query and header parameters (path parameters are found from the route's path).
    public var parameters: [ParameterDoc]
    public var requestBody: RequestBodyDoc?
    public var responses: [ResponseDoc]

    public init(summary: String, description: String? = nil, operationId: String, tags: [String],
                parameters: [ParameterDoc] = [], requestBody: RequestBodyDoc? = nil, responses: [ResponseDoc]) {
        self.summary = summary
        self.description = description
        self.operationId = operationId
        self.tags = tags
        self.parameters = parameters
        self.requestBody = requestBody
        self.responses = responses
    }
}

public struct ParameterDoc: Sendable {
    public enum Location: String, Sendable { case path, query, header }
    public var name: String
    public var location: Location
    public var schema: Schema
    public var description: String
    public var isRequired: Bool
    public var defaultValue: JSONValue?

    public init(name: String, in location: Location, schema: Schema, description: String,
                required: Bool = false, defaultValue: JSONValue? = nil) {
        self.name = name
        self.location = location
        self.schema = schema
        self.description = description
        self.isRequired = location == .path ? true : required
        self.defaultValue = defaultValue
    }

    /// The documentation of a declared query parameter.
    public init(_ parameter: QueryParameter) {
        self.init(name: parameter.name, in: .query, schema: parameter.type, description: parameter.description,
                  defaultValue: parameter.defaultValue)
    }
}

/// What a request body may be: uploaded files (multipart, or one raw body of a listed type), JSON,
/// or other raw media types (`text/csv`).
public struct RequestBodyDoc: Sendable {
    public var files: FileInputSpec?
    public var json: JSONInputSpec?
    /// Media types taken as a raw body besides those of `files` (which are implied).
    public var rawContentTypes: [String]
    public var isRequired: Bool

    public init(files: FileInputSpec? = nil, json: JSONInputSpec? = nil, rawContentTypes: [String] = [],
                required: Bool = true) {
        self.files = files
        self.json = json
        self.rawContentTypes = rawContentTypes
        self.isRequired = required
    }

    /// The body a model's predict route takes.
    public init(_ spec: ModelInputSpec) {
        self.init(files: spec.files, json: spec.json)
    }
}

public struct ResponseDoc: Sendable {
    public var status: Int
    public var description: String
    /// The media type of the body (`application/json`, `text/html`, `image/png`).
    public var contentType: String
    public var schema: Schema?

    public init(_ status: Int, _ description: String, contentType: String = "application/json", schema: Schema? = nil) {
        self.status = status
        self.description = description
        self.contentType = contentType
        self.schema = schema
    }

    /// An error answer in the framework's envelope.
    public static func error(_ status: Int, _ description: String) -> ResponseDoc {
        ResponseDoc(status, description, schema: Schema.errorResponse)
    }
}

extension Schema {
    /// `{"status": "error", "message": "..."}`
    public static let errorResponse = Schema.object([
        SchemaProperty("status", .string, "Always 'error'", example: .string("error")),
        SchemaProperty("message", .string, "What went wrong and how to fix it"),
    ]).named("ErrorResponse")
}
