import MAXFramework

/// An Open Inference Protocol error: answered as `{"error": "..."}` with its status (400 for a
/// request the server cannot use, 404 for an unknown model or version), as Triton and KServe do.
struct KServeError: Error, CustomStringConvertible {
    let status: HTTPStatus
    let message: String

    init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A 400: the request cannot be used.
    init(_ message: String) {
        self.init(.badRequest, message)
    }

    var description: String { message }

    /// The body every v2 error has.
    static func response(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        .json(status, JSONValue.object([("error", .string(message))]).serialized)
    }
}
