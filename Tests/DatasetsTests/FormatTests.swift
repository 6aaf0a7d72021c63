import Compression
import Foundation
import TestSupport
import XCTest
@testable import Datasets

/// Every format against the files the reference tools wrote (scripts/make-dataset-fixtures.py:
/// Python's csv text and gzip, numpy.savez / savez_compressed, hand-packed IDX) and the values
/// NumPy reports for them (expected.json).
final class FormatTests: XCTestCase {
    struct Expected {
        let trainLabels: [Int], trainPixels: [UInt8], testLabels: [Int], testPixels: [UInt8]
        let floats: [Float]
    }

    static func fixture(_ name: String) -> String { TestPaths.fixture(name, target: "DatasetsTests").path }

    func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("expected.json")))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: [NSNumber]]])
        func ints(_ split: String, _ key: String) -> [Int] { (object[split]?[key] ?? []).map(\.intValue) }
        return Expected(trainLabels: ints("train", "labels"), trainPixels: ints("train", "pixels").map { UInt8($0) },
                        testLabels: ints("test", "labels"), testPixels: ints("test", "pixels").map { UInt8($0) },
                        floats: (object["floats"]?["values"] ?? []).map(\.floatValue))
    }

    func testKaggleCSVPlainAndGzipped() throws {
        let expected = try expected()
        for name in ["small.csv", "small.csv.gz"] {
            let splits = try DatasetFile.load(path: Self.fixture(name))
            XCTAssertEqual(splits.training.labels, expected.trainLabels, name)
            XCTAssertEqual(splits.training.pixels, .bytes(expected.trainPixels), name)
            XCTAssertEqual(splits.training.shape, ImageShape(height: 28, width: 28, channels: 1))
            XCTAssertNil(splits.test)
        }
        // No header, CRLF line ends, spaces after commas.
        let crlf = try DatasetFile.load(path: Self.fixture("small_crlf.csv")).training
        XCTAssertEqual(crlf.labels, Array(expected.trainLabels.prefix(3)))
        XCTAssertEqual(crlf.pixels, .bytes(Array(expected.trainPixels.prefix(3 * 784))))
    }

    func testIDXFilesAndDirectory() throws {
        let expected = try expected()
        let file = try DatasetFile.load(path: Self.fixture("train-images-idx3-ubyte.gz")).training
        XCTAssertEqual(file.labels, expected.trainLabels)
        XCTAssertEqual(file.pixels, .bytes(expected.trainPixels))
        let directory = try DatasetFile.load(path: TestPaths.fixture("", target: "DatasetsTests").path)
        XCTAssertEqual(directory.training.labels, expected.trainLabels)
        XCTAssertEqual(directory.test?.labels, expected.testLabels)
        XCTAssertEqual(directory.test?.pixels, .bytes(expected.testPixels))
    }

    func testNumPyArchivesStoredAndDeflated() throws {
        let expected = try expected()
        for name in ["mnist_stored.npz", "mnist.npz"] {
            let splits = try DatasetFile.load(path: Self.fixture(name))
            XCTAssertEqual(splits.training.labels, expected.trainLabels, name)
            XCTAssertEqual(splits.training.pixels, .bytes(expected.trainPixels), name)
            XCTAssertEqual(splits.test?.labels, expected.testLabels, name)
            XCTAssertEqual(splits.test?.pixels, .bytes(expected.testPixels), name)
        }
        let floats = try NumPyArray(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture("floats.npy")))))
        XCTAssertEqual(floats.shape, [2, 3])
        XCTAssertEqual(floats.descr, ">f4")
        XCTAssertEqual(floats.values, .floats(expected.floats))
    }

    func testWritersRoundTrip() throws {
        var random = SeededRandom(seed: 5)
        let pixels = (0..<(7 * 4 * 3 * 2)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let images = try LabelledImages(shape: ImageShape(height: 4, width: 3, channels: 2), pixels: .bytes(pixels),
                                        labels: [0, 1, 2, 9, 4, 4, 7], classNames: LabelledImages.digitClassNames())
        let csv = try KaggleCSV.read(KaggleCSV.encode(images), shape: images.shape)
        XCTAssertEqual(csv, images)
        let csvGzipped = try DatasetFile.load(bytes: Gzip.compress(KaggleCSV.encode(images)),
                                              options: DatasetFile.Options(shape: images.shape)).training
        XCTAssertEqual(csvGzipped, images)
        let (imageFile, labelFile) = MNISTIDX.encode(images)
        XCTAssertEqual(try MNISTIDX.read(images: imageFile, labels: labelFile), images)
        let npy = NumPyArray.encode(shape: [7, 4, 3, 2], bytes: pixels)
        XCTAssertEqual(try NumPyArray(bytes: npy).values, .bytes(pixels))
        let labels = try NumPyArray(bytes: NumPyArray.encode(shape: [7], integers: images.labels))
        XCTAssertEqual(try labels.integers(what: "y"), images.labels)
    }

    /// The shared training and test sets (Kaggle layout, gzipped): 4,000 and 1,000 digits.
    func testSharedMNISTFiles() throws {
        guard let train = TestPaths.shared("data/mnist_train.csv.gz"), let test = TestPaths.shared("data/mnist_test.csv.gz") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("data"))
        }
        let training = try DatasetFile.load(path: train.path).training
        let testing = try DatasetFile.load(path: test.path).training
        XCTAssertEqual(training.count, 4000)
        XCTAssertEqual(testing.count, 1000)
        XCTAssertTrue(training.labelCounts().allSatisfy { $0 > 300 }, "\(training.labelCounts())")
        guard case .bytes(let values) = training.pixels else { return XCTFail("bytes expected") }
        XCTAssertEqual(values.max(), 255)
    }
}
