import HTTPServer
import XCTest

/// Every parser limit on both sides of its edge: exactly at the limit is served, one byte more is
/// refused with the limit's status, and the answer does not depend on how the bytes are split
/// into reads (each case is fed whole, in 7-byte pieces and one byte at a time).
///
/// What each limit counts (see `HTTPServerConfiguration`): the request line without its line
/// ending; the header field lines with their line endings, without the request line and the
/// blank line that ends the head; the body after de-chunking; chunked trailers like headers.
final class HTTPParserLimitTests: XCTestCase {
    private static let limits = HTTPParserLimits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxBodyBytes: 1000)

    private func pieceSizes(_ input: [UInt8]) -> [Int] { [input.count, 7, 1] }

    private func assertAccepted(_ text: String, body: [UInt8]? = nil, _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        let input = Array(text.utf8)
        for pieceSize in pieceSizes(input) {
            do {
                let requests = try HTTPRequestParser.requests(in: input, pieceSize: pieceSize, limits: Self.limits)
                XCTAssertEqual(requests.count, 1, "\(what), pieces of \(pieceSize)", file: file, line: line)
                if let body { XCTAssertEqual(requests.first?.body, body, "\(what), pieces of \(pieceSize)", file: file, line: line) }
            } catch {
                XCTFail("\(what), pieces of \(pieceSize): refused with \(error)", file: file, line: line)
            }
        }
    }

    private func assertRefused(_ text: String, status: Int, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let input = Array(text.utf8)
        for pieceSize in pieceSizes(input) {
            XCTAssertThrowsError(try HTTPRequestParser.requests(in: input, pieceSize: pieceSize, limits: Self.limits), "\(what), pieces of \(pieceSize)", file: file, line: line) {
                XCTAssertEqual(($0 as? HTTPParseError)?.status.code, status, "\(what), pieces of \(pieceSize): \($0)", file: file, line: line)
            }
        }
    }

    /// `GET /aaa... HTTP/1.1` of exactly `length` bytes.
    private func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    func testRequestLineLimit() {
        for ending in ["\r\n", "\n"] {
            let name = ending == "\n" ? "LF" : "CRLF"
            assertAccepted(requestLine(length: 64) + ending + "Host: h" + ending + ending, "request line of 64 bytes, \(name)")
            assertRefused(requestLine(length: 65) + ending + "Host: h" + ending + ending, status: 414, "request line of 65 bytes, \(name)")
        }
        // Refused before the line ends: more bytes than a request line may have, no LF yet.
        assertRefused(requestLine(length: 80), status: 414, "unterminated long request line")
        // Too long and malformed (a NUL in the target, no version): too long wins, in any pieces.
        assertRefused("GET /\u{0}" + String(repeating: "a", count: 80) + " HTTP/1.1\r\nHost: h\r\n\r\n", status: 414,
                      "a request line over the limit with a NUL")
        assertRefused("GET /" + String(repeating: "a", count: 80) + "\r\nHost: h\r\n\r\n", status: 414,
                      "a request line over the limit without a version")
    }

    /// Header lines `X-Fill: fff...\r\n` (plus `Host: h\r\n`) of exactly `length` bytes.
    private func headerLines(length: Int, ending: String = "\r\n") -> String {
        let host = "Host: h" + ending
        let fixed = host.utf8.count + "X-Fill: ".utf8.count + ending.utf8.count
        return host + "X-Fill: " + String(repeating: "f", count: length - fixed) + ending
    }

    func testHeaderSectionLimit() {
        for ending in ["\r\n", "\n"] {
            let name = ending == "\n" ? "LF" : "CRLF"
            let line = "GET / HTTP/1.1" + ending
            assertAccepted(line + headerLines(length: 256, ending: ending) + ending, "256 header bytes, \(name)")
            assertRefused(line + headerLines(length: 257, ending: ending) + ending, status: 431, "257 header bytes, \(name)")
        }
        // Many short lines count the same as one long one.
        let lines = "Host: hh\r\n" + String(repeating: "A: bc\r\n", count: 34)  // 10 + 34 * 7 = 248
        assertAccepted("GET / HTTP/1.1\r\n" + lines + "X: abc\r\n\r\n", "256 header bytes in short lines")
        assertRefused("GET / HTTP/1.1\r\n" + lines + "X: abcd\r\n\r\n", status: 431, "257 header bytes in short lines")
        // Too long and malformed: too long wins, however the bytes arrive (as for trailers).
        let fill = String(repeating: "f", count: 300)
        for (malformed, what) in [("X-Fill: \u{0}" + fill, "a NUL in the value"), ("X-Fill" + fill, "no colon"),
                                  ("X-Fill : " + fill, "a space before the colon"), (" X-Fill: " + fill, "a leading space")] {
            assertRefused("GET / HTTP/1.1\r\nHost: h\r\n" + malformed + "\r\n\r\n", status: 431,
                          "a header line over the limit with \(what)")
        }
    }

    func testContentLengthBodyLimit() {
        let exact = [UInt8](repeating: UInt8(ascii: "b"), count: 1000)
        assertAccepted("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "b", count: 1000),
                       body: exact, "Content-Length equal to the limit")
        // Refused from the header alone, before any body byte.
        assertRefused("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n", status: 413, "Content-Length one over the limit")
    }

    /// A chunked body of `sizes` chunks of 'c', with a trailer field.
    private func chunked(_ sizes: [Int], trailer: String = "T: 1\r\n") -> String {
        var text = "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        for size in sizes { text += String(size, radix: 16) + "\r\n" + String(repeating: "c", count: size) + "\r\n" }
        return text + "0\r\n" + trailer + "\r\n"
    }

    func testChunkedBodyLimit() {
        let exact = [UInt8](repeating: UInt8(ascii: "c"), count: 1000)
        assertAccepted(chunked([1000]), body: exact, "one chunk equal to the limit")
        assertAccepted(chunked([600, 399, 1]), body: exact, "chunks adding up to the limit")
        assertRefused(chunked([1001]), status: 413, "one chunk one over the limit")
        assertRefused(chunked([600, 400, 1]), status: 413, "chunks adding up to one over the limit")
    }

    func testChunkedTrailerLimit() {
        // Trailer lines count like header lines: `Z: zzz...\r\n` of 256 bytes fits, 257 does not.
        let trailer256 = "Z: " + String(repeating: "z", count: 256 - 5) + "\r\n"
        let trailer257 = "Z: " + String(repeating: "z", count: 257 - 5) + "\r\n"
        assertAccepted(chunked([3], trailer: trailer256), body: Array("ccc".utf8), "256 trailer bytes")
        assertRefused(chunked([3], trailer: trailer257), status: 431, "257 trailer bytes")
        // Too long and malformed (a NUL in the value): too long wins, however the bytes arrive
        // (whole, it had been 400; in pieces, 431, refused before the line was complete).
        let malformed = "Z: \u{0}" + String(repeating: "z", count: 300) + "\r\n"
        assertRefused(chunked([3], trailer: malformed), status: 431, "a malformed trailer line over the limit")
    }
}
