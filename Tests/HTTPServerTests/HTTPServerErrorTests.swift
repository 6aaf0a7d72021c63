import Foundation
import HTTPServer
import XCTest

/// Every error the server produces itself, over real sockets: the status, the JSON body, and
/// that the connection is closed after a request that cannot be framed.
final class HTTPServerErrorTests: XCTestCase {
    /// Sends `raw`, expects `status` with the JSON error body, and (by default) a closed connection.
    private func assertError(_ raw: String, status: Int, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                             closes: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let server = try TestServer(configure)
        let client = try server.client()
        try client.send(raw)
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, status, response.bodyText, file: file, line: line)
        XCTAssertEqual(response.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertEqual(response.json?["status"] as? String, "error", file: file, line: line)
        XCTAssertFalse((response.json?["message"] as? String ?? "").isEmpty, file: file, line: line)
        if closes {
            XCTAssertEqual(response.header("Connection"), "close", file: file, line: line)
            XCTAssertTrue(client.isClosedByServer(), "connection left open", file: file, line: line)
        }
    }

    func testMalformedRequestLineIs400() throws {
        try assertError("GARBAGE\r\n\r\n", status: 400)
        try assertError("GET /two  spaces HTTP/1.1\r\n\r\n", status: 400)
        try assertError("GET / HTTP/1.1 extra\r\n\r\n", status: 400)
        try assertError("G(T / HTTP/1.1\r\n\r\n", status: 400)
    }

    func testMalformedHeadersAre400() throws {
        try assertError("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", status: 400)
        try assertError("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", status: 400)
        try assertError("GET / HTTP/1.1\r\nHost: a\r\n folded: continuation\r\n\r\n", status: 400)
        try assertError("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12abc\r\n\r\n", status: 400)
        try assertError("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400)
        try assertError("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
    }

    func testMalformedChunkIs400() throws {
        try assertError("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400)
        try assertError("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", status: 400)
    }

    func testUnsupportedVersionIs505() throws {
        try assertError("GET / HTTP/2.0\r\n\r\n", status: 505)
    }

    func testUnsupportedTransferCodingIs501() throws {
        try assertError("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501)
    }

    func testUnsupportedExpectationIs417() throws {
        try assertError("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: teapot\r\n\r\nx", status: 417)
    }

    func testPostWithoutLengthIs411() throws {
        try assertError("POST /model/predict HTTP/1.1\r\nHost: t\r\n\r\n", status: 411)
    }

    func testDeclaredBodyOverLimitIs413BeforeTheBodyIsSent() throws {
        try assertError("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n", status: 413) { $0.maxBodyBytes = 1024 }
        try assertError("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413)
    }

    func testOversizedBodyBeingSentGets413() throws {
        let server = try TestServer { $0.maxBodyBytes = 64 * 1024 }
        let client = try server.client()
        // The client sends its whole oversized body anyway; the 413 must still reach it.
        let body = [UInt8](repeating: 65, count: 256 * 1024)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
        try? client.send(body)
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 413)
        XCTAssertEqual(response.json?["status"] as? String, "error")
    }

    func testChunkedBodyOverLimitIs413() throws {
        let chunk = String(repeating: "a", count: 600)
        let chunked = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
        try assertError(chunked, status: 413) { $0.maxBodyBytes = 1000 }
    }

    func testLongRequestLineIs414() throws {
        let target = "/" + String(repeating: "a", count: 300)
        try assertError(get(target), status: 414) { $0.maxRequestLineBytes = 256 }
        // Refused while still arriving: no line end needed.
        try assertError("GET /" + String(repeating: "b", count: 600), status: 414) { $0.maxRequestLineBytes = 256 }
    }

    func testLargeHeadersAre431() throws {
        let header = "X-Big: " + String(repeating: "h", count: 2000) + "\r\n"
        try assertError(get("/", header), status: 431) { $0.maxHeaderBytes = 1024 }
        try assertError("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 300), status: 431) { $0.maxHeaderBytes = 1024 }
    }

    /// The configured limits reach the parser and are inclusive: a request exactly at every
    /// limit is served on one connection; one byte over each is refused (414, 431, 413).
    func testRequestExactlyAtEveryConfiguredLimitIsServed() throws {
        let configure: (inout HTTPServerConfiguration) -> Void = {
            $0.maxRequestLineBytes = 256; $0.maxHeaderBytes = 512; $0.maxBodyBytes = 1024
        }
        func requestLine(_ length: Int) -> String {
            "POST /echo?" + String(repeating: "q", count: length - "POST /echo? HTTP/1.1".utf8.count) + " HTTP/1.1\r\n"
        }
        func headers(_ length: Int) -> String {
            let fixed = "Host: t\r\nContent-Length: 1024\r\nX-Fill: \r\n".utf8.count
            return "Host: t\r\nContent-Length: 1024\r\nX-Fill: " + String(repeating: "h", count: length - fixed) + "\r\n"
        }
        let body = String(repeating: "b", count: 1024)
        let server = try TestServer(configure)
        let client = try server.client()
        try client.send(requestLine(256) + headers(512) + "\r\n" + body)
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200, response.bodyText)
        XCTAssertEqual(response.bodyText, body)

        try assertError(requestLine(257) + headers(512) + "\r\n" + body, status: 414, configure: configure)
        try assertError(requestLine(256) + headers(513) + "\r\n" + body, status: 431, configure: configure)
        try assertError(requestLine(256) + "Host: t\r\nContent-Length: 1025\r\n\r\n", status: 413, configure: configure)
    }

    func testHandlerErrorIsLogged500AndConnectionSurvives() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/fail"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 500)
        XCTAssertEqual(response.json?["status"] as? String, "error")
        XCTAssertTrue(server.log.lines.contains { $0.contains("ERROR") && $0.contains("failed on purpose") }, "\(server.log.lines)")
        try client.send(get("/after"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
    }

    func testThrownResponseErrorKeepsItsStatusMessageAndHeaders() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/teapot"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 418)
        XCTAssertEqual(response.header("Retry-After"), "7")
        XCTAssertEqual(response.json?["message"] as? String, "short and stout")
        XCTAssertFalse(server.log.lines.contains { $0.contains("ERROR") }, "an answered error is not a server fault: \(server.log.lines)")
        try client.send(get("/after"))
        XCTAssertEqual(try client.readResponse().statusCode, 200)
    }

    func testWithoutARendererServerErrorsArePlainText() throws {
        let server = try TestServer { $0.errorRenderer = HTTPResponse.plainTextError }
        let client = try server.client()
        try client.send("GET / HTTP/2.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 505)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=utf-8")
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).hasSuffix("\n"))
        XCTAssertNil(response.json)
    }

    func testNonThrowingHandlerInitializer() throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, logger: .init(label: "t", level: .error)) { request in
            .json(.notFound, "{\"status\": \"error\", \"message\": \"no route for \(request.path)\"}")
        }
        try server.start()
        defer { server.shutdown() }
        let client = try RawHTTPClient(port: server.localPort)
        try client.send(get("/nowhere"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 404)
        XCTAssertEqual(response.json?["message"] as? String, "no route for /nowhere")
    }
}
