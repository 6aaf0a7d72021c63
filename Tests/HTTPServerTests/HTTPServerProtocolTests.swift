import Foundation
import HTTPServer
import XCTest

/// Well-formed traffic over real sockets: framing, persistence, pipelining, HEAD, IPv6.
final class HTTPServerProtocolTests: XCTestCase {
    func testGetAnswersWithHandlerBodyAndServerHeaders() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/model/metadata?x=1"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.json?["path"] as? String, "/model/metadata")
        XCTAssertEqual(response.json?["method"] as? String, "GET")
        XCTAssertEqual(response.json?["remote"] as? String, "127.0.0.1")
        XCTAssertEqual(response.header("Content-Length"), String(response.body.count))
        XCTAssertEqual(response.header("Connection"), "keep-alive")
        XCTAssertEqual(response.header("Server"), "max-swift")
        XCTAssertTrue(response.header("Date")?.hasSuffix(" GMT") ?? false, "Date header: \(String(describing: response.header("Date")))")
        XCTAssertEqual(response.header("Content-Type"), "application/json")
    }

    func testQueryAndPathArePercentDecoded() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/a%20b/c?top_k=3&name=two+words&flag&enc=%C3%A9%26"))
        let json = try XCTUnwrap(try client.readResponse().json)
        XCTAssertEqual(json["path"] as? String, "/a b/c")
        XCTAssertEqual(json["target"] as? String, "/a%20b/c?top_k=3&name=two+words&flag&enc=%C3%A9%26")
        let query = try XCTUnwrap(json["query"] as? [[String]])
        XCTAssertEqual(query, [["top_k", "3"], ["name", "two words"], ["flag", ""], ["enc", "é&"]])
    }

    /// A '+' is a space only in the query (form encoding), never in the path; an escape may end the target.
    func testPlusIsLiteralInThePathAndEscapesMayEndTheTarget() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/c++/x%41?q=a+b%2B"))
        let json = try XCTUnwrap(try client.readResponse().json)
        XCTAssertEqual(json["path"] as? String, "/c++/xA")
        XCTAssertEqual(json["query"] as? [[String]], [["q", "a b+"]])
        // Without a query the path is decoded on its own: '+' stays literal there too.
        try client.send(get("/c++/x%41"))
        let alone = try XCTUnwrap(try client.readResponse().json)
        XCTAssertEqual(alone["path"] as? String, "/c++/xA")
        XCTAssertEqual(alone["query"] as? [[String]], [])
    }

    func testAbsoluteFormTargetIsReducedToItsPath() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("http://example.com:5000/model/metadata?a=b"))
        let json = try XCTUnwrap(try client.readResponse().json)
        XCTAssertEqual(json["path"] as? String, "/model/metadata")
        XCTAssertEqual(json["query"] as? [[String]], [["a", "b"]])
    }

    func testHalfClosedClientStillGetsEveryPipelinedAnswer() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/one") + get("/two") + get("/three"))
        client.shutdownWrite()
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/one")
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/two")
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/three")
        XCTAssertTrue(client.isClosedByServer())
    }

    func testKeepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try server.client()
        for index in 0..<5 {
            try client.send(get("/n\(index)"))
            let response = try client.readResponse()
            XCTAssertEqual(response.json?["path"] as? String, "/n\(index)")
        }
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer { $0.workerCount = 4 }
        let client = try server.client()
        // The first request is slow: a server answering out of order would send the later ones first.
        let pipeline = get("/sleep?ms=150") + get("/second") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + get("/fourth")
        try client.send(pipeline)
        XCTAssertEqual(try client.readResponse().bodyText, "{\"slept\": 150}")
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/second")
        XCTAssertEqual(try client.readResponse().bodyText, "hello")
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/fourth")
    }

    func testPipelinerThatReadsLateGetsEveryAnswer() throws {
        let server = try TestServer()
        let client = try server.client(timeout: 10)
        // 12 MiB of answers requested before reading any: more than socket buffers and the
        // server's own output bound hold, so the server must pause and resume this connection.
        let sizes = (0..<192).map { 64 + $0 % 7 }
        try client.send(sizes.map { get("/big?kb=\($0)") }.joined())
        usleep(300_000)
        for size in sizes {
            let response = try client.readResponse()
            XCTAssertEqual(response.body.count, size * 1024)
            XCTAssertEqual(response.body.first, UInt8(ascii: "a") + UInt8(size % 26))
        }
    }

    func testConnectionCloseIsHonoured() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/", "Connection: close\r\n"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.isClosedByServer())
    }

    func testHTTP10ClosesUnlessKeepAliveIsAsked() throws {
        let server = try TestServer()
        let plain = try server.client()
        try plain.send("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try plain.readResponse().header("Connection"), "close")
        XCTAssertTrue(plain.isClosedByServer())

        let persistent = try server.client()
        try persistent.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(try persistent.readResponse().header("Connection"), "keep-alive")
        try persistent.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(try persistent.readResponse().json?["path"] as? String, "/b")
    }

    func testHeadSendsGetHeadersWithoutBody() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/thing"))
        let getResponse = try client.readResponse()
        try client.send("HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(bodyExpected: false)
        XCTAssertEqual(head.statusCode, 200)
        XCTAssertNotNil(head.header("Content-Length"))
        // The handler saw HEAD, so its description differs by the method's length.
        XCTAssertEqual(Int(head.header("Content-Length") ?? ""), getResponse.body.count + 1)
        // No body bytes follow: the next response starts right away.
        try client.send(get("/after"))
        let after = try client.readResponse()
        XCTAssertEqual(after.statusLine, "HTTP/1.1 200 OK")
        XCTAssertEqual(after.json?["path"] as? String, "/after")
    }

    func testContentLengthBodyReachesHandler() throws {
        let server = try TestServer()
        let client = try server.client()
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.body, body)
    }

    func testChunkedBodyWithExtensionsAndTrailersIsDechunked() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5;ext=1\r\nhello\r\n")
        usleep(20_000)  // the body arrives in pieces
        try client.send("7\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.bodyText, "hello, world0123456789")
        try client.send(get("/next"))
        XCTAssertEqual(try client.readResponse().json?["path"] as? String, "/next")
    }

    func testExpectContinueGetsInterimResponseBeforeBody() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        XCTAssertEqual(interim.statusCode, 100)
        try client.send("data")
        let final = try client.readResponse()
        XCTAssertEqual(final.statusCode, 200)
        XCTAssertEqual(final.bodyText, "data")
    }

    func testExpectContinueWithTooLargeBodyGetsFinal413Only() throws {
        let server = try TestServer { $0.maxBodyBytes = 1000 }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 413)
        XCTAssertEqual(response.json?["status"] as? String, "error")
        XCTAssertTrue(client.isClosedByServer())
    }

    func testIPv6Loopback() throws {
        let server = try TestServer(host: "::1")
        let client = try server.client()
        try client.send(get("/six"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.json?["remote"] as? String, "::1")
    }

    func testDualStackListenerAcceptsIPv4() throws {
        let server = try TestServer(host: "::")
        let client = try RawHTTPClient(port: server.port, host: "127.0.0.1")
        try client.send(get("/four"))
        let response = try client.readResponse()
        XCTAssertEqual(response.json?["remote"] as? String, "127.0.0.1")
    }

    func testAccessLogLineNamesRequestStatusAndSize() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/logged?q=1"))
        let response = try client.readResponse()
        let line = server.log.lines.first { $0.contains("/logged?q=1") }
        let logged = try XCTUnwrap(line, "no access-log line among \(server.log.lines)")
        XCTAssertTrue(logged.contains(" INFO "))
        XCTAssertTrue(logged.contains("127.0.0.1 \"GET /logged?q=1 HTTP/1.1\" 200 \(response.body.count) "), logged)
        XCTAssertTrue(logged.hasSuffix("ms"), logged)
    }

    func testConcurrentClientsAreServed() throws {
        let server = try TestServer { $0.workerCount = 4 }
        let failures = LogCapture()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            do {
                let client = try server.client()
                for round in 0..<20 {
                    try client.send(get("/c\(index)/\(round)"))
                    let path = try client.readResponse().json?["path"] as? String
                    if path != "/c\(index)/\(round)" { failures.sink("client \(index) got \(path ?? "nil")") }
                }
            } catch {
                failures.sink("client \(index): \(error)")
            }
        }
        XCTAssertEqual(failures.lines, [])
    }
}
