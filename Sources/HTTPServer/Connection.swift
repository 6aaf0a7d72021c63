/// The state of one client connection. Owned and touched only by its event loop's thread.
final class Connection {
    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the same descriptor number.
    let id: UInt64
    let remoteAddress: String
    var parser: HTTPRequestParser

    /// Bytes queued for the client, sent from `outputIndex` on.
    var output: [UInt8] = []
    var outputIndex = 0

    /// Edge-triggered readiness: the socket may have unread bytes / may accept writes.
    var readable = true
    var writable = true
    /// The client shut down its sending side: `peerShutdownSignalled` once epoll said so,
    /// `peerClosed` once a read returned end of input.
    var peerShutdownSignalled = false
    var peerClosed = false
    /// A request is with a worker; nothing more is parsed until its response is queued (this keeps
    /// pipelined responses in order and bounds what one connection can buffer).
    var inFlight = false
    /// Close once the queued output has been sent.
    var closeAfterOutput = false
    /// The server refused a request (4xx/5xx of its own): its body may still be arriving.
    var refusedRequest = false
    /// Set once the write side is shut: input is discarded until EOF or this deadline.
    var lingerDeadline: Double?

    /// When the first byte of the request being received arrived (request timeout), or nil.
    var requestStartedAt: Double?
    /// Last time bytes moved either way (idle timeout, stalled writes, which idle one to close).
    var lastActivity: Double
    /// When the connection was accepted: its first head is due `headerTimeout` after this.
    let acceptedAt: Double
    /// Requests received whole (handed to a worker) on this connection.
    var requestsReceived = 0
    /// Bytes of the body memory budget this connection holds for its current request.
    var bodyReservation = 0
    /// Since when the body being received waits for its share of the budget (not read meanwhile).
    var budgetWaitStartedAt: Double?
    /// `100 Continue` is owed once the body may be read.
    var continuePending = false
    /// Draining: closed at this time if it is still idle then.
    var drainCloseAt: Double?

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: HTTPParserLimits, now: Double) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.parser = HTTPRequestParser(limits: limits)
        self.lastActivity = now
        self.acceptedAt = now
    }

    /// Since when the head being awaited is timed by the header deadline: the accept for a
    /// connection's first request, else the first byte of the request; nil while kept alive
    /// between requests (then only the idle timeout applies).
    var headWaitStartedAt: Double? {
        guard parser.isReceivingHead else { return nil }
        if requestsReceived == 0 { return acceptedAt }
        return requestStartedAt
    }

    var hasPendingOutput: Bool { outputIndex < output.count }

    /// Nothing received, nothing running, nothing to send: safe to close on shutdown.
    var isIdle: Bool { lingerDeadline != nil || (!inFlight && !hasPendingOutput && !parser.hasPartialRequest) }

    func queue(_ bytes: [UInt8]) {
        if output.isEmpty {
            output = bytes
            outputIndex = 0
        } else {
            output.append(contentsOf: bytes)
        }
    }
}
