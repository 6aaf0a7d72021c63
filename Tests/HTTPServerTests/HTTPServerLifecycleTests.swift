import Foundation
import Glibc
import HTTPServer
import Logging
import XCTest

/// Timeouts, resource caps, start-up errors and graceful shutdown, over real sockets with short
/// configured timeouts so the suite stays fast.
final class HTTPServerLifecycleTests: XCTestCase {
    func testTricklingClientGets408AfterRequestTimeout() throws {
        let server = try TestServer { $0.requestTimeout = 0.5 }
        let client = try server.client(timeout: 3)
        let started = Date()
        // A byte every 100 ms keeps the connection active but never completes the request.
        for byte in "GET /slow HTTP/1.1\r\nHost: x\r\n".utf8.prefix(8) {
            try client.send([byte])
            usleep(100_000)
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 408)
        XCTAssertEqual(response.json?["status"] as? String, "error")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5)
        XCTAssertTrue(client.isClosedByServer())
    }

    func testTricklingAndIdleClientsDoNotStarveOthers() throws {
        let server = try TestServer { $0.workerCount = 1; $0.requestTimeout = 5 }
        // 200 idle connections plus one trickling client: neither pins a thread.
        let idle = try (0..<200).map { _ in try server.client() }
        let trickler = try server.client()
        try trickler.send("GET /slow HT")
        let started = Date()
        let client = try server.client()
        try client.send(get("/fast"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        // The idle and trickling connections were kept, not dropped to make room: each still
        // gets its answer once it sends a request.
        for index in [0, 99, 199] {
            try idle[index].send(get("/idle-\(index)"))
            XCTAssertEqual(try idle[index].readResponse().statusCode, 200, "idle connection \(index)")
        }
        try trickler.send("TP/1.1\r\nHost: test\r\n\r\n")
        let trickled = try trickler.readResponse()
        XCTAssertEqual(trickled.statusCode, 200)
        XCTAssertTrue(trickled.bodyText.contains("/slow"), trickled.bodyText)
    }

    func testIdleKeepAliveConnectionIsClosedAfterIdleTimeout() throws {
        let server = try TestServer { $0.idleTimeout = 0.3 }
        let client = try server.client(timeout: 3)
        try client.send(get("/once"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        let started = Date()
        XCTAssertTrue(client.isClosedByServer())
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.2)
        XCTAssertLessThan(waited, 2)
    }

    func testConnectionsOverTheCapAre503WhileAllAreBusy() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try server.client()
        let second = try server.client()
        for client in [first, second] {  // both accepted, counted, and in the middle of a request
            try client.send("GET /held HTTP/1.1\r\n")
        }
        usleep(50_000)
        let third = try server.client()
        let refused = try third.readResponse()
        XCTAssertEqual(refused.statusCode, 503)
        XCTAssertEqual(refused.json?["status"] as? String, "error")
        // Closing one frees a slot (its unfinished request is answered first).
        first.shutdownWrite()
        XCTAssertEqual(try first.readResponse().statusCode, 400)
        XCTAssertTrue(first.isClosedByServer())
        usleep(100_000)
        let fourth = try server.client()
        try fourth.send(get("/again"))
        XCTAssertEqual(try fourth.readResponse().statusCode, 200)
    }

    func testShutdownFinishesRequestInFlightThenStopsAccepting() throws {
        let server = try TestServer { $0.shutdownGracePeriod = 5 }
        let client = try server.client()
        try client.send(get("/sleep?ms=400"))
        usleep(100_000)  // the handler is running
        let stopped = expectation(description: "shutdown returned")
        let started = Date()
        DispatchQueue.global().async {
            server.server.shutdown()
            stopped.fulfill()
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.bodyText, "{\"slept\": 400}")
        XCTAssertEqual(response.header("Connection"), "close")
        wait(for: [stopped], timeout: 5)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        XCTAssertThrowsError(try RawHTTPClient(port: server.port), "still accepting after shutdown")
        server.server.shutdown()  // idempotent
    }

    func testShutdownClosesIdleConnectionsAtOnce() throws {
        let server = try TestServer()
        let idle = try server.client()
        try idle.send(get("/one"))
        XCTAssertEqual(try idle.readResponse().statusCode, 200)
        let started = Date()
        server.server.shutdown()
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        XCTAssertTrue(idle.isClosedByServer())
    }

    func testShutdownCutsHandlersThatOutlastTheGracePeriod() throws {
        let server = try TestServer { $0.shutdownGracePeriod = 0.3 }
        let client = try server.client()
        try client.send(get("/sleep?ms=1500"))
        usleep(100_000)
        let started = Date()
        server.server.shutdown()
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.4)
        XCTAssertThrowsError(try client.readResponse())
    }

    func testWaitForShutdownSignalReturnsAfterSIGTERM() throws {
        let server = try TestServer()
        let returned = expectation(description: "waitForShutdownSignal returned")
        DispatchQueue.global().async {
            server.server.waitForShutdownSignal()
            returned.fulfill()
        }
        usleep(200_000)  // let it install its signal handling
        kill(getpid(), SIGTERM)
        wait(for: [returned], timeout: 5)
        XCTAssertThrowsError(try RawHTTPClient(port: server.port))
    }

    /// Once caught, a signal is never lost, even one sent at once, before anyone waits; with
    /// none sent, a wait ends at its timeout.
    func testCaughtSignalsAreKeptUntilWaitedFor() {
        for _ in 0..<50 {
            TerminationSignals.catchSignals()
            kill(getpid(), SIGTERM)
            XCTAssertEqual(TerminationSignals.wait(timeout: 2), SIGTERM)
            XCTAssertNil(TerminationSignals.wait(timeout: 0.01), "one signal, one wake-up")
            TerminationSignals.restoreDefaults()
        }
        TerminationSignals.catchSignals()
        kill(getpid(), SIGINT)
        TerminationSignals.restoreDefaults()
        TerminationSignals.catchSignals()
        XCTAssertNil(TerminationSignals.wait(timeout: 0.05), "a signal not waited for is forgotten when the defaults come back")
        TerminationSignals.restoreDefaults()
    }

    /// Work run `whileCaught` sees a signal that came during it (and only after its start), and
    /// takes it: a server that had caught the signals already does not wake for it afterwards,
    /// and still has the handler, so the next signal wakes it.
    func testASignalDuringWorkRunWhileCaughtBelongsToThatWork() {
        TerminationSignals.catchSignals()
        defer { TerminationSignals.restoreDefaults() }
        let name: String? = TerminationSignals.whileCaught { mark in
            XCTAssertNil(TerminationSignals.caught(since: mark))
            kill(getpid(), SIGINT)
            return TerminationSignals.caught(since: mark)
        }
        XCTAssertEqual(name, "SIGINT")
        XCTAssertNil(TerminationSignals.caught(since: TerminationSignals.mark()), "a mark taken later has seen nothing")
        XCTAssertNil(TerminationSignals.wait(timeout: 0.05), "the work's signal is not delivered again")
        kill(getpid(), SIGTERM)
        XCTAssertEqual(TerminationSignals.wait(timeout: 2), SIGTERM, "the handler is still the server's")
    }

    func testPortInUseIsAReadableError() throws {
        let first = try TestServer()
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = first.port
        let second = HTTPServer(configuration: configuration, logger: Logger(label: "t", level: .error)) { _ in HTTPResponse() }
        XCTAssertThrowsError(try second.start()) { error in
            let message = String(describing: error)
            XCTAssertTrue(error is HTTPServerError)
            XCTAssertTrue(message.contains("127.0.0.1:\(first.port)"), message)
            XCTAssertTrue(message.contains("in use"), message)
        }
    }

    func testBadHostIsAReadableError() throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "not an address"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, logger: Logger(label: "t", level: .error)) { _ in HTTPResponse() }
        XCTAssertThrowsError(try server.start()) { error in
            XCTAssertTrue(String(describing: error).contains("not an address"), String(describing: error))
        }
    }

    func testLocalhostAndEphemeralPort() throws {
        let server = try TestServer(host: "localhost")
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertNotEqual(server.port, 5000)
    }
}
