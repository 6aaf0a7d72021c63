import Foundation
import ImageCodecs
import MNIST
import TestSupport
import XCTest

/// The preprocessing against a second implementation of the same recipe: for each picture in
/// Fixtures/preprocessing/expected.json (written by scripts/make-mnist-fixtures.py, whose
/// Python code computes the field independently), the 28x28 field must match exactly, value
/// for value; pictures the reference refuses must be refused as holding no digit.
final class PreprocessingReferenceTests: XCTestCase {
    struct Case {
        let name: String
        let input: URL
        let expected: [UInt8]?
    }

    static func cases() throws -> [Case] {
        let url = TestPaths.fixture("preprocessing/expected.json", target: "MNISTTests")
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]] else {
            throw BrokenFixture("preprocessing/expected.json is not an object of objects; rerun scripts/make-mnist-fixtures.py")
        }
        return try object.keys.sorted().map { name in
            guard let entry = object[name], let input = entry["input"] as? String else {
                throw BrokenFixture("preprocessing/expected.json: \(name) has no input")
            }
            var expected: [UInt8]?
            if let values = entry["expected"] as? [Int] {
                guard values.count == DigitPreprocessor.side * DigitPreprocessor.side, values.allSatisfy({ (0...255).contains($0) }) else {
                    throw BrokenFixture("preprocessing/expected.json: \(name) does not hold 784 values 0-255")
                }
                expected = values.map(UInt8.init)
            } else if !(entry["expected"] is NSNull) {
                throw BrokenFixture("preprocessing/expected.json: \(name) has neither values nor null")
            }
            return Case(name: name, input: TestPaths.packageRoot.appendingPathComponent(input), expected: expected)
        }
    }

    func testFieldsMatchTheReferenceExactly() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThanOrEqual(cases.filter { $0.expected != nil }.count, 9)
        XCTAssertGreaterThanOrEqual(cases.filter { $0.expected == nil }.count, 2)
        for testCase in cases {
            let image = try ImageDecoder.decode([UInt8](try Data(contentsOf: testCase.input)))
            guard let expected = testCase.expected else {
                XCTAssertThrowsError(try DigitPreprocessor.normalized(image), "\(testCase.name) must be refused") {
                    XCTAssertEqual($0 as? DigitPreprocessingError, .noDigitFound, testCase.name)
                }
                continue
            }
            let field: Image
            do { field = try DigitPreprocessor.normalized(image) } catch { XCTFail("\(testCase.name): \(error)"); continue }
            XCTAssertEqual(field.width, 28, testCase.name)
            XCTAssertEqual(field.height, 28, testCase.name)
            XCTAssertEqual(field.layout, .gray, testCase.name)
            XCTAssertEqual(try DigitPreprocessor.pixels(image), expected.map(Float.init), "\(testCase.name): model inputs")
            if field.samples != expected {
                let differing = zip(field.samples, expected).enumerated().filter { $0.element.0 != $0.element.1 }
                let first = differing.first.map { "(\($0.offset % 28), \($0.offset / 28)): \($0.element.0) vs \($0.element.1)" } ?? "sizes differ"
                XCTFail("\(testCase.name): \(differing.count) of 784 values differ from the reference; first at \(first)")
            }
        }
    }
}
