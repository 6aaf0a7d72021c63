import HTTPServer
import XCTest

/// The incremental parser on its own: any split of the input gives the same requests.
final class HTTPRequestParserTests: XCTestCase {
    func testEverySplitOfAPipelineGivesTheSameRequests() throws {
        let input = Array(("\r\nGET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Two:  spaced value \t\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n1;e=v\r\n!\r\n0\r\nT: 1\r\n\r\n"
            + "DELETE /d HTTP/1.0\nConnection: keep-alive\n\n").utf8)
        for pieceSize in [1, 2, 3, 7, 16, input.count] {
            let requests = try HTTPRequestParser.requests(in: input, pieceSize: pieceSize)
            XCTAssertEqual(requests.map(\.0.method), ["GET", "POST", "PUT", "DELETE"], "piece size \(pieceSize)")
            XCTAssertEqual(requests.map(\.0.target), ["/a?x=1", "/b", "/c", "/d"])
            XCTAssertEqual(requests.map { String(decoding: $0.1, as: UTF8.self) }, ["", "abc", "xyz!", ""])
            XCTAssertEqual(requests.first?.0.headers["x-two"], "spaced value")
            XCTAssertEqual(requests.map(\.0.keepAlive), [true, true, true, true])
            XCTAssertEqual(requests.last?.0.minorVersion, 0)
        }
    }

    func testHeadEventComesBeforeTheBody() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".utf8))
        guard case .head(let head) = try parser.next() else { return XCTFail("expected the head first") }
        XCTAssertTrue(head.expectsContinue)
        XCTAssertEqual(head.framing, .contentLength(4))
        guard case .needMoreData = try parser.next() else { return XCTFail("expected to wait for the body") }
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(Array("data".utf8))
        guard case .request(_, let body) = try parser.next() else { return XCTFail("expected the request") }
        XCTAssertEqual(body, Array("data".utf8))
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testErrorsCarryTheirStatus() {
        let cases: [(String, Int)] = [
            ("GET / HTTP/3.0\r\n\r\n", 505),
            ("GET / XTTP/1.1\r\n\r\n", 400),
            ("GET\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\n\r\n", 411),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 413),
            ("GET /\(String(repeating: "a", count: 200)) HTTP/1.1\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nA: \(String(repeating: "b", count: 600))\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: h\r\nA: b\0c\r\n\r\n", 400),
        ]
        let limits = HTTPParserLimits(maxRequestLineBytes: 128, maxHeaderBytes: 512, maxBodyBytes: 1000)
        for (input, status) in cases {
            XCTAssertThrowsError(try HTTPRequestParser.requests(in: Array(input.utf8), pieceSize: 5, limits: limits), input) { error in
                XCTAssertEqual((error as? HTTPParseError)?.status.code, status, input)
            }
        }
    }

    /// Finding 3 of issue 13: the blank line skipped before the request line must not shift the
    /// scan past bytes that arrive in a later segment.
    func testBlankLinesBeforeTheRequestLineAcrossSegments() throws {
        for prefix in ["\r\n", "\n", "\r\n\r\n\n"] {
            var parser = HTTPRequestParser()
            parser.append(Array((prefix + "GET /m HTTP/1.1\r\nHost: x\r\n").utf8))
            guard case .needMoreData = try parser.next() else { return XCTFail("the head is not complete yet") }
            parser.append(Array("\r\n".utf8))
            guard case .request(let head, _) = try parser.next() else {
                return XCTFail("the final CRLF of a head after \(prefix.debugDescription) was not seen")
            }
            XCTAssertEqual(head.target, "/m")
        }
    }

    func testHostRules() throws {
        func status(_ raw: String) -> Int? {
            do {
                _ = try HTTPRequestParser.requests(in: Array(raw.utf8), pieceSize: 1000)
                return nil
            } catch {
                return (error as? HTTPParseError)?.status.code
            }
        }
        XCTAssertEqual(status("GET / HTTP/1.1\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
        XCTAssertEqual(status("GET http://a/ HTTP/1.1\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), 400)
        XCTAssertNil(status("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertNil(status("GET / HTTP/1.1\r\nHost: a.example:5000\r\n\r\n"))
        XCTAssertNil(status("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n"))
        XCTAssertNil(status("GET / HTTP/1.1\r\nHost: %41b-c_d~e!$&'()*+,;=\r\n\r\n"))
    }

    func testTruncationSaysWhereTheRequestWasCut() throws {
        let cases: [(String, String?)] = [
            ("", nil),
            ("GET / HTTP/1.1\r\nHo", "inside the request head"),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabcd", "after 4 of 9 body bytes"),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1", "inside a chunk size line"),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab", "inside a chunk's data"),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "inside the trailer fields"),
        ]
        for (raw, expected) in cases {
            var parser = HTTPRequestParser()
            parser.append(Array(raw.utf8))
            while case .head = try parser.next() {}
            let message = parser.truncationMessage
            if let expected {
                XCTAssertTrue(message?.contains(expected) ?? false, "\(raw.debugDescription): \(message ?? "nil")")
            } else {
                XCTAssertNil(message)
            }
        }
    }

    /// 100-continue is an HTTP/1.1 mechanism: an HTTP/1.0 client sending Expect is not waiting.
    func testExpectContinueOnlyForHTTP11() throws {
        for (version, expected) in [("1.1", true), ("1.0", false)] {
            var parser = HTTPRequestParser()
            parser.append(Array("POST /u HTTP/\(version)\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".utf8))
            guard case .head(let head) = try parser.next() else { return XCTFail("expected the head first") }
            XCTAssertEqual(head.expectsContinue, expected, "HTTP/\(version)")
        }
    }

    /// Chunk sizes of up to 15 hex digits are read (then the body limit applies); 16 would
    /// overflow and are refused as too large, like 18.
    func testChunkSizeDigits() throws {
        let limits = HTTPParserLimits(maxBodyBytes: 1000)
        for digits in [15, 16, 18] {
            let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "f", count: digits) + "\r\n"
            XCTAssertThrowsError(try HTTPRequestParser.requests(in: Array(input.utf8), pieceSize: 100, limits: limits), "\(digits) digits") { error in
                XCTAssertEqual((error as? HTTPParseError)?.status.code, 413, "\(digits) digits: \(error)")
            }
        }
    }

    func testEmptyContentLengthBodyIsARequestWithoutBody() throws {
        let requests = try HTTPRequestParser.requests(in: Array("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n".utf8), pieceSize: 100)
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.1, [])
    }
}
