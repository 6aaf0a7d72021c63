@testable import HTTPServer
import XCTest

/// Header names and media types are compared and cut as ASCII bytes (RFC 9110 §5.1: names are
/// tokens): the same answers as before for every header a client sends, without allocations.
final class HeaderTextTests: XCTestCase {
    func testHeaderNamesCompareWithoutASCIICase() {
        let headers: HTTPHeaders = ["Content-Type": "image/png", "X-Request-ID": "abc", "content-length": "3"]
        XCTAssertEqual(headers["content-type"], "image/png")
        XCTAssertEqual(headers["CONTENT-TYPE"], "image/png")
        XCTAssertEqual(headers["x-request-id"], "abc")
        XCTAssertEqual(headers.values("Content-Length"), ["3"])
        XCTAssertNil(headers["Content-Typ"])
        XCTAssertNil(headers["Content-Typf"])
        // Only letters fold: '[' (0x5B) and '{' (0x7B) differ by the case bit but are not letters.
        XCTAssertFalse("a[".caseInsensitiveEquals("a{"))
        XCTAssertFalse("@".caseInsensitiveEquals("`"))
        // A Kelvin sign lower-cases to 'k' in Unicode, but is no token character: never a match.
        XCTAssertFalse("chun\u{212A}ed".caseInsensitiveEquals("chunked"))
        XCTAssertTrue("".caseInsensitiveEquals(""))
    }

    func testValueBeforeParametersIsTheLowerCasedMediaType() {
        XCTAssertEqual("Multipart/Form-Data; boundary=XyZ".valueBeforeParameters, "multipart/form-data")
        XCTAssertEqual(" \timage/PNG \t".valueBeforeParameters, "image/png")
        XCTAssertEqual("application/json;charset=utf-8".valueBeforeParameters, "application/json")
        XCTAssertEqual("".valueBeforeParameters, "")
        XCTAssertEqual("; boundary=x".valueBeforeParameters, "")
        XCTAssertEqual("Image/J\u{c9}PEG ; q=1".valueBeforeParameters, "image/j\u{c9}peg")
    }

    func testCommaListsSplitOnBytesAndDropEmptyItems() {
        XCTAssertEqual(HTTPRequestParser.commaList(" keep-alive ,, Upgrade\t,"), ["keep-alive", "Upgrade"])
        XCTAssertEqual(HTTPRequestParser.commaList("r\u{e9}sum\u{e9}, x"), ["r\u{e9}sum\u{e9}", "x"])
        XCTAssertEqual(HTTPRequestParser.commaList(""), [])
    }

    /// A transfer coding that only Unicode case folding would call "chunked" is refused.
    func testTransferCodingIsMatchedAsASCII() throws {
        var parser = HTTPRequestParser(limits: HTTPParserLimits())
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n".utf8))
        guard case .head(let head) = try parser.next() else { return XCTFail("expected the head first") }
        XCTAssertEqual(head.framing, .chunked)
        var unicode = HTTPRequestParser(limits: HTTPParserLimits())
        unicode.append(Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chun\u{212A}ed\r\n\r\n".utf8))
        XCTAssertThrowsError(try unicode.next())
    }
}
