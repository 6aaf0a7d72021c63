import Foundation
import Logging

/// What the event loops and workers of one server share: configuration, handler, logger, the
/// connection count against the cap, and whether the server is draining for shutdown.
final class ServerContext: @unchecked Sendable {
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let handler: @Sendable (HTTPRequest) throws -> HTTPResponse
    let workers: WorkerPool
    /// Shares `maxBufferedBodyBytes` among the bodies being received and handled.
    let bodyBudget: MemoryBudget
    /// Trims the heap after peaks (`returnsMemoryAfterPeaks`), nil when that is off.
    let memoryReclaimer: MemoryReclaimer?

    private let lock = NSLock()
    private var openConnections = 0
    private var draining = false
    private var nextConnectionID: UInt64 = 0

    init(configuration: HTTPServerConfiguration, logger: Logger,
         handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse, workers: WorkerPool) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        self.workers = workers
        self.bodyBudget = MemoryBudget(capacity: configuration.maxBufferedBodyBytes)
        self.memoryReclaimer = configuration.returnsMemoryAfterPeaks ? MemoryReclaimer() : nil
    }

    var isDraining: Bool {
        lock.lock(); defer { lock.unlock() }
        return draining
    }

    func beginDraining() {
        lock.lock(); draining = true; lock.unlock()
    }

    /// Counts a new connection against `maxConnections`; nil when the cap is reached.
    func reserveConnection() -> UInt64? {
        lock.lock(); defer { lock.unlock() }
        guard openConnections < configuration.maxConnections else { return nil }
        openConnections += 1
        nextConnectionID &+= 1
        return nextConnectionID
    }

    func releaseConnection() {
        lock.lock(); openConnections -= 1; lock.unlock()
    }

    /// Runs the handler for one request on a worker thread and returns the response bytes and
    /// whether the connection must close after them. A handler error becomes a logged 500.
    func respond(to request: HTTPRequest, keepAlive: Bool, minorVersion: Int, receivedAt: Double) -> (bytes: [UInt8], close: Bool) {
        var request = request
        request.requestID = RequestID.accepted(request.headers[RequestID.headerName]) ?? RequestID.generate()
        var response: HTTPResponse
        do {
            response = try handler(request)
        } catch let error as HTTPResponseError {
            response = errorResponse(error.status, error.message)
            for field in error.headers { response.headers.set(field.name, field.value) }
        } catch {
            logger.error("handler failed on \(request.method) \(LogEscaping.escape(request.target)): \(error)")
            response = errorResponse(.internalServerError, "internal server error")
        }
        if !(200...999).contains(response.status.code) {
            logger.error("handler returned status \(response.status.code) for \(request.method) \(LogEscaping.escape(request.target)); answering 500")
            response = errorResponse(.internalServerError, "internal server error")
        }
        response.headers.set(RequestID.headerName, request.requestID)
        let keep = keepAlive && !isDraining
        let headOnly = request.method == "HEAD"
        let bytes = ResponseSerializer.serialize(response, keepAlive: keep, headOnly: headOnly)
        record(HTTPRequestRecord(method: request.method, path: request.path, target: request.target,
                                 status: response.status.code, bodyBytes: headOnly ? 0 : response.body.count,
                                 duration: MonotonicClock.now() - receivedAt, requestID: request.requestID,
                                 remoteAddress: request.remoteAddress, minorVersion: minorVersion))
        return (bytes, !keep)
    }

    /// The answer to a request the server refuses itself (400, 408, 413, ...), with a request id
    /// of its own, logged and observed like any other.
    func refusal(_ status: HTTPStatus, _ message: String, remoteAddress: String, since start: Double) -> HTTPResponse {
        var response = errorResponse(status, message)
        let id = RequestID.generate()
        response.headers.set(RequestID.headerName, id)
        record(HTTPRequestRecord(method: "-", path: "-", target: "-", status: status.code, bodyBytes: response.body.count,
                                 duration: MonotonicClock.now() - start, requestID: id, remoteAddress: remoteAddress,
                                 minorVersion: nil))
        return response
    }

    /// An error answer in the application's format (`HTTPServerConfiguration.errorRenderer`).
    func errorResponse(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        configuration.errorRenderer(status, message)
    }

    /// Hands the record to the observer and writes the access log line.
    private func record(_ record: HTTPRequestRecord) {
        configuration.requestObserver?(record)
        logAccess(record)
    }

    /// One line per request at info level: remote address, request line (its target escaped by
    /// `LogEscaping`, so the quotes delimit it), status, body bytes, duration; JSON lines carry
    /// each as a field (escaped as JSON), with the request id.
    func logAccess(_ record: HTTPRequestRecord) {
        guard logger.level <= .info else { return }
        let hundredths = Int((record.duration * 100_000).rounded())
        let fraction = hundredths % 100
        let duration = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        let requestLine = record.minorVersion.map { "\(record.method) \(LogEscaping.escape(record.target)) HTTP/1.\($0)" } ?? "-"
        let line = "\(record.remoteAddress) \"\(requestLine)\" \(record.status) \(record.bodyBytes) \(duration)ms"
        guard logger.format == .json else { return logger.info(line) }
        logger.info(line, fields: [
            .string("method", record.method), .string("path", record.path), .int("status", record.status),
            .int("bytes", record.bodyBytes), .double("duration_ms", Double(hundredths) / 100),
            .string("request_id", record.requestID), .string("remote", record.remoteAddress),
        ])
    }
}
