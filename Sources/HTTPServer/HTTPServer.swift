import Dispatch
import Foundation
import Glibc
import Logging

private let RLIMIT_NOFILE_RESOURCE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

/// An HTTP/1.1 server: event-loop threads on epoll do all socket work, a bounded worker pool runs
/// the handler. Keep-alive, pipelining (answered in order), Content-Length and chunked bodies,
/// `Expect: 100-continue`, HEAD, IPv4 and IPv6, size limits, request and idle timeouts, a cap on
/// connections (idle ones make room for new ones), a header-read deadline, and graceful shutdown
/// (the listening socket is closed as soon as the drain begins).
///
/// The server answers malformed or over-limit requests itself with JSON
/// `{"status": "error", "message": "..."}` (400, 408, 411, 413, 414, 417, 431, 501, 505); routing
/// errors (404, 405) belong to the handler.
public final class HTTPServer: @unchecked Sendable {
    private enum State { case idle, running, stopping, stopped }

    private let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let handler: @Sendable (HTTPRequest) throws -> HTTPResponse

    private let stateLock = NSCondition()
    private var state = State.idle
    private var listenFD: Int32 = -1
    private var boundPort = 0
    private var context: ServerContext?
    private var loops: [EventLoop] = []

    /// `handler` is called on worker threads, concurrently; HEAD requests reach it as "HEAD".
    public init(configuration: HTTPServerConfiguration, logger: Logger,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// As above, for a handler that may throw: an error is logged and answered with a JSON 500.
    public init(configuration: HTTPServerConfiguration, logger: Logger,
                throwingHandler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        self.configuration = configuration
        self.logger = logger
        self.handler = throwingHandler
    }

    /// Binds, listens and starts the threads; returns once connections are accepted.
    /// Throws `HTTPServerError` (address in use, bad address, already started).
    public func start() throws {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard state == .idle else { throw HTTPServerError(description: "the server was already started") }
        try validate(configuration)
        raiseDescriptorLimit(toServe: configuration.maxConnections)
        if configuration.returnsMemoryAfterPeaks { ProcessMemory.tuneAllocator() }
        let fd = try Socket.listen(host: configuration.host, port: configuration.port)
        let workers = WorkerPool(threadCount: configuration.resolvedPoolThreadCount, name: "http-worker",
                                 maxExtraThreads: configuration.maxExtraWorkers,
                                 longJobThreshold: configuration.longHandlerThreshold)
        let context = ServerContext(configuration: configuration, logger: logger, handler: handler, workers: workers)
        var loops: [EventLoop] = []
        let loopCount = configuration.resolvedEventLoopCount
        do {
            for _ in 0..<loopCount {
                loops.append(try EventLoop(context: context, listenFD: fd, closesListenerOnDrain: loopCount == 1))
            }
        } catch {
            workers.stop(timeout: 1)
            close(fd)
            throw error
        }
        for (index, loop) in loops.enumerated() { loop.start(name: "http-loop-\(index)") }
        listenFD = fd
        boundPort = Socket.localPort(of: fd)
        self.context = context
        self.loops = loops
        state = .running
        let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        logger.info("listening on http://\(shownHost):\(boundPort) (\(loops.count) event loop(s), "
                    + "\(configuration.resolvedWorkerCount) workers, up to \(configuration.maxConnections) connections)")
    }

    /// Containers often start with a soft limit of 1024 descriptors; raise it toward the hard
    /// limit so `maxConnections` is reachable (accepts pause briefly if descriptors still run out).
    private func raiseDescriptorLimit(toServe connections: Int) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_RESOURCE, &limit) == 0 else { return }
        let wanted = rlim_t(max(0, connections) + 64)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        if setrlimit(RLIMIT_NOFILE_RESOURCE, &limit) != 0 || limit.rlim_cur < wanted {
            logger.warning("only \(limit.rlim_cur) file descriptors are available for \(connections) connections")
        }
    }

    private func validate(_ configuration: HTTPServerConfiguration) throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw HTTPServerError(description: "invalid server configuration: \(message)") }
        }
        try require(configuration.maxRequestLineBytes > 0, "maxRequestLineBytes must be positive")
        try require(configuration.maxHeaderBytes > 0, "maxHeaderBytes must be positive")
        try require(configuration.maxBodyBytes >= 0, "maxBodyBytes must not be negative")
        try require(configuration.maxBufferedBodyBytes >= configuration.maxBodyBytes,
                    "maxBufferedBodyBytes (\(configuration.maxBufferedBodyBytes)) must be at least maxBodyBytes (\(configuration.maxBodyBytes)), or the largest bodies could never be received")
        try require(configuration.bufferedBodyWait >= 0, "bufferedBodyWait must not be negative")
        try require(configuration.requestTimeout > 0, "requestTimeout must be positive")
        try require(configuration.headerTimeout > 0, "headerTimeout must be positive")
        try require(configuration.idleTimeout > 0, "idleTimeout must be positive")
        try require(configuration.maxConnections > 0, "maxConnections must be positive")
        try require(configuration.workerCount >= 0, "workerCount must not be negative")
        try require(configuration.maxExtraWorkers >= 0, "maxExtraWorkers must not be negative")
        try require(configuration.longHandlerThreshold > 0, "longHandlerThreshold must be positive")
        try require(configuration.inlineHandlerBudget >= 0 && configuration.inlineHandlerBudget.isFinite,
                    "inlineHandlerBudget must not be negative")
        try require(configuration.shutdownGracePeriod >= 0, "shutdownGracePeriod must not be negative")
    }

    /// The bound port (the chosen one when the configuration asked for port 0); 0 before `start()`.
    public var localPort: Int {
        stateLock.lock(); defer { stateLock.unlock() }
        return boundPort
    }

    /// Graceful stop: no new connections (the listener closes at once, after the loops took in
    /// what the kernel had already accepted), idle ones closed after a quarter of a second in
    /// which a request already on its way may still arrive, in-flight requests get up to
    /// `shutdownGracePeriod` seconds to finish and be sent. Idempotent; returns when stopped.
    public func shutdown() {
        stateLock.lock()
        switch state {
        case .idle:
            state = .stopped
            stateLock.unlock()
            return
        case .stopped:
            stateLock.unlock()
            return
        case .stopping:
            while state != .stopped { stateLock.wait() }
            stateLock.unlock()
            return
        case .running:
            state = .stopping
        }
        let loops = self.loops
        let context = self.context
        let fd = listenFD
        stateLock.unlock()

        logger.info("shutting down: no new connections, finishing requests in flight")
        let grace = max(0, configuration.shutdownGracePeriod)
        let deadline = MonotonicClock.now() + grace
        context?.beginDraining()
        // From here the kernel queues no new connections (their SYNs go unanswered until the
        // listener is closed, then they are refused); the loops take in those already queued.
        if fd >= 0 { Socket.stopQueueingConnections(fd) }
        for loop in loops { loop.requestDrain(deadline: deadline) }
        // Once no loop watches the listening socket it is closed, so that new connections are
        // refused at once instead of queueing in the backlog and being reset at the end.
        var closedByLoop = false
        for loop in loops {
            if loop.waitUntilListenerReleased(timeout: 1) {
                closedByLoop = closedByLoop || loop.closedListener
            } else {
                logger.warning("an event loop did not release the listening socket in time")
            }
        }
        // A single loop closes it itself, right after its last accept.
        if fd >= 0 && !closedByLoop { close(fd) }
        for loop in loops where !loop.waitUntilStopped(timeout: deadline - MonotonicClock.now() + 2) {
            logger.warning("an event loop did not stop in time")
        }
        if let context, !context.workers.stop(timeout: max(0.1, deadline - MonotonicClock.now())) {
            logger.warning("a handler was still running at the end of the grace period")
        }
        logger.info("server stopped")

        stateLock.lock()
        state = .stopped
        listenFD = -1
        self.loops = []
        stateLock.broadcast()
        stateLock.unlock()
    }

    /// Blocks until SIGTERM or SIGINT arrives, then shuts down gracefully and returns.
    ///
    /// `onSignal` runs first, at the moment the signal arrives (an application marks itself not
    /// ready there). After a SIGTERM, the server then keeps serving for `drainDelay` seconds, so
    /// a load balancer that polls readiness stops sending before the listener closes; a second
    /// signal, or SIGINT (Ctrl-C) in the first place, skips the delay.
    public func waitForShutdownSignal(drainDelay: Double = 0, onSignal: (@Sendable (Int32) -> Void)? = nil) {
        TerminationSignals.catchSignals()
        let first = TerminationSignals.wait() ?? SIGTERM
        logger.info("received \(first == SIGTERM ? "SIGTERM" : "SIGINT")")
        onSignal?(first)
        if first == SIGTERM && drainDelay > 0 {
            logger.info("draining: still serving for \(drainDelay) s before closing the listener")
            _ = TerminationSignals.wait(timeout: drainDelay)
        }
        shutdown()
        // Stopped: a later signal may end the process the ordinary way again.
        TerminationSignals.restoreDefaults()
    }
}

