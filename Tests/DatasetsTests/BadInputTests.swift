import Compression
import Foundation
import XCTest
@testable import Datasets

/// Every malformed input is refused with a message that names the problem; none traps.
final class BadInputTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func assertMessage(_ body: () throws -> Any, contains expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let text = message(body)
        XCTAssertTrue(text.contains(expected), "'\(text)' does not contain '\(expected)'", file: file, line: line)
    }

    func row(_ label: String, _ count: Int = 784, value: String = "0") -> String {
        ([label] + Array(repeating: value, count: count)).joined(separator: ",")
    }

    func csv(_ text: String) throws -> LabelledImages { try DatasetFile.load(bytes: Array(text.utf8)).training }

    func testCSVProblemsAreNamed() {
        XCTAssertEqual(message { try self.csv("") }, "the file is empty")
        XCTAssertEqual(message { try self.csv("  \n\n") }, "the file is empty")
        let header = "label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",")
        XCTAssertEqual(message { try self.csv(header + "\n") }, "the file has a header but no rows of data")
        assertMessage({ try self.csv(self.row("1", 783)) }, contains: "line 1 has 784 values: a label and 784 pixels (28x28x1) are expected")
        assertMessage({ try self.csv("\n" + self.row("1") + "\n" + self.row("2", 783)) }, contains: "line 3 has 784 values")
        assertMessage({ try self.csv(self.row("1", 783)) }, contains: "Kaggle's test.csv")
        assertMessage({ try self.csv(self.row("1", 700)) }, contains: "line 1 has 701 values, expected 785")
        XCTAssertEqual(message { try self.csv(self.row("10")) }, "line 1: label 10 is outside 0-9")
        assertMessage({ try self.csv(self.row("-1")) }, contains: "line 1, column 1: '-1' is not a whole number")
        XCTAssertEqual(message { try self.csv(self.row("3", value: "256")) }, "line 1, column 2: pixel value 256 is outside 0-255")
        assertMessage({ try self.csv(self.row("3", value: "0.5")) }, contains: "'0.5' is not a whole number")
        assertMessage({ try self.csv(self.row("3", value: "x")) }, contains: "column 2: 'x'")
        assertMessage({ try self.csv("pixel0,pixel1\n1,2") }, contains: "not 'label'")
        assertMessage({ try self.csv("label,pixel0\n1,2") }, contains: "the header has 2 columns, expected 785")
        // Floats written as whole numbers are accepted.
        XCTAssertEqual(try csv(row("3", value: "12.0")).image(0).first, 12)
    }

    func testUnknownFormatsAreNamed() {
        assertMessage({ try DatasetFile.load(bytes: [0x89, 0x50, 0x4E, 0x47, 0, 1, 2]) }, contains: "not a Kaggle CSV, MNIST IDX or NumPy .npz file")
        assertMessage({ try DatasetFile.load(bytes: []) }, contains: "empty")
        assertMessage({ try DatasetFile.load(bytes: [0x1F, 0x8B, 8, 0, 0, 0]) }, contains: "gzip")
        assertMessage({ try DatasetFile.load(bytes: Gzip.compress([])) }, contains: "empty")
        assertMessage({ try DatasetFile.load(bytes: NumPyArray.encode(shape: [1], bytes: [1])) }, contains: "single .npy")
        assertMessage({ try DatasetFile.load(bytes: MNISTIDX.encode(self.tiny()).images) }, contains: "companion")
        assertMessage({ try DatasetFile.load(path: "/nonexistent/data.csv") }, contains: "no such file")
    }

    func tiny() -> LabelledImages {
        try! LabelledImages(shape: ImageShape(height: 2, width: 2), pixels: .bytes([1, 2, 3, 4, 5, 6, 7, 8]), labels: [1, 2],
                            classNames: LabelledImages.digitClassNames())
    }

    func testIDXProblemsAreNamed() {
        let (images, labels) = MNISTIDX.encode(tiny())
        assertMessage({ try MNISTIDX.read(images: Array(images.dropLast()), labels: labels) }, contains: "the file has 23")
        assertMessage({ try MNISTIDX.read(images: images, labels: Array(labels.dropLast()) ) }, contains: "declares")
        assertMessage({ try MNISTIDX.read(images: labels, labels: labels) }, contains: "N x height x width")
        var badLabel = labels
        badLabel[badLabel.count - 1] = 12
        XCTAssertEqual(message { try MNISTIDX.read(images: images, labels: badLabel) }, "image 1 has label 12, outside 0-9")
        var mismatched = MNISTIDX.encode(try! tiny().appending(tiny())).labels
        mismatched = Array(mismatched)
        XCTAssertEqual(message { try MNISTIDX.read(images: images, labels: mismatched) }, "2 images but 4 labels")
        // A header claiming 2^32 - 1 images is refused before any allocation.
        let huge: [UInt8] = [0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 28, 0, 0, 0, 28]
        assertMessage({ try MNISTIDX.parse(huge) }, contains: "more than the limit")
        assertMessage({ try MNISTIDX.parse([0, 0, 0x42, 1, 0, 0, 0, 1, 7]) }, contains: "type code")
    }

    func testNumPyProblemsAreNamed() {
        let good = NumPyArray.encode(shape: [2, 2], bytes: [1, 2, 3, 4])
        assertMessage({ try NumPyArray(bytes: Array(good.dropLast())) }, contains: "needs 4 bytes of data, the file has 3")
        assertMessage({ try NumPyArray(bytes: Array(good.prefix(20))) }, contains: "header claims")
        assertMessage({ try NumPyArray(bytes: self.replacing("False", with: "True ", in: good)) }, contains: "Fortran order")
        assertMessage({ try NumPyArray(bytes: self.replacing("|u1", with: "<c8", in: good)) }, contains: "'<c8'")
        assertMessage({ try NumPyArray(bytes: self.replacing("'shape'", with: "'shape\"", in: good)) }, contains: "not a Python dict")
        assertMessage({ try NumPyArchive.arrays(Array("PK\u{3}\u{4}junk".utf8)) }, contains: ".npz")
    }

    /// `bytes` with the first occurrence of `text` replaced by `replacement` (same length).
    func replacing(_ text: String, with replacement: String, in bytes: [UInt8]) -> [UInt8] {
        let pattern = Array(text.utf8)
        var result = bytes
        for start in 0...(bytes.count - pattern.count) where Array(bytes[start..<(start + pattern.count)]) == pattern {
            result.replaceSubrange(start..<(start + pattern.count), with: Array(replacement.utf8))
            break
        }
        return result
    }

    func testSplitAndSubset() throws {
        let images = try tiny().appending(tiny()).appending(tiny())  // 6 images
        let (training, validation) = try images.split(validationFraction: 1.0 / 3)
        XCTAssertEqual(training.count, 4)
        XCTAssertEqual(validation.count, 2)
        XCTAssertEqual(validation.image(1), images.image(5), "Keras holds out the last images")
        let shuffled = try images.split(validationFraction: 0.5, shuffleSeed: 9)
        XCTAssertEqual(shuffled.training.count + shuffled.validation.count, 6)
        XCTAssertEqual(try images.split(validationFraction: 0.5, shuffleSeed: 9).validation, shuffled.validation, "seeded")
        XCTAssertThrowsError(try images.split(validationFraction: 1))
        XCTAssertThrowsError(try images.split(validationFraction: -0.1))
        XCTAssertEqual(images.subset([5, 0]).labels, [2, 1])
        let other = try LabelledImages(shape: ImageShape(height: 3, width: 3), pixels: .bytes([UInt8](repeating: 0, count: 9)),
                                       labels: [0], classNames: ["0"])
        XCTAssertThrowsError(try images.appending(other))
    }
}
