import Foundation
import XCTest
@testable import Logging

final class LoggerTests: XCTestCase {
    /// Collects lines a logger writes.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    func testTimestampMatchesPythonLoggingFormatAndTheClock() throws {
        let before = Date()
        let stamp = Logger.timestamp()
        let after = Date()
        XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}$"#, options: .regularExpression), stamp)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss,SSS"
        let parsed = try XCTUnwrap(formatter.date(from: stamp))
        XCTAssertGreaterThanOrEqual(parsed.timeIntervalSince1970, before.timeIntervalSince1970 - 0.002)
        XCTAssertLessThanOrEqual(parsed.timeIntervalSince1970, after.timeIntervalSince1970 + 0.002)
    }

    func testLinesBelowTheLevelAreDroppedAndOthersCarryLevelAndLabel() {
        let lines = Lines()
        let logger = Logger(label: "test", level: .warning, sink: { lines.append($0) })
        logger.info("hidden")
        logger.warning("shown")
        logger.child(label: "child").error("also shown")
        XCTAssertEqual(lines.all.count, 2)
        XCTAssertTrue(lines.all[0].hasSuffix(" WARNING test: shown"), lines.all[0])
        XCTAssertTrue(lines.all[1].hasSuffix(" ERROR child: also shown"), lines.all[1])
    }

    func testLevelNames() {
        XCTAssertEqual(LogLevel(name: "WARN"), .warning)
        XCTAssertEqual(LogLevel(name: "Debug"), .debug)
        XCTAssertNil(LogLevel(name: "verbose"))
    }

    func testJSONLinesAreOneObjectEachWithTypedFields() throws {
        let lines = Lines()
        let logger = Logger(label: "http", level: .info, format: .json, sink: { lines.append($0) })
        logger.info("GET /model/metadata 200", fields: [
            .string("method", "GET"), .int("status", 200), .double("duration_ms", 0.25),
            LogField("cached", .bool(true)), .double("ratio", .nan),
        ])
        logger.child(label: "app").warning("quote \" backslash \\ tab\t newline\n bell\u{07} é 数")
        logger.debug("dropped")
        XCTAssertEqual(lines.all.count, 2)
        XCTAssertFalse(lines.all.contains { $0.contains("\n") }, "one physical line per entry")
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["level"] as? String, "INFO")
        XCTAssertEqual(first["logger"] as? String, "http")
        XCTAssertEqual(first["message"] as? String, "GET /model/metadata 200")
        XCTAssertEqual(first["method"] as? String, "GET")
        XCTAssertEqual(first["status"] as? Int, 200)
        XCTAssertEqual(first["duration_ms"] as? Double, 0.25)
        XCTAssertEqual(first["cached"] as? Bool, true)
        XCTAssertTrue(first["ratio"] is NSNull)
        let time = try XCTUnwrap(first["time"] as? String)
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), time)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try XCTUnwrap(formatter.date(from: time))
        XCTAssertLessThan(abs(parsed.timeIntervalSinceNow), 5)
        let second = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        XCTAssertEqual(second["message"] as? String, "quote \" backslash \\ tab\t newline\n bell\u{07} é 数")
        XCTAssertEqual(second["level"] as? String, "WARNING")
        XCTAssertEqual(second["logger"] as? String, "app")
    }

    /// Every control character (U+0000-U+001F and DEL) is escaped in JSON lines, not only the
    /// common ones: a client's text must not break the one-object-per-line format.
    func testJSONLinesEscapeEveryControlCharacter() throws {
        let lines = Lines()
        let logger = Logger(label: "t", level: .info, format: .json, sink: { lines.append($0) })
        let controls = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init) + [Unicode.Scalar(0x7F)]))
        logger.info(controls)
        let line = try XCTUnwrap(lines.all.first)
        XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, line.debugDescription)
        XCTAssertTrue(line.contains("\\u001f"), line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["message"] as? String, controls)
    }

    func testTextLinesIgnoreFieldsAndFormatNamesParse() {
        let lines = Lines()
        let logger = Logger(label: "http", sink: { lines.append($0) })
        logger.info("plain", fields: [.int("status", 200)])
        XCTAssertTrue(lines.all[0].hasSuffix(" INFO http: plain"), lines.all[0])
        XCTAssertEqual(LogFormat(name: "JSON"), .json)
        XCTAssertEqual(LogFormat(name: "text"), .text)
        XCTAssertNil(LogFormat(name: "xml"))
    }
}
