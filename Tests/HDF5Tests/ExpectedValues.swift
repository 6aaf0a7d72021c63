import Foundation
import TestSupport
import XCTest
@testable import HDF5

/// Compares what the reader returns with what h5py wrote into an expected.json.
enum ExpectedValues {
    static func load(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BrokenFixture("\(url.lastPathComponent) is not a JSON object; rerun scripts/make-hdf5-fixtures.py")
        }
        return object
    }

    /// A JSON number exactly: Foundation parses long decimals as NSDecimalNumber, whose
    /// doubleValue can be off by an ulp, so go through its digits.
    static func exactDouble(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber else { return nil }
        if number is NSDecimalNumber { return Double(number.stringValue) }
        return number.doubleValue
    }

    /// Expected numbers: a flat list, a scalar, or {"len", "sum"} for long arrays.
    static func assertNumbers(_ actual: [Double], _ expected: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if let summary = expected as? [String: Any], let length = summary["len"] as? Int, let sum = exactDouble(summary["sum"]) {
            XCTAssertEqual(actual.count, length, "\(what): length", file: file, line: line)
            XCTAssertEqual(actual.reduce(0, +), sum, accuracy: abs(sum) * 1e-9 + 1e-9, "\(what): sum", file: file, line: line)
            return
        }
        let list = (expected as? [Any]) ?? (expected.map { [$0] } ?? [])
        let numbers = list.compactMap { exactDouble($0) }
        XCTAssertEqual(numbers.count, list.count, "\(what): expected values are not all numbers", file: file, line: line)
        XCTAssertEqual(actual, numbers, "\(what): values", file: file, line: line)
    }

    static func assertValue(_ value: HDF5Value?, _ expected: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let value else { return XCTFail("\(what): missing", file: file, line: line) }
        switch value {
        case .strings(let strings, _):
            if let single = expected as? String {
                XCTAssertEqual(strings, [single], what, file: file, line: line)
            } else {
                XCTAssertEqual(strings, expected as? [String], what, file: file, line: line)
            }
        case .integers, .floats:
            assertNumbers(value.doubles ?? [], expected, what, file: file, line: line)
        }
    }
}
