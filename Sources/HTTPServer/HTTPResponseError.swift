/// An error that knows how it should be answered: a status and a message a client can act on.
/// A handler may throw one; the server renders it with `HTTPServerConfiguration.errorRenderer`,
/// exactly as it renders the errors it raises itself (400, 408, 413, ...). Any other error a
/// handler throws is logged and answered with a generic 500.
public protocol HTTPResponseError: Error {
    /// A 4xx or 5xx status.
    var status: HTTPStatus { get }
    /// Shown to the client as is: say what was wrong and how to fix it.
    var message: String { get }
    /// Extra header fields for the answer (`Retry-After`, `Allow`); none by default.
    var headers: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var headers: HTTPHeaders { HTTPHeaders() }
}

/// Turns a status and message into the body clients see. The HTTP layer knows no body format of
/// its own beyond plain text: the application above it (MAXFramework) injects its JSON envelope.
public typealias HTTPErrorRenderer = @Sendable (HTTPStatus, String) -> HTTPResponse

extension HTTPResponse {
    /// The renderer used when the application supplies none: the message as `text/plain`.
    public static let plainTextError: HTTPErrorRenderer = { status, message in
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"],
                     body: Array((message + "\n").utf8))
    }
}
