import Foundation
import Glibc

/// One epoll loop: accepts connections, reads and parses requests, hands whole requests to the
/// worker pool, writes the responses workers post back (woken through a pipe), and enforces
/// header, request and idle timeouts. Sockets are non-blocking and edge-triggered, so a slow or
/// idle client costs a little memory and never a thread.
///
/// After each epoll round the loop also runs one waiting request on its own thread (the oldest
/// in the pool's queue), saving both hand-offs for it; `LoopRelief` makes sure a slow one cannot
/// stall the loop (a standby thread takes the loop over once the handler outlives
/// `inlineHandlerBudget`). So the loop's state belongs to
/// whichever thread owns the loop at the moment, never to two at once.
final class EventLoop: @unchecked Sendable {
    private static let listenToken = UInt64.max
    private static let wakeToken = UInt64.max - 1
    private static let readChunkSize = 64 * 1024
    private static let maxPendingOutputBytes = 256 * 1024
    /// How long a connection idle when the drain begins may still deliver a request already on
    /// its way (a kept-alive client that just sent one, a client the kernel had just accepted).
    private static let drainIdleGrace = 0.25
    /// Body bytes a connection may buffer without a share of the body budget: what one read
    /// brings along with a head is in memory before anyone could refuse it.
    static let unbudgetedBodyBytes = readChunkSize

    private let context: ServerContext
    private let listenFD: Int32
    private let epoll: Epoll
    /// A pipe workers write a byte to when they post to the mailbox.
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let readBuffer: UnsafeMutableRawPointer
    private let stopped = DispatchSemaphore(value: 0)
    /// Signalled once the loop no longer watches (and so never accepts on) the listening socket.
    private let listenerReleased = DispatchSemaphore(value: 0)
    private let tickInterval: Double
    /// Runs handlers on the loop's thread when set (`inlineHandlerBudget` > 0).
    private let relief: LoopRelief?

    /// Loop state, touched only by the thread that owns the loop.
    private let events = Epoll.EventBuffer(capacity: 256)
    private var nextTick = 0.0
    private var connections: [Int32: Connection] = [:]
    private var drainDeadline: Double?
    private var acceptsPausedUntil: Double?
    /// Requests parsed during this epoll round, handed to the workers together at its end.
    private var pendingRequests: [PendingRequest] = []
    /// Connections whose body waits for a share of the body budget, oldest first.
    private var budgetWaiters: [Connection] = []
    /// Some share of the body budget was given back this round: waiters may proceed.
    private var budgetReleased = false

    /// Cross-thread mailbox: responses from workers and the drain request, guarded by `mailboxLock`.
    private struct Completion {
        let fd: Int32
        let connectionID: UInt64
        let bytes: [UInt8]
        let close: Bool
    }

    /// A whole request waiting for a thread to run its handler.
    private struct PendingRequest {
        let request: HTTPRequest
        let keepAlive: Bool
        let minorVersion: Int
        let receivedAt: Double
        let fd: Int32
        let connectionID: UInt64
    }
    private let mailboxLock = NSLock()
    private var mailbox: [Completion] = []
    private var requestedDrainDeadline: Double?

    /// The only loop closes the listening socket itself, the moment its last accept is done, so
    /// that no connection can slip into the queue in between; with several loops the server does.
    private let closesListenerOnDrain: Bool
    /// Set before `listenerReleased` is signalled when this loop closed the listening socket.
    private(set) var closedListener = false

    init(context: ServerContext, listenFD: Int32, closesListenerOnDrain: Bool) throws {
        self.context = context
        self.listenFD = listenFD
        self.closesListenerOnDrain = closesListenerOnDrain
        let configuration = context.configuration
        let shortestTimeout = min(configuration.requestTimeout, configuration.idleTimeout, configuration.headerTimeout)
        tickInterval = max(0.005, min(0.1, shortestTimeout / 4))
        relief = LoopRelief(budget: configuration.inlineHandlerBudget)
        epoll = try Epoll()
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw HTTPServerError.system("cannot create a wake-up pipe", errno: errno) }
        wakeReadFD = ends[0]
        wakeWriteFD = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readBuffer = UnsafeMutableRawPointer.allocate(byteCount: EventLoop.readChunkSize, alignment: 16)
        // The listening socket is level-triggered and exclusive: one loop wakes per pending connection.
        guard epoll.add(listenFD, events: Epoll.readable | Epoll.exclusive, token: EventLoop.listenToken),
              epoll.add(wakeReadFD, events: Epoll.readable, token: EventLoop.wakeToken) else {
            let code = errno
            close(wakeReadFD)
            close(wakeWriteFD)
            readBuffer.deallocate()
            throw HTTPServerError.system("cannot register the listening socket with epoll", errno: code)
        }
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
        readBuffer.deallocate()
    }

    // MARK: - Called from other threads

    /// Starts the loop on its own thread, and its standby thread when handlers may run inline.
    func start(name: String) {
        nextTick = MonotonicClock.now() + tickInterval
        startThread(name: name, owner: true)
        if relief != nil { startThread(name: name + "s", owner: false) }
    }

    private func startThread(name: String, owner: Bool) {
        let thread = Thread { [self] in
            ThreadName.setForCurrentThread(name)
            serve(owner: owner)
        }
        thread.stackSize = 8 << 20  // handlers may run here, and recurse through model code
        thread.start()
    }

    /// Blocks until the loop has exited or `timeout` seconds passed; true if it exited.
    func waitUntilStopped(timeout: Double) -> Bool {
        stopped.wait(timeout: .now() + max(0, timeout)) == .success
    }

    /// Blocks until the loop stopped watching the listening socket (after `requestDrain`) or
    /// `timeout` seconds passed; true if it did. Only then may the socket be closed.
    func waitUntilListenerReleased(timeout: Double) -> Bool {
        listenerReleased.wait(timeout: .now() + max(0, timeout)) == .success
    }

    /// A worker's response for connection `fd`/`connectionID`; dropped if that connection is gone.
    func post(fd: Int32, connectionID: UInt64, bytes: [UInt8], close: Bool) {
        mailboxLock.lock()
        let wasEmpty = mailbox.isEmpty
        mailbox.append(Completion(fd: fd, connectionID: connectionID, bytes: bytes, close: close))
        mailboxLock.unlock()
        // The loop drains the whole mailbox per wake-up, so only the first post needs to wake it.
        if wasEmpty { wake() }
    }

    /// Stop accepting, close idle connections, let the rest finish until `deadline`, then exit.
    func requestDrain(deadline: Double) {
        mailboxLock.lock()
        requestedDrainDeadline = deadline
        mailboxLock.unlock()
        wake()
    }

    private func wake() {
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    // MARK: - The loop

    /// A loop thread's life: own the loop until it stops or is taken over, stand by, own it again.
    private func serve(owner: Bool) {
        var owns = owner
        while true {
            if !owns {
                // Once standing by, it lets the owner know: jobs may be waiting that the owner
                // could not take while no standby was there to relieve it.
                guard let relief, relief.standBy(announce: { [self] in wake() }) else { return }
            }
            guard run() == .handedOver else {
                relief?.finish()
                listenerReleased.signal()
                stopped.signal()
                return
            }
            owns = false
        }
    }

    private enum LoopExit { case stopped, handedOver }

    /// Runs the loop on the calling thread, which owns it, until the loop stops or, while this
    /// thread ran a handler, the standby took it over.
    private func run() -> LoopExit {
        while true {
            // Requests left from the last round (parsed during its timer tick) must not wait for
            // it, nor jobs queued in the pool that this thread may run.
            let waitMs = pendingRequests.isEmpty && !mayTakeQueuedJob
                ? Int32(max(1, min(1000, (nextTick - MonotonicClock.now()) * 1000 + 1))) : 0
            let count = epoll.wait(into: events, timeoutMs: waitMs)
            if count < 0 && errno != EINTR {
                context.logger.error("epoll_wait failed: \(String(cString: strerror(errno))); event loop stops")
                closeAll()
                return .stopped
            }
            for index in 0..<max(0, count) {
                let event = events[index]
                switch event.token {
                case EventLoop.listenToken:
                    acceptConnections()
                case EventLoop.wakeToken:
                    drainWakeUps()
                    handleMailbox()
                default:
                    handle(event: event.events, fd: Int32(truncatingIfNeeded: event.token))
                }
            }
            if budgetReleased { admitBudgetWaiters() }
            guard runPendingRequests() else { return .handedOver }
            let now = MonotonicClock.now()
            if let resume = acceptsPausedUntil, now >= resume, drainDeadline == nil {
                acceptsPausedUntil = nil
                _ = epoll.add(listenFD, events: Epoll.readable | Epoll.exclusive, token: EventLoop.listenToken)
            }
            if now >= nextTick {
                admitBudgetWaiters()  // shares may also come back through another loop
                context.workers.rebalance()
                context.memoryReclaimer?.tick(now: now)
                enforceTimeouts(now: now)
                nextTick = now + tickInterval
            }
            if let drainDeadline {
                if connections.isEmpty { return .stopped }
                if now >= drainDeadline {
                    context.logger.warning("shutdown grace period over; closing \(connections.count) unfinished connection(s)")
                    closeAll()
                    return .stopped
                }
            }
        }
    }

    private func acceptConnections() {
        guard drainDeadline == nil else { return }
        acceptPending()
    }

    /// Accepts up to 64 pending connections; true if there may be more.
    @discardableResult
    private func acceptPending() -> Bool {
        for _ in 0..<64 {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    // Out of descriptors: the pending connection stays queued and the level-triggered
                    // listener would wake us at once, so stop watching it for a moment.
                    context.logger.error("accept failed: \(String(cString: strerror(code))); pausing accepts for 100 ms")
                    epoll.remove(listenFD)
                    acceptsPausedUntil = MonotonicClock.now() + 0.1
                } else if code != EAGAIN && code != EWOULDBLOCK {
                    context.logger.error("accept failed: \(String(cString: strerror(code)))")
                }
                return false
            }
            let remote = Socket.addressText(address)
            guard let id = context.reserveConnection() ?? closeIdlestConnection() else {
                refuseOverCapacity(fd: fd, remote: remote)
                continue
            }
            Socket.prepareConnection(fd)
            let events = Epoll.readable | Epoll.writable | Epoll.peerShutdown | Epoll.edgeTriggered
            guard epoll.add(fd, events: events, token: UInt64(fd)) else {
                context.logger.error("cannot register a connection with epoll: \(String(cString: strerror(errno)))")
                close(fd)
                context.releaseConnection()
                continue
            }
            connections[fd] = Connection(fd: fd, id: id, remoteAddress: remote,
                                         limits: context.configuration.parserLimits, now: MonotonicClock.now())
        }
        return true
    }

    /// At `maxConnections`: closes this loop's connection idle the longest (kept alive between
    /// requests, or connected without sending a request) and takes its place; nil when every
    /// connection is busy. Closing an idle persistent connection is always allowed (RFC 9112
    /// §9.5), so silent or parked sockets cannot lock newcomers out.
    private func closeIdlestConnection() -> UInt64? {
        var idlest: Connection?
        for connection in connections.values where connection.isIdle {
            if idlest.map({ connection.lastActivity < $0.lastActivity }) ?? true { idlest = connection }
        }
        guard let idlest else { return nil }
        context.logger.debug("\(idlest.remoteAddress): idle connection closed to make room (\(context.configuration.maxConnections) open)")
        closeConnection(idlest)
        return context.reserveConnection()
    }

    /// Over `maxConnections`: a best-effort 503 on the fresh socket (its buffer is empty), then close.
    private func refuseOverCapacity(fd: Int32, remote: String) {
        let response = context.errorResponse(.serviceUnavailable, "the server is at its connection limit; retry later")
        let bytes = ResponseSerializer.serialize(response, keepAlive: false, headOnly: false)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
        context.logger.warning("refused a connection from \(remote): \(context.configuration.maxConnections) connections open")
    }

    private func drainWakeUps() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &bytes, bytes.count) > 0 {}
    }

    private func handleMailbox() {
        mailboxLock.lock()
        let completions = mailbox
        mailbox.removeAll(keepingCapacity: true)
        let drain = requestedDrainDeadline
        requestedDrainDeadline = nil
        mailboxLock.unlock()

        for completion in completions { complete(completion) }
        if let drain, drainDeadline == nil { beginDrain(deadline: drain) }
    }

    /// A handler's answer: queued and sent, and the connection moves on to its next request.
    private func complete(_ completion: Completion) {
        guard let connection = connections[completion.fd], connection.id == completion.connectionID else { return }
        connection.inFlight = false
        releaseBodyShare(connection)
        connection.queue(completion.bytes)
        if completion.close { connection.closeAfterOutput = true }
        connection.lastActivity = MonotonicClock.now()
        advance(connection)
    }

    private func beginDrain(deadline: Double) {
        drainDeadline = deadline
        if acceptsPausedUntil == nil { epoll.remove(listenFD) }
        // Connections the kernel completed before now are clients that already connected: take
        // them in before the listener is closed (which would reset them).
        var rounds = 0
        while rounds < 64 && acceptPending() { rounds += 1 }
        if closesListenerOnDrain {
            close(listenFD)
            closedListener = true
        }
        listenerReleased.signal()
        let idleUntil = MonotonicClock.now() + EventLoop.drainIdleGrace
        for connection in Array(connections.values) {
            if connection.isIdle {
                connection.drainCloseAt = connection.lingerDeadline == nil ? idleUntil : MonotonicClock.now()
            } else if !connection.inFlight {
                // Receiving a request or sending a response: finish that one, then close.
                connection.closeAfterOutput = connection.closeAfterOutput || !connection.parser.hasPartialRequest
            }
        }
    }

    private func handle(event: UInt32, fd: Int32) {
        guard let connection = connections[fd] else { return }
        if event & (Epoll.error | Epoll.hangUp) != 0 {
            closeConnection(connection)
            return
        }
        if event & (Epoll.readable | Epoll.peerShutdown) != 0 { connection.readable = true }
        if event & Epoll.peerShutdown != 0 { connection.peerShutdownSignalled = true }
        if event & Epoll.writable != 0 { connection.writable = true }
        advance(connection)
    }

    /// Moves a connection forward as far as it can go: parse what is buffered, read more when
    /// needed, dispatch a whole request, flush output, and close when finished.
    private func advance(_ connection: Connection) {
        if connection.lingerDeadline != nil {
            discardInput(connection)
            return
        }
        // Sending first makes room for the next pipelined answers.
        guard flush(connection) else { return }
        // A client that pipelines without reading its answers is not served further until it
        // reads: otherwise its unread responses would pile up here without bound.
        while !connection.inFlight && !connection.closeAfterOutput
            && connection.output.count - connection.outputIndex < EventLoop.maxPendingOutputBytes {
            if connection.requestStartedAt == nil && connection.parser.hasPartialRequest {
                connection.requestStartedAt = MonotonicClock.now()
            }
            let event: HTTPParserEvent
            do {
                event = try connection.parser.next()
            } catch let error as HTTPParseError {
                answerWithError(connection, status: error.status, message: error.message)
                break
            } catch {
                answerWithError(connection, status: .badRequest, message: "malformed request")
                break
            }
            switch event {
            case .head(let head):
                connection.continuePending = head.expectsContinue && connection.parser.bufferedByteCount == 0
                    && connection.parser.receivedBodyByteCount == 0
                continue
            case let .request(head, body):
                dispatch(head: head, body: body, on: connection)
            case .needMoreData:
                if connection.peerClosed {
                    // The client stopped sending: an unfinished request can never complete, and
                    // a client that half-closed can still read why it is refused.
                    if let message = connection.parser.truncationMessage {
                        answerWithError(connection, status: .badRequest, message: message)
                    } else {
                        connection.closeAfterOutput = true
                    }
                    break
                }
                // The body is read only once its share of memory is granted.
                guard takeBodyShare(connection) else { break }
                if connection.continuePending {
                    connection.continuePending = false
                    connection.queue(ResponseSerializer.continueResponse)
                }
                guard connection.readable, readChunk(into: connection) else { break }
                continue
            }
            break
        }
        guard flush(connection) else { return }
        if connection.closeAfterOutput && !connection.inFlight && !connection.hasPendingOutput {
            finishClosing(connection)
        }
    }

    // MARK: - The body budget

    /// True when the body being received holds the share of `maxBufferedBodyBytes` it needs to
    /// take in another read; else the connection joins the waiters and is not read meanwhile.
    private func takeBodyShare(_ connection: Connection) -> Bool {
        let needed = connection.parser.bodyBytesNeeded(readAhead: EventLoop.readChunkSize) - EventLoop.unbudgetedBodyBytes
        let missing = needed - connection.bodyReservation
        guard missing > 0 else { return true }
        if context.bodyBudget.tryReserve(missing) {
            connection.bodyReservation += missing
            connection.budgetWaitStartedAt = nil
            return true
        }
        if connection.budgetWaitStartedAt == nil {
            connection.budgetWaitStartedAt = MonotonicClock.now()
            budgetWaiters.append(connection)
        }
        return false
    }

    private func releaseBodyShare(_ connection: Connection) {
        guard connection.bodyReservation > 0 else { return }
        context.bodyBudget.release(connection.bodyReservation)
        connection.bodyReservation = 0
        budgetReleased = true
    }

    /// Lets waiting bodies proceed, oldest first, as far as the budget allows; answers 503 to
    /// those that waited longer than `bufferedBodyWait`.
    private func admitBudgetWaiters() {
        budgetReleased = false
        guard !budgetWaiters.isEmpty else { return }
        let now = MonotonicClock.now()
        let configuration = context.configuration
        for connection in budgetWaiters where connections[connection.fd] === connection {
            guard let since = connection.budgetWaitStartedAt else { continue }
            advance(connection)
            guard connection.budgetWaitStartedAt != nil, now - since >= configuration.bufferedBodyWait else { continue }
            connection.budgetWaitStartedAt = nil
            let megabytes = configuration.maxBufferedBodyBytes >> 20
            answerWithError(connection, status: .serviceUnavailable,
                            message: "the server is receiving as many request bodies as its memory budget (\(megabytes) MiB) allows; retry shortly",
                            headers: ["Retry-After": "1"])
            if flush(connection) { finishClosing(connection) }
        }
        budgetWaiters.removeAll { $0.budgetWaitStartedAt == nil || connections[$0.fd] !== $0 }
    }

    /// Closes after the last response. Closing a socket with unread input makes the kernel send
    /// a reset that can destroy the response before the client reads it (say a 413 while the
    /// body is still arriving), so after an error, or with input left over, the write side is
    /// shut first and input is discarded until the client closes or a short deadline passes.
    private func finishClosing(_ connection: Connection) {
        if connection.peerClosed || (!connection.refusedRequest && connection.parser.bufferedByteCount == 0) {
            closeConnection(connection)
            return
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.lingerDeadline = MonotonicClock.now() + min(1, context.configuration.idleTimeout)
        discardInput(connection)
    }

    private func discardInput(_ connection: Connection) {
        while true {
            let count = read(connection.fd, readBuffer, EventLoop.readChunkSize)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            closeConnection(connection)
            return
        }
    }

    /// Reads once; true when bytes arrived. Sets `readable`/`peerClosed`, closes on socket errors.
    private func readChunk(into connection: Connection) -> Bool {
        while true {
            let count = read(connection.fd, readBuffer, EventLoop.readChunkSize)
            if count > 0 {
                connection.parser.append(UnsafeRawBufferPointer(start: readBuffer, count: count))
                connection.lastActivity = MonotonicClock.now()
                // Edge-triggered: a short read drained the socket and new bytes bring a new event,
                // but an end of input already signalled brings none, so it must still be read.
                if count < EventLoop.readChunkSize && !connection.peerShutdownSignalled { connection.readable = false }
                return true
            }
            if count == 0 {
                connection.peerClosed = true
                connection.readable = false
                return true  // let the caller see `peerClosed`
            }
            let code = errno
            if code == EINTR { continue }
            connection.readable = false
            if code != EAGAIN && code != EWOULDBLOCK {
                connection.peerClosed = true
                connection.closeAfterOutput = true
            }
            return false
        }
    }

    /// Sends queued output until done or the socket is full; false if the connection was closed.
    private func flush(_ connection: Connection) -> Bool {
        while connection.hasPendingOutput && connection.writable {
            let sent = connection.output.withUnsafeBytes { bytes in
                send(connection.fd, bytes.baseAddress.map { $0 + connection.outputIndex },
                     bytes.count - connection.outputIndex, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                connection.outputIndex += sent
                connection.lastActivity = MonotonicClock.now()
            } else if sent < 0 && errno == EINTR {
                continue
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                connection.writable = false
            } else {
                closeConnection(connection)
                return false
            }
        }
        if !connection.hasPendingOutput && !connection.output.isEmpty {
            connection.output.removeAll(keepingCapacity: connection.output.capacity <= 1 << 16)
            connection.outputIndex = 0
        }
        return true
    }

    private func dispatch(head: HTTPRequestHead, body: [UInt8], on connection: Connection) {
        let receivedAt = connection.requestStartedAt ?? MonotonicClock.now()
        connection.requestStartedAt = nil
        connection.requestsReceived += 1
        connection.inFlight = true
        let (path, query) = RequestTarget.split(head.target)
        let request = HTTPRequest(method: head.method, target: head.target, path: path, query: query,
                                  headers: head.headers, body: body, remoteAddress: connection.remoteAddress)
        // A client that half-closed after pipelining still gets every answer; the connection
        // closes once its input is used up (see `advance`).
        // Handed over with the rest of this epoll round: one lock and the fewest wake-ups
        // (measured: server CPU per request ~19 us batched, ~30-40 us one by one).
        pendingRequests.append(PendingRequest(request: request, keepAlive: head.keepAlive, minorVersion: head.minorVersion,
                                              receivedAt: receivedAt, fd: connection.fd, connectionID: connection.id))
    }

    /// Hands this round's requests to the workers, then, when this thread may run a handler
    /// itself (see `LoopRelief`), runs the oldest job waiting in the pool, this round's or an
    /// earlier one's: so requests start in arrival order whichever thread runs them, and the
    /// loop's thread, one of `workerCount`, is not idle while requests wait. Running the round's
    /// newest request here instead let it overtake everything queued (measured, wrk at 64
    /// connections: p99 15.4-15.8 ms against 12.3-12.9 ms in arrival order, at the same
    /// throughput). An answer for one of this loop's connections is completed at once; others
    /// go through their loop's mailbox, like a worker's. False when the standby took the loop
    /// over while the job ran: this thread no longer owns the loop.
    private func runPendingRequests() -> Bool {
        let batch = pendingRequests.map { RequestJob(loop: self, pending: $0) }
        pendingRequests.removeAll(keepingCapacity: true)
        // Always, not only when a worker sleeps: measured (wrk, 64 connections) that way the
        // server switched threads 1.7 times per request instead of 0.3-0.7, and spent more CPU.
        guard drainDeadline == nil, let relief, !batch.isEmpty || context.workers.hasQueuedJobs,
              relief.beginInline() else {
            if !batch.isEmpty { context.workers.submit(contentsOf: batch) }
            return true
        }
        guard let oldest = context.workers.submitTakingOldest(contentsOf: batch) else {
            _ = relief.endInline()
            return true
        }
        guard let request = oldest as? RequestJob else {
            oldest.run()
            return relief.endInline()
        }
        let completion = request.answer()
        guard relief.endInline() else {
            request.deliver(completion)
            return false
        }
        // Still this loop's owner: its own connection's answer goes out at once, no mailbox.
        if request.loop === self { complete(completion) } else { request.deliver(completion) }
        return true
    }

    /// True when a job waits in the pool that this thread could take now.
    private var mayTakeQueuedJob: Bool {
        guard drainDeadline == nil, let relief, relief.mayBeginInline else { return false }
        return context.workers.hasQueuedJobs
    }

    /// A request waiting for a thread: a worker runs and posts it; the loop's own thread may
    /// instead take its answer and complete the connection directly.
    private final class RequestJob: WorkerJob {
        let loop: EventLoop
        let pending: PendingRequest
        init(loop: EventLoop, pending: PendingRequest) {
            self.loop = loop
            self.pending = pending
        }
        func run() { deliver(answer()) }
        func answer() -> Completion {
            let (bytes, close) = loop.respond(pending)
            return Completion(fd: pending.fd, connectionID: pending.connectionID, bytes: bytes, close: close)
        }
        /// Through the loop's mailbox: safe from any thread.
        func deliver(_ completion: Completion) {
            loop.post(fd: completion.fd, connectionID: completion.connectionID, bytes: completion.bytes, close: completion.close)
        }
    }

    private func respond(_ pending: PendingRequest) -> (bytes: [UInt8], close: Bool) {
        context.respond(to: pending.request, keepAlive: pending.keepAlive, minorVersion: pending.minorVersion,
                        receivedAt: pending.receivedAt)
    }

    /// Answers a request the server itself refuses (400, 408, 413, ...) and closes after it.
    private func answerWithError(_ connection: Connection, status: HTTPStatus, message: String,
                                 headers: HTTPHeaders = HTTPHeaders()) {
        var response = context.refusal(status, message, remoteAddress: connection.remoteAddress,
                                       since: connection.requestStartedAt ?? MonotonicClock.now())
        for field in headers { response.headers.set(field.name, field.value) }
        connection.queue(ResponseSerializer.serialize(response, keepAlive: false, headOnly: false))
        connection.closeAfterOutput = true
        connection.refusedRequest = true
        context.logger.debug("\(connection.remoteAddress): \(status.code) \(message)")
    }

    private func enforceTimeouts(now: Double) {
        let configuration = context.configuration
        for connection in Array(connections.values) where !connection.inFlight {
            if let closeAt = connection.drainCloseAt, connection.isIdle, now >= closeAt {
                closeConnection(connection)
            } else if let lingerDeadline = connection.lingerDeadline {
                if now >= lingerDeadline { closeConnection(connection) }
            } else if connection.hasPendingOutput {
                // The client is not reading our response.
                if now - connection.lastActivity > configuration.idleTimeout { closeConnection(connection) }
            } else if connection.closeAfterOutput {
                continue
            } else if let headStarted = connection.headWaitStartedAt, now - headStarted > configuration.headerTimeout {
                if connection.parser.hasPartialRequest {
                    timeOut(connection, "the request head was not received within \(configuration.headerTimeout) seconds")
                } else {
                    closeConnection(connection)  // connected and sent nothing: no one to answer
                }
            } else if let started = connection.requestStartedAt {
                if now - started > configuration.requestTimeout {
                    timeOut(connection, "the request was not received within \(configuration.requestTimeout) seconds")
                }
            } else if now - connection.lastActivity > configuration.idleTimeout {
                closeConnection(connection)
            }
        }
    }

    /// Answers 408 and closes; one attempt to send it, as a client that trickles may not read either.
    private func timeOut(_ connection: Connection, _ message: String) {
        answerWithError(connection, status: .requestTimeout, message: message)
        if flush(connection) { finishClosing(connection) }
    }

    private func closeConnection(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.fd) != nil else { return }
        releaseBodyShare(connection)
        close(connection.fd)
        context.releaseConnection()
    }

    private func closeAll() {
        for connection in Array(connections.values) { closeConnection(connection) }
    }
}
