import Foundation
import HTTPServer
import Logging
import XCTest

/// X-Request-ID, the request observer and JSON access-log lines, over real sockets.
final class RequestIDAndAccessLogTests: XCTestCase {
    /// Collects the records the server reports.
    final class Records: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [HTTPRequestRecord] = []
        func append(_ record: HTTPRequestRecord) { lock.lock(); stored.append(record); lock.unlock() }
        var all: [HTTPRequestRecord] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    func testAClientsRequestIDReachesTheHandlerAndIsEchoed() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send(get("/who", "X-Request-ID: trace-42.abc_DEF\r\n"))
        let response = try client.readResponse()
        XCTAssertEqual(response.header("X-Request-ID"), "trace-42.abc_DEF")
        XCTAssertEqual(response.json?["requestID"] as? String, "trace-42.abc_DEF")
    }

    func testIDsAreMadeWhenAbsentOrUnusableAndDifferPerRequest() throws {
        let server = try TestServer()
        let client = try server.client()
        var seen: [String] = []
        for extra in ["", "X-Request-ID: has space\r\n", "X-Request-ID: \(String(repeating: "x", count: 129))\r\n",
                      "X-Request-ID: quote\"d\r\n", ""] {
            try client.send(get("/who", extra))
            let response = try client.readResponse()
            let id = try XCTUnwrap(response.header("X-Request-ID"))
            XCTAssertNotNil(id.range(of: "^[0-9a-f]{16}-[0-9a-f]+$", options: .regularExpression), id)
            XCTAssertEqual(response.json?["requestID"] as? String, id)
            seen.append(id)
        }
        XCTAssertEqual(Set(seen).count, seen.count, "\(seen)")
        XCTAssertEqual(Set(seen.map { $0.prefix(16) }).count, 1, "one prefix per process")
    }

    func testErrorAnswersCarryAnIDToo() throws {
        let server = try TestServer()
        for (request, status) in [(get("/teapot"), 418), ("GARBAGE\r\n\r\n", 400)] {
            let client = try server.client()
            try client.send(request)
            let response = try client.readResponse()
            XCTAssertEqual(response.statusCode, status)
            XCTAssertNotNil(response.header("X-Request-ID"), "\(status)")
        }
    }

    func testTheObserverSeesAnsweredAndRefusedRequests() throws {
        let records = Records()
        let server = try TestServer { $0.requestObserver = { records.append($0) } }
        let client = try server.client()
        try client.send("POST /echo?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nX-Request-ID: r1\r\n\r\nhello")
        XCTAssertEqual(try client.readResponse().bodyText, "hello")
        let refused = try server.client()
        try refused.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -4\r\n\r\n")
        XCTAssertEqual(try refused.readResponse().statusCode, 400)
        let deadline = Date().addingTimeInterval(2)
        while records.all.count < 2 && Date() < deadline { usleep(10_000) }
        let all = records.all
        XCTAssertEqual(all.count, 2)
        XCTAssertEqual(all.first?.method, "POST")
        XCTAssertEqual(all.first?.path, "/echo")
        XCTAssertEqual(all.first?.target, "/echo?x=1")
        XCTAssertEqual(all.first?.status, 200)
        XCTAssertEqual(all.first?.bodyBytes, 5)
        XCTAssertEqual(all.first?.requestID, "r1")
        XCTAssertEqual(all.first?.minorVersion, 1)
        XCTAssertEqual(all.first?.remoteAddress, "127.0.0.1")
        XCTAssertGreaterThanOrEqual(all.first?.duration ?? -1, 0)
        XCTAssertLessThan(all.first?.duration ?? 9, 1)
        XCTAssertEqual(all.last?.method, "-")
        XCTAssertEqual(all.last?.status, 400)
        XCTAssertNil(all.last?.minorVersion)
    }

    func testJSONAccessLogLinesHoldTheRequestsFields() throws {
        let server = try TestServer(logFormat: .json)
        let client = try server.client()
        try client.send(get("/logged?q=1", "X-Request-ID: abc\r\n"))
        let response = try client.readResponse()
        let deadline = Date().addingTimeInterval(2)
        var line: String?
        while line == nil && Date() < deadline {
            line = server.log.lines.first { $0.contains("\"request_id\": \"abc\"") }
            if line == nil { usleep(10_000) }
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(line, "\(server.log.lines)").utf8))
                                   as? [String: Any])
        XCTAssertEqual(object["method"] as? String, "GET")
        XCTAssertEqual(object["path"] as? String, "/logged")
        XCTAssertEqual(object["status"] as? Int, 200)
        XCTAssertEqual(object["bytes"] as? Int, response.body.count)
        XCTAssertEqual(object["remote"] as? String, "127.0.0.1")
        XCTAssertEqual(object["level"] as? String, "INFO")
        XCTAssertNotNil(object["duration_ms"] as? Double)
        XCTAssertTrue((object["message"] as? String ?? "").contains("\"GET /logged?q=1 HTTP/1.1\" 200"), "\(object)")
        // Every line the server wrote is JSON, not only the access log.
        for written in server.log.lines {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(written.utf8)), written)
        }
    }

    func testAcceptedIDRules() {
        XCTAssertEqual(RequestID.accepted("a"), "a")
        XCTAssertEqual(RequestID.accepted("0f8fad5b-d9cb-469f-a165-70867728950e"), "0f8fad5b-d9cb-469f-a165-70867728950e")
        XCTAssertNil(RequestID.accepted(nil))
        XCTAssertNil(RequestID.accepted(""))
        XCTAssertNil(RequestID.accepted("tab\there"))
        XCTAssertNil(RequestID.accepted("back\\slash"))
        XCTAssertNil(RequestID.accepted("é"))
    }
}
