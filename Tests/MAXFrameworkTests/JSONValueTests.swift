import MAXFramework
import XCTest

final class JSONValueTests: XCTestCase {
    func testParsesEveryKindAndKeepsKeyOrder() throws {
        let value = try JSONValue.parse(#" {"z": 1, "a": [true, false, null], "m": -2.5e1, "s": "x\"\\\/\n\u00e9\ud83d\ude00"} "#)
        XCTAssertEqual(value.objectMembers?.map(\.key), ["z", "a", "m", "s"])
        XCTAssertEqual(value["z"], .int(1))
        XCTAssertEqual(value["a"], .array([.bool(true), .bool(false), .null]))
        XCTAssertEqual(value["m"], .number(-25))
        XCTAssertEqual(value["s"]?.stringValue, "x\"\\/\né😀")
    }

    func testSerializesAsPythonJSONDumps() {
        let value: JSONValue = .object([("status", .string("ok")),
                                        ("predictions", .array([.object([("prediction", .int(8)), ("probability", .number(0.9995))])]))])
        XCTAssertEqual(value.serialized, #"{"status": "ok", "predictions": [{"prediction": 8, "probability": 0.9995}]}"#)
        XCTAssertEqual(JSONValue.number(2).serialized, "2.0")
        XCTAssertEqual(JSONValue.number(.nan).serialized, "null")
        XCTAssertEqual(JSONValue.string("a\u{01}<b").serialized, #""a\u0001\u003cb""#)
        // Escapes between runs of multi-byte UTF-8, at either end, and the key of a member.
        let mixed = JSONValue.object([("k\u{1f}é", .string("\"é😀\\\t\r\nz\u{0b}"))])
        XCTAssertEqual(mixed.serialized, #"{"k\u001fé": "\"é😀\\\t\r\nz\u000b"}"#)
        XCTAssertEqual(mixed.serializedBytes, Array(mixed.serialized.utf8))
    }

    func testRoundTripsItsOwnOutput() throws {
        let value: JSONValue = .object([("k", .array([.int(-3), .number(1.25), .string("tab\there"), .object([])])), ("e", .null)])
        XCTAssertEqual(try JSONValue.parse(value.serialized), value)
    }

    func testRejectsMalformedTextWithPosition() {
        let cases = ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"abc", "tru", "{\"a\":1} x", "\"\\ud800\"", "\"\\u12g4\"", "[\"\u{01}\"]", "-"]
        for text in cases {
            XCTAssertThrowsError(try JSONValue.parse(text), "should refuse \(text.debugDescription)") { error in
                XCTAssertTrue(error is JSONParseError)
            }
        }
        XCTAssertThrowsError(try JSONValue.parse("{\n  \"a\": 1,\n  \"b\": x\n}")) { error in
            XCTAssertEqual((error as? JSONParseError)?.line, 3)
            XCTAssertEqual((error as? JSONParseError)?.column, 8)
        }
    }

    func testRefusesDeepNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(deep))
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)))
    }

    /// Each rule at its edge: U+001F must be escaped, U+0020 need not; a high surrogate needs a
    /// low one (DC00-DFFF), not another high one; 256 levels of nesting are read, 257 are not.
    func testEdgesOfTheGrammar() throws {
        XCTAssertThrowsError(try JSONValue.parse("[\"a\u{1F}b\"]"))
        XCTAssertEqual(try JSONValue.parse("[\"a b\"]"), .array([.string("a b")]))
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertThrowsError(try JSONValue.parse(#""\ud83d\ud83d""#))
        XCTAssertThrowsError(try JSONValue.parse(#""\ud83d\u0041""#))
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 256) + String(repeating: "]", count: 256)))
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 257) + String(repeating: "]", count: 257)))
    }

    func testRefusesInvalidUTF8() {
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]))
    }
}
