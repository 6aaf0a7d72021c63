/// Everything an operator may tune about the server: where it listens, how much a client may
/// send, how long it may take, and how much concurrency the process spends.
public struct HTTPServerConfiguration: Sendable {
    /// `"0.0.0.0"` (all IPv4), `"::"` (IPv6, dual-stack), any literal address, or `"localhost"`.
    public var host: String = "0.0.0.0"
    /// 0 picks a free port; read it back from `HTTPServer.localPort`.
    public var port: Int = 5000
    /// Bytes of the request line, not counting its CR LF; a longer one is answered with 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Bytes of the header field lines with their line endings (not the request line, not the
    /// blank line that ends the head); chunked trailers count the same. More is answered with 431.
    public var maxHeaderBytes: Int = 64 * 1024
    /// Body bytes (after de-chunking); a larger body is answered with 413: checked from
    /// Content-Length before reading, and while de-chunking. The limits are inclusive.
    public var maxBodyBytes: Int = 16 * 1024 * 1024
    /// Bytes of request bodies buffered at once, across all connections. Beyond its first
    /// 64 KiB a body takes its share (its declared length, or in steps as a chunked body grows)
    /// before more of it is read, and gives it back once answered; a request that cannot get its
    /// share within `bufferedBodyWait` seconds is answered 503 with `Retry-After`. At least
    /// `maxBodyBytes`.
    public var maxBufferedBodyBytes: Int = 128 * 1024 * 1024
    /// Seconds a request body waits for its share of `maxBufferedBodyBytes` before 503.
    public var bufferedBodyWait: Double = 1
    /// Seconds to receive one whole request once its first byte arrived; then 408 and close.
    public var requestTimeout: Double = 30
    /// Seconds a client has to send a complete request head: from the moment it connects, or
    /// from the first byte of a later request on a kept-alive connection. A connection that sent
    /// nothing is then closed, one that sent part of a head gets 408. Bodies are bounded by
    /// `requestTimeout` alone, so a slow upload is not cut by this deadline.
    public var headerTimeout: Double = 10
    /// Seconds a keep-alive connection may sit idle (or stall reading our response) before it is closed.
    public var idleTimeout: Double = 60
    /// Threads running handlers at once; 0 = one per core, at least 2. While handlers may run
    /// inline (`inlineHandlerBudget` > 0), each event loop's thread is one of them and the pool
    /// gets the rest (at least one): more threads than cores computing at once only trade
    /// places on the cores, which showed as a longer tail (wrk, 64 connections, two cores:
    /// p99 9.7-10.1 ms with the loop and one pool thread, 12.2-13.8 ms with two, 14.2-14.9
    /// with three, at the same throughput).
    public var workerCount: Int = 0
    /// A handler running longer than this many seconds stops counting against `workerCount`:
    /// requests queued behind it get another thread (up to `maxExtraWorkers`), so that a few
    /// slow requests (a huge image, a big batch) cannot hold up the quick ones.
    public var longHandlerThreshold: Double = 0.05
    /// Threads the pool may add beyond `workerCount` while handlers run long; 0 = never.
    public var maxExtraWorkers: Int = 16
    /// Seconds a handler may run on an event loop's own thread (after each epoll round the loop
    /// runs the oldest waiting request itself, sparing the hand-offs to a worker and back) before
    /// a standby thread takes the loop over, so that the loop's other connections never wait
    /// longer than this for a slow one. 0 = handlers always run on the worker pool.
    public var inlineHandlerBudget: Double = 0.002
    /// Connections open at once. At the cap, the connection idle the longest (kept alive
    /// between requests, or connected without sending anything) is closed to make room; when
    /// every connection is busy, a new one is answered 503 and closed.
    public var maxConnections: Int = 1024
    /// Seconds in-flight requests get to finish on shutdown before connections are cut.
    public var shutdownGracePeriod: Double = 10
    /// Give memory back to the system after peaks: large blocks are mapped on their own, threads
    /// share a few heaps (`ProcessMemory.tuneAllocator`), and the heap is trimmed once resident
    /// memory grew by 32 MiB since the last trim. Process-wide; turn off to manage the allocator yourself.
    public var returnsMemoryAfterPeaks = true
    /// Threads running epoll loops (accept, read, parse, write); 0 = one. Extra to the contract.
    public var eventLoopCount: Int = 0
    /// Renders every error answer, the server's own (400, 408, 413, 503, ...) and those a handler
    /// throws as `HTTPResponseError`, so one body format serves them all.
    public var errorRenderer: HTTPErrorRenderer = HTTPResponse.plainTextError
    /// Called once per answered request, the server's own refusals included, on the thread that
    /// answered it (so it must be quick and thread-safe): metrics count requests here.
    public var requestObserver: (@Sendable (HTTPRequestRecord) -> Void)? = nil

    public init() {}

    /// The worker count actually used.
    var resolvedWorkerCount: Int {
        workerCount > 0 ? workerCount : max(2, ProcessInfo.processInfo.activeProcessorCount)
    }

    var resolvedEventLoopCount: Int { eventLoopCount > 0 ? eventLoopCount : 1 }

    /// The worker pool's own threads: `resolvedWorkerCount` less the loops' threads that run
    /// handlers too, and never none (handlers a loop may not run, or that outlive their budget,
    /// go to the pool).
    var resolvedPoolThreadCount: Int {
        max(1, resolvedWorkerCount - (inlineHandlerBudget > 0 ? resolvedEventLoopCount : 0))
    }

    var parserLimits: HTTPParserLimits {
        HTTPParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                         maxBodyBytes: maxBodyBytes)
    }
}

import Foundation
