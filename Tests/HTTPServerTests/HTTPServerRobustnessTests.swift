import Foundation
import Glibc
import HTTPServer
import XCTest

/// The findings of the robustness audit (issue 13), one test or more each, over real sockets:
/// silent and slow clients, the connection cap, blank lines split across segments, the drain,
/// Host rules, truncated bodies and the access log.
final class HTTPServerRobustnessTests: XCTestCase {
    // MARK: Finding 1: the header-read deadline and the connection cap

    func testSilentConnectionIsClosedAtTheHeaderDeadline() throws {
        // Keep-alive idleness is long here: only the header deadline can close this socket.
        let server = try TestServer { $0.headerTimeout = 0.3; $0.idleTimeout = 30 }
        let client = try server.client(timeout: 3)
        let started = Date()
        XCTAssertTrue(client.isClosedByServer(), "a socket that never sends a request must not outlive the header deadline")
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.2)
        XCTAssertLessThan(waited, 2)
    }

    func testHeadTricklingPastTheHeaderDeadlineGets408() throws {
        let server = try TestServer { $0.headerTimeout = 0.4; $0.requestTimeout = 30 }
        let client = try server.client(timeout: 4)
        let started = Date()
        for byte in "GET /slow HTTP/1.1\r\nHost: x\r\n".utf8.prefix(12) {
            try client.send([byte])
            usleep(100_000)
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 408)
        XCTAssertTrue((response.json?["message"] as? String ?? "").contains("head"), response.bodyText)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5)
    }

    func testABodyMayTakeLongerThanTheHeaderDeadline() throws {
        let server = try TestServer { $0.headerTimeout = 0.3; $0.requestTimeout = 5 }
        let client = try server.client(timeout: 5)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\n")
        for piece in ["ab", "cd", "ef"] {
            usleep(250_000)  // 0.75 s in all: past the header deadline, within the request timeout
            try client.send(piece)
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.bodyText, "abcdef")
    }

    func testKeepAliveConnectionBetweenRequestsIsTimedByIdleTimeoutNotHeaderDeadline() throws {
        let server = try TestServer { $0.headerTimeout = 0.3; $0.idleTimeout = 30 }
        let client = try server.client(timeout: 3)
        try client.send(get("/first"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        usleep(800_000)  // idle between requests, longer than the header deadline
        try client.send(get("/second"))
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/second")
    }

    func testAtTheCapIdleKeepAliveConnectionsMakeRoomForNewOnes() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try server.client()
        let second = try server.client()
        for client in [first, second] {
            try client.send(get("/held"))
            XCTAssertEqual(try client.readResponse().statusCode, 200)
        }
        usleep(50_000)
        let third = try server.client()
        try third.send(get("/newcomer"))
        let response = try third.readResponse()
        XCTAssertEqual(response.statusCode, 200, response.bodyText)
        // The connection idle the longest (the first) was closed to make room.
        XCTAssertTrue(first.isClosedByServer())
        try second.send(get("/still-open"))
        XCTAssertEqual(try second.readResponse().statusCode, 200)
    }

    func testAtTheCapSilentConnectionsMakeRoomForNewOnes() throws {
        let server = try TestServer { $0.maxConnections = 4; $0.headerTimeout = 30; $0.idleTimeout = 30 }
        let silent = try (0..<4).map { _ in try server.client() }
        usleep(50_000)
        for index in 0..<3 {
            let client = try server.client()
            try client.send(get("/served-\(index)"))
            let response = try client.readResponse()
            XCTAssertEqual(response.statusCode, 200, "client \(index): \(response.bodyText)")
        }
        XCTAssertEqual(silent.count, 4)
    }

    func testAtTheCapBusyConnectionsStillGet503() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        // Both connections are in the middle of a request: neither may be closed for a newcomer.
        let first = try server.client()
        let second = try server.client()
        try first.send("GET /partial HTTP/1.1\r\nHo")
        try second.send(get("/sleep?ms=600"))
        usleep(100_000)
        let third = try server.client()
        let refused = try third.readResponse()
        XCTAssertEqual(refused.statusCode, 503)
        XCTAssertEqual(refused.json?["status"] as? String, "error")
        XCTAssertEqual(try second.readResponse().statusCode, 200)
        try first.send("st: t\r\n\r\n")
        XCTAssertEqual(try first.readResponse().json?["path"] as? String, "/partial")
    }

    // MARK: Finding 3: blank lines before a request line, split across segments

    func testRequestAfterABlankLineCompletesWhenItsLastBytesArriveLater() throws {
        let server = try TestServer { $0.requestTimeout = 10 }
        let client = try server.client(timeout: 3)
        try client.send("\r\nGET /model/metadata HTTP/1.1\r\nHost: x\r\n")
        usleep(300_000)
        try client.send("\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.json?["path"] as? String, "/model/metadata")
    }

    // MARK: Finding 4: the drain refuses new connections at once

    func testNewConnectionsAreRefusedAsSoonAsTheDrainBegins() throws {
        let server = try TestServer { $0.shutdownGracePeriod = 5 }
        let busy = try server.client()
        try busy.send(get("/sleep?ms=1000"))
        usleep(100_000)
        let stopped = expectation(description: "shutdown returned")
        DispatchQueue.global().async {
            server.server.shutdown()
            stopped.fulfill()
        }
        usleep(200_000)  // the drain has begun; the request in flight keeps the server draining
        XCTAssertThrowsError(try RawHTTPClient(port: server.port), "a connection was accepted during the drain") { error in
            XCTAssertTrue(String(describing: error).contains("refused"), String(describing: error))
        }
        let response = try busy.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.header("Connection"), "close")
        wait(for: [stopped], timeout: 5)
    }

    func testARequestSentAsTheDrainBeginsIsStillServed() throws {
        let server = try TestServer { $0.shutdownGracePeriod = 5 }
        let client = try server.client()
        try client.send(get("/first"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        let stopped = expectation(description: "shutdown returned")
        DispatchQueue.global().async {
            server.server.shutdown()
            stopped.fulfill()
        }
        usleep(50_000)  // the drain has begun; this kept-alive client did not know yet
        try client.send(get("/second"))
        let response = try client.readResponse()
        XCTAssertEqual(response.json?["path"] as? String, "/second")
        XCTAssertEqual(response.header("Connection"), "close")
        wait(for: [stopped], timeout: 5)
    }

    // MARK: Finding 5: Host rules (RFC 9112 §3.2) and truncated requests

    func testHTTP11RequestWithoutHostIs400() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("GET /model/metadata HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 400)
        XCTAssertTrue((response.json?["message"] as? String ?? "").contains("Host"), response.bodyText)
        XCTAssertTrue(client.isClosedByServer())
    }

    func testTwoHostHeadersAre400() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 400)
        XCTAssertTrue((response.json?["message"] as? String ?? "").contains("Host"), response.bodyText)
    }

    func testInvalidHostIs400AndValidFormsAreServed() throws {
        let server = try TestServer()
        for host in ["a b", "exa\"mple", "host:80x", "[::1", "a/b", "a@b"] {
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().statusCode, 400, "Host: \(host)")
        }
        for host in ["example.com", "example.com:5000", "127.0.0.1:80", "[::1]:8080", "[v1.x]", "xn--bcher-kva.example", ""] {
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().statusCode, 200, "Host: \(host)")
        }
    }

    func testHTTP10RequestWithoutHostIsServed() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().statusCode, 200)
    }

    func testChunkedBodyCutInsideAChunkSizeLineIsAnswered() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3")
        client.shutdownWrite()
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 400)
        XCTAssertTrue((response.json?["message"] as? String ?? "").contains("chunk size"), response.bodyText)
        XCTAssertTrue(client.isClosedByServer())
    }

    func testEveryRequestCutShortByTheClientIsAnswered() throws {
        let server = try TestServer()
        let cuts: [(String, String)] = [
            ("GET /cut HTTP/1.1\r\nHost: t\r\n", "head"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", "3 of 10"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "chunk"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n", "trailer"),
        ]
        for (raw, words) in cuts {
            let client = try server.client()
            try client.send(raw)
            client.shutdownWrite()
            let response = try client.readResponse()
            XCTAssertEqual(response.statusCode, 400, raw)
            XCTAssertTrue((response.json?["message"] as? String ?? "").contains(words), "\(raw): \(response.bodyText)")
        }
    }

    // MARK: Finding 7: the access log cannot be forged

    func testAccessLogEscapesTheRequestTarget() throws {
        let server = try TestServer()
        let client = try server.client()
        let target = "/x\"_200_0_\"forged\\y?caf\u{E9}"
        try client.send(get(target))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        usleep(50_000)
        let logged = try XCTUnwrap(server.log.lines.first { $0.contains("forged") }, "\(server.log.lines)")
        XCTAssertTrue(logged.contains("\"GET /x\\x22_200_0_\\x22forged\\x5Cy?caf\\xC3\\xA9 HTTP/1.1\" 200 "), logged)
        XCTAssertEqual(logged.filter { $0 == "\"" }.count, 2, "only the request line's own quotes: \(logged)")
    }

    // MARK: Finding 2: request bodies share a memory budget

    private func startUpload(_ server: TestServer, length: Int, sent: Int) throws -> RawHTTPClient {
        let client = try server.client(timeout: 5)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(length)\r\n\r\n")
        try client.send([UInt8](repeating: UInt8(ascii: "a"), count: sent))
        return client
    }

    func testABodyBeyondTheBudgetGets503WithRetryAfter() throws {
        let server = try TestServer {
            $0.maxBodyBytes = 200_000; $0.maxBufferedBodyBytes = 200_000; $0.bufferedBodyWait = 0.3
        }
        // The first upload holds its share (its length beyond the first 64 KiB) while it trickles.
        let first = try startUpload(server, length: 200_000, sent: 100)
        usleep(100_000)
        let started = Date()
        let second = try startUpload(server, length: 200_000, sent: 100)
        let refused = try second.readResponse()
        XCTAssertEqual(refused.statusCode, 503)
        XCTAssertEqual(refused.header("Retry-After"), "1")
        XCTAssertTrue((refused.json?["message"] as? String ?? "").contains("memory"), refused.bodyText)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.25, "it waited briefly first")
        try first.send([UInt8](repeating: UInt8(ascii: "a"), count: 200_000 - 100))
        let answered = try first.readResponse()
        XCTAssertEqual(answered.statusCode, 200)
        XCTAssertEqual(answered.body.count, 200_000)
        // The share came back: the next upload is received whole.
        let third = try startUpload(server, length: 200_000, sent: 200_000)
        XCTAssertEqual(try third.readResponse().statusCode, 200)
    }

    func testAWaitingBodyProceedsWhenAShareComesBack() throws {
        let server = try TestServer {
            $0.maxBodyBytes = 200_000; $0.maxBufferedBodyBytes = 200_000; $0.bufferedBodyWait = 3
        }
        let first = try startUpload(server, length: 200_000, sent: 100)
        usleep(100_000)
        let second = try startUpload(server, length: 150_000, sent: 150_000)
        usleep(300_000)  // waiting: the first holds the budget
        try first.send([UInt8](repeating: UInt8(ascii: "a"), count: 200_000 - 100))
        XCTAssertEqual(try first.readResponse().statusCode, 200)
        let late = try second.readResponse()
        XCTAssertEqual(late.statusCode, 200)
        XCTAssertEqual(late.body.count, 150_000)
    }

    func testSmallBodiesNeedNoShare() throws {
        let server = try TestServer {
            $0.maxBodyBytes = 200_000; $0.maxBufferedBodyBytes = 200_000; $0.bufferedBodyWait = 0.2
        }
        let holder = try startUpload(server, length: 200_000, sent: 10)
        usleep(100_000)
        // 60 KB bodies fit in what one read brings with a head: they are served while the budget is spent.
        for _ in 0..<3 {
            let client = try startUpload(server, length: 60_000, sent: 60_000)
            XCTAssertEqual(try client.readResponse().statusCode, 200)
        }
        withExtendedLifetime(holder) {}
    }

    func testExpectContinueIsSentOnlyOnceTheBodyHasItsShare() throws {
        let server = try TestServer {
            $0.maxBodyBytes = 200_000; $0.maxBufferedBodyBytes = 200_000; $0.bufferedBodyWait = 0.3
        }
        let holder = try startUpload(server, length: 200_000, sent: 10)
        usleep(100_000)
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try client.readResponse().statusCode, 503, "a final 503, no 100 Continue first")
        withExtendedLifetime(holder) {}
    }

    func testTheBudgetMustHoldTheLargestBody() {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.maxBodyBytes = 1000
        configuration.maxBufferedBodyBytes = 999
        let server = HTTPServer(configuration: configuration, logger: .init(label: "t", level: .error)) { _ in HTTPResponse() }
        XCTAssertThrowsError(try server.start()) { error in
            XCTAssertTrue("\(error)".contains("maxBufferedBodyBytes"), "\(error)")
        }
    }

    // MARK: Finding 2: slow handlers cannot starve quick ones

    func testQuickRequestsAreServedWhileEveryWorkerRunsASlowOne() throws {
        let server = try TestServer { $0.workerCount = 2; $0.longHandlerThreshold = 0.05 }
        let slow = try (0..<4).map { _ in try server.client(timeout: 10) }
        for client in slow { try client.send(get("/sleep?ms=1500")) }
        usleep(150_000)
        try server.assertQuickRequestsAnswered(despite: "the slow ones")
        for client in slow { XCTAssertEqual(try client.readResponse().statusCode, 200) }
    }

    func testWithoutExtraWorkersQuickRequestsWaitForSlowOnes() throws {
        // The same load with the mechanism turned off: the quick request queues behind both.
        // (Handlers on the loop's thread, tested in InlineHandlerTests, would run a third.)
        let server = try TestServer { $0.workerCount = 2; $0.maxExtraWorkers = 0; $0.inlineHandlerBudget = 0 }
        let slow = try (0..<2).map { _ in try server.client(timeout: 10) }
        for client in slow { try client.send(get("/sleep?ms=800")) }
        usleep(100_000)
        let client = try server.client()
        let started = Date()
        try client.send(get("/quick"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5)
        for client in slow { XCTAssertEqual(try client.readResponse().statusCode, 200) }
    }
}

/// Memory freed after a peak goes back to the system.
final class ProcessMemoryTests: XCTestCase {
    func testResidentMemoryIsReadAndFreedHeapIsReturned() throws {
        let before = try XCTUnwrap(ProcessMemory.residentBytes())
        XCTAssertGreaterThan(before, 1 << 20)
        // 96 MiB in 32 KiB blocks: heap memory, below any mapping threshold, touched page by page.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<3072 {
            let block = malloc(32 * 1024)!
            memset(block, 1, 32 * 1024)
            blocks.append(block)
        }
        // A block still in use above them keeps free() from shrinking the heap by itself.
        let pin = malloc(64)!
        defer { free(pin) }
        let peak = try XCTUnwrap(ProcessMemory.residentBytes())
        XCTAssertGreaterThan(peak, before + (64 << 20))
        for block in blocks { free(block) }
        let freed = try XCTUnwrap(ProcessMemory.residentBytes())
        XCTAssertTrue(ProcessMemory.returnFreeMemory())
        let after = try XCTUnwrap(ProcessMemory.residentBytes())
        print("resident: before \(before >> 20) MiB, peak \(peak >> 20), after free \(freed >> 20), after trim \(after >> 20)")
        XCTAssertLessThan(after, peak - (64 << 20), "freed heap memory stayed resident: \(before) -> \(peak) -> \(after)")
    }
}
