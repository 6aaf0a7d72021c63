import Foundation
@testable import HTTPServer
import TestSupport
import XCTest

final class MultipartFormDataTests: XCTestCase {
    /// Bodies encoded by Python's `requests` (scripts/make_http_fixtures.py) decode to the parts it was given.
    func testBodiesEncodedByRequestsDecodeToTheirParts() throws {
        for name in ["multipart_image_upload", "multipart_two_files"] {
            let body = try [UInt8](Data(contentsOf: TestPaths.fixture(name + ".bin", target: "HTTPServerTests")))
            let expected = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: TestPaths.fixture(name + ".json", target: "HTTPServerTests"))) as? [String: Any])
            let contentType = try XCTUnwrap(expected["content_type"] as? String)
            let expectedParts = try XCTUnwrap(expected["parts"] as? [[String: Any]])
            let parts = try MultipartFormData.parse(body: body, contentType: contentType)
            XCTAssertEqual(parts.count, expectedParts.count, name)
            for (part, want) in zip(parts, expectedParts) {
                XCTAssertEqual(part.name, want["name"] as? String, name)
                XCTAssertEqual(part.filename, want["filename"] as? String, name)
                XCTAssertEqual(part.contentType, want["content_type"] as? String, name)
                XCTAssertEqual(part.body.count, want["size"] as? Int, name)
                XCTAssertEqual(part.body.map { String(format: "%02x", $0) }.joined(), want["hex"] as? String, name)
            }
        }
    }

    func testQuotedBoundaryPreambleEpilogueAndEscapedFilename() throws {
        let body = "preamble to ignore\r\n--b:1 2\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"say \\\"hi\\\".txt\"\r\n\r\n"
            + "line one\r\nline two\r\n--b:1 2--\r\nepilogue"
        let parts = try MultipartFormData.parse(body: Array(body.utf8),
                                                contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"b:1 2\"")
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts.first?.name, "file")
        XCTAssertEqual(parts.first?.filename, "say \"hi\".txt")
        XCTAssertNil(parts.first?.contentType)
        XCTAssertEqual(parts.first.map { String(decoding: $0.body, as: UTF8.self) }, "line one\r\nline two")
    }

    func testExtendedFilenameIsPreferred() throws {
        let body = "--x\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%C3%A9t%C3%A9.png; filename=\"ete.png\"\r\n\r\n\r\n--x--"
        let parts = try MultipartFormData.parse(body: Array(body.utf8), contentType: "multipart/form-data; boundary=x")
        XCTAssertEqual(parts.first?.filename, "été.png")
        XCTAssertEqual(parts.first?.body, [])
    }

    /// Parameters are scanned as bytes: non-ASCII names pass through whole, escapes and optional
    /// whitespace are handled, names are case-insensitive.
    func testParametersKeepNonASCIIAndTrimWhitespace() {
        let parameters = MultipartFormData.parseParameters(
            "form-data ;  NAME = file ; filename=\"r\u{e9}sum\u{e9} \\\"\u{1F4C4}\\\".png\";\tsize=\t42 \t;flag")
        XCTAssertEqual(parameters["name"], "file")
        XCTAssertEqual(parameters["filename"], "r\u{e9}sum\u{e9} \"\u{1F4C4}\".png")
        XCTAssertEqual(parameters["size"], "42")
        XCTAssertEqual(parameters["flag"], "")
        XCTAssertEqual(" \t a b\t ".trimmingHTTPWhitespace, "a b")
        XCTAssertEqual("\t\t".trimmingHTTPWhitespace, "")
        XCTAssertEqual("Multipart/Form-Data; Boundary=X\u{c9}".asciiLowercased, "multipart/form-data; boundary=x\u{c9}")
    }

    func testRefusals() {
        let good = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--x--"
        let cases: [(String, String, MultipartError)] = [
            (good, "application/json", .notMultipart(contentType: "application/json")),
            (good, "multipart/form-data", .missingBoundary),
            (good, "multipart/form-data; boundary=\"\"", .invalidBoundary("")),
            (good, "multipart/form-data; boundary=\(String(repeating: "z", count: 71))",
             .invalidBoundary(String(repeating: "z", count: 71))),
            ("no boundary at all", "multipart/form-data; boundary=x", .missingFirstBoundary),
            ("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated", "multipart/form-data; boundary=x",
             .unterminatedPart(part: 0)),
            ("--x\r\nno colon line\r\n\r\nv\r\n--x--", "multipart/form-data; boundary=x", .malformedPartHeaders(part: 0)),
            ("--x\r\nA: b\r\n", "multipart/form-data; boundary=x", .unterminatedPart(part: 0)),
            // The close delimiter is the boundary followed by two dashes; one is not enough.
            (String(good.dropLast()), "multipart/form-data; boundary=x", .unterminatedPart(part: 1)),
            (String(good.dropLast()) + "\r\n", "multipart/form-data; boundary=x", .unterminatedPart(part: 1)),
        ]
        for (body, contentType, expected) in cases {
            XCTAssertThrowsError(try MultipartFormData.parse(body: Array(body.utf8), contentType: contentType)) { error in
                XCTAssertEqual(error as? MultipartError, expected, body)
                XCTAssertFalse(String(describing: error).isEmpty)
            }
        }
    }

    /// A part's header block may hold exactly `maxPartHeaderBytes` (its lines with their CR LF,
    /// without the blank line); one byte more is refused.
    func testPartHeaderLimitIsInclusive() throws {
        let limit = MultipartFormData.maxPartHeaderBytes
        func body(headerBytes: Int) -> [UInt8] {
            let disposition = "Content-Disposition: form-data; name=\"f\"\r\n"
            let fill = "X-Fill: " + String(repeating: "h", count: headerBytes - disposition.utf8.count - "X-Fill: \r\n".utf8.count) + "\r\n"
            return Array(("--x\r\n" + disposition + fill + "\r\nvalue\r\n--x--").utf8)
        }
        let parts = try MultipartFormData.parse(body: body(headerBytes: limit), contentType: "multipart/form-data; boundary=x")
        XCTAssertEqual(parts.map(\.name), ["f"])
        XCTAssertEqual(parts.first?.body, Array("value".utf8))
        XCTAssertThrowsError(try MultipartFormData.parse(body: body(headerBytes: limit + 1), contentType: "multipart/form-data; boundary=x")) {
            XCTAssertEqual($0 as? MultipartError, .malformedPartHeaders(part: 0))
        }
    }

    func testAdversarialBoundaryIsLinear() throws {
        // A boundary of repeated bytes over a body of the same bytes is the worst case of a naive search.
        let boundary = String(repeating: "a", count: 70)
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 2_000_000)
        body += Array("\r\n--\(boundary)--".utf8)
        let parts = try MultipartFormData.parse(body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        XCTAssertEqual(parts.first?.body.count, 2_000_000)
    }

    /// The search agrees with a naive one on texts of a small alphabet (many partial matches,
    /// overlapping ones, the pattern at either end) from every start.
    func testSubsequenceSearchAgreesWithANaiveSearch() {
        var random = SplitMix64(seed: 12)
        for _ in 0..<200 {
            let pattern = (0..<Int.random(in: 1...5, using: &random)).map { _ in UInt8.random(in: 0...2, using: &random) + 10 }
            let text = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...2, using: &random) + 10 }
            let search = SubsequenceSearch(pattern)
            for start in 0...text.count {
                let naive = text.count < pattern.count ? nil : (start...max(start, text.count - pattern.count)).first {
                    $0 + pattern.count <= text.count && Array(text[$0..<($0 + pattern.count)]) == pattern
                }
                XCTAssertEqual(search.firstIndex(in: text, from: start), naive, "\(pattern) in \(text) from \(start)")
            }
        }
    }
}
