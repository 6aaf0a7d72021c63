import Foundation
import HTTPServer
import Logging
import XCTest

/// Collects log lines so tests can assert on the access log.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []

    var sink: @Sendable (String) -> Void { { [self] line in lock.lock(); captured.append(line); lock.unlock() } }

    var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return captured
    }
}

struct HandlerFailure: Error, CustomStringConvertible {
    var description: String { "the test handler failed on purpose" }
}

/// What `/teapot` throws: an error that names its own status and a header.
struct TeapotError: HTTPResponseError {
    var status: HTTPStatus { HTTPStatus(418, "I'm a teapot") }
    var message: String { "short and stout" }
    var headers: HTTPHeaders { ["Retry-After": "7"] }
}

/// How many `/gauge` handlers run at once, and the most that ever did (since `reset`).
final class HandlerGauge: @unchecked Sendable {
    static let shared = HandlerGauge()
    private let lock = NSLock()
    private var running = 0
    private var peak = 0

    func enter() { lock.lock(); running += 1; peak = max(peak, running); lock.unlock() }
    func leave() { lock.lock(); running -= 1; lock.unlock() }
    func reset() { lock.lock(); running = 0; peak = 0; lock.unlock() }
    var mostAtOnce: Int { lock.lock(); defer { lock.unlock() }; return peak }
}

/// A real server on an ephemeral loopback port with a handler that describes each request:
/// `/echo` returns the body, `/sleep?ms=N` waits first, `/big?kb=N` sends N KiB, `/fail` throws, `/thread` names the
/// thread that ran the handler (as the kernel knows it), `/gauge?ms=N` sleeps counted by `HandlerGauge`, anything else answers
/// JSON with the method, path, query and body size.
final class TestServer {
    let server: HTTPServer
    let log = LogCapture()
    let port: Int
    let host: String

    init(host: String = "127.0.0.1", logFormat: LogFormat = .text,
         _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = 0
        configuration.workerCount = 2
        configuration.shutdownGracePeriod = 3
        configuration.errorRenderer = TestServer.renderError
        configure(&configuration)
        self.host = host
        server = HTTPServer(configuration: configuration, logger: Logger(label: "test", level: .info, format: logFormat, sink: log.sink),
                            throwingHandler: TestServer.handle)
        try server.start()
        port = server.localPort
    }

    deinit { server.shutdown() }

    func client(timeout: Double = 5) throws -> RawHTTPClient {
        try RawHTTPClient(port: port, host: host == "::" ? "::1" : host, timeout: timeout)
    }

    /// Three quick requests on fresh connections, each answered 200 within 0.5 s: what a test
    /// checks while slow handlers hold the workers or the loop's thread.
    func assertQuickRequestsAnswered(despite what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for index in 0..<3 {
            let client = try client()
            let started = Date()
            try client.send(get("/quick-\(index)"))
            XCTAssertEqual(try client.readResponse().statusCode, 200, file: file, line: line)
            XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "a quick request waited for \(what)", file: file, line: line)
        }
    }

    /// The error body an application would inject: `{"status": "error", "message": ...}`.
    @Sendable static func renderError(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: ["status": "error", "message": message])) ?? Data()
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(data))
    }

    @Sendable static func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        switch request.path {
        case "/echo":
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        case "/sleep":
            let milliseconds = request.queryValue("ms").flatMap(Int.init) ?? 100
            usleep(useconds_t(milliseconds * 1000))
            return .json(.ok, "{\"slept\": \(milliseconds)}")
        case "/big":
            let kibibytes = request.queryValue("kb").flatMap(Int.init) ?? 64
            let marker = UInt8(ascii: "a") + UInt8(kibibytes % 26)
            return HTTPResponse(status: .ok, body: [UInt8](repeating: marker, count: kibibytes * 1024))
        case "/fail":
            throw HandlerFailure()
        case "/teapot":
            throw TeapotError()
        case "/thread":
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return .json(.ok, "{\"thread\": \"\(name.trimmingCharacters(in: .whitespacesAndNewlines))\"}")
        case "/gauge":
            // Sleeps like /sleep while `HandlerGauge` counts the handlers running at once.
            HandlerGauge.shared.enter()
            defer { HandlerGauge.shared.leave() }
            usleep(useconds_t((request.queryValue("ms").flatMap(Int.init) ?? 100) * 1000))
            return .json(.ok, "{}")
        default:
            let description: [String: Any] = [
                "method": request.method,
                "path": request.path,
                "target": request.target,
                "query": request.query.map { [$0.name, $0.value] },
                "bodyBytes": request.body.count,
                "remote": request.remoteAddress,
                "requestID": request.requestID,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: description, options: [.sortedKeys])) ?? Data()
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(data))
        }
    }
}

func get(_ target: String, _ extraHeaders: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: test\r\n\(extraHeaders)\r\n"
}
