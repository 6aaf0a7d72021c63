@_exported import HTTPServer

/// A request the model cannot serve, with the HTTP status that says why. Plugins and the
/// framework throw it alike; the client gets the status and `{"status": "error", "message": ...}`.
/// Any other error a plugin throws is the service's fault: logged in full, answered with 500.
public struct ModelError: HTTPResponseError, CustomStringConvertible, Equatable {
    public let status: HTTPStatus
    public let message: String
    public let headers: HTTPHeaders

    public init(_ status: HTTPStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { message }

    /// 400: the input cannot be used (not an image, corrupt, a bad query parameter).
    public static func badRequest(_ message: String) -> ModelError { ModelError(.badRequest, message) }
    /// 404: the thing asked for does not exist (an unknown model id).
    public static func notFound(_ message: String) -> ModelError { ModelError(.notFound, message) }
    /// 413: the input is too large to process (more pixels than allowed).
    public static func payloadTooLarge(_ message: String) -> ModelError { ModelError(.payloadTooLarge, message) }
    /// 415: a body of a type the route does not take.
    public static func unsupportedMediaType(_ message: String) -> ModelError { ModelError(.unsupportedMediaType, message) }
    /// 422: well-formed, but the values are wrong (a missing key, a number out of range).
    public static func unprocessable(_ message: String) -> ModelError { ModelError(.unprocessableContent, message) }
    /// 503: busy or not ready; the client may retry after `retryAfter` seconds.
    public static func serviceUnavailable(_ message: String, retryAfter seconds: Int? = nil) -> ModelError {
        ModelError(.serviceUnavailable, message, headers: seconds.map { ["Retry-After": String($0)] } ?? HTTPHeaders())
    }
}
