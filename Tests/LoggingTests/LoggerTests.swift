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
}
