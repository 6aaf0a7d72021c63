import Compression
import Foundation
import TestSupport
import XCTest
@testable import Datasets

/// Digit subsets and writing every format: what convert does, read back through the readers.
final class SubsetAndWriterTests: XCTestCase {
    private func source() throws -> DatasetSplits { try DatasetFile.load(path: FormatTests.fixture("mnist.npz")) }

    func testSelectingKeepsOrderRenumbersAndNamesTheDigits() throws {
        let training = try source().training   // labels 3 1 4 1 5 9 2 6 5 3 5 8
        let subset = try training.selecting(classes: ["5", "1"])
        XCTAssertEqual(subset.classNames, ["5", "1"])
        XCTAssertEqual(subset.labels, [1, 1, 0, 0, 0])
        XCTAssertEqual(subset.image(0), training.image(1))
        XCTAssertEqual(subset.image(2), training.image(4))
        XCTAssertThrowsError(try training.selecting(classes: ["0", "7"])) {
            XCTAssertEqual("\($0)", "no image is of class 0, 7: the subset is empty (the data holds 12 images: 1 x 2, 2 x 1, 3 x 2, 4 x 1, 5 x 3, 6 x 1, 8 x 1, 9 x 1)")
        }
        XCTAssertThrowsError(try training.selecting(classes: ["12"])) { XCTAssertEqual("\($0)", "'12' is not a class of this data (its classes are 0-9)") }
        XCTAssertThrowsError(try training.selecting(classes: ["1", "1"])) { XCTAssertTrue("\($0)".contains("named twice")) }
        XCTAssertThrowsError(try training.selecting(classes: [])) { XCTAssertTrue("\($0)".contains("no classes")) }
    }

    func testClassListsAsCommandLinesAndParamsFilesWriteThem() throws {
        XCTAssertEqual(try ClassList.parse("0,1,7"), ["0", "1", "7"])
        XCTAssertEqual(try ClassList.parse("[0, 1, 7]"), ["0", "1", "7"])
        XCTAssertEqual(try ClassList.parse(" 0 1  7 "), ["0", "1", "7"])
        XCTAssertThrowsError(try ClassList.parse(" [ ] "))
    }

    /// Every format, with a subset (labels written as the digits), read back equal.
    func testEveryFormatRoundTripsThroughItsReader() throws {
        let splits = try source()
        let subset = DatasetSplits(training: try splits.training.selecting(classes: ["1", "5", "9"]),
                                   test: try? splits.test!.selecting(classes: ["7"]))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.path + "/" + name }
        let digitsOf: (LabelledImages) -> [String] = { images in images.labels.map { images.classNames[$0] } }

        for (name, format) in [("a.csv", DatasetOutputFormat.csv), ("a.csv.gz", .csv), ("a.npz", .npz), ("a.tfrecord", .tfrecord),
                               ("a.tfrecord.gz", .tfrecord), ("idx/", .idx)] {
            XCTAssertEqual(DatasetOutputFormat.implied(by: path(name)), format, name)
            let written = try DatasetWriter.write(subset, to: path(name), options: .init(format: format))
            XCTAssertEqual(written.first?.images, subset.training.count)
            let back = try DatasetFile.load(path: path(name))
            XCTAssertEqual(digitsOf(back.training), digitsOf(subset.training), name)
            XCTAssertEqual(back.training.pixels, subset.training.pixels, name)
            if format.holdsTestPart {
                XCTAssertEqual(back.test.map(digitsOf), ["7", "7"], name)
            } else {
                XCTAssertNil(back.test, name)
            }
        }
        XCTAssertTrue(Gzip.hasSignatureOfFile(path("a.tfrecord.gz")))
        XCTAssertNil(DatasetOutputFormat.implied(by: path("a.bin")))
    }

    func testShardsAreNamedAsTensorFlowsAndReadAsOne() throws {
        let training = try source().training
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = folder.appendingPathComponent("train.tfrecord").path
        let written = try DatasetWriter.write(DatasetSplits(training: training), to: base, options: .init(format: .tfrecord, shards: 5))
        XCTAssertEqual(written.map { URL(fileURLWithPath: $0.path).lastPathComponent },
                       (0..<5).map { "train.tfrecord-0000\($0)-of-00005" })
        XCTAssertEqual(written.map(\.images), [2, 2, 3, 2, 3])
        XCTAssertEqual(try DatasetFile.load(path: base).training, training)
        try FileManager.default.removeItem(atPath: written[3].path)
        XCTAssertThrowsError(try DatasetFile.load(path: base)) { XCTAssertTrue("\($0)".contains("shard 00003-of-00005 of 5 is missing"), "\($0)") }
        XCTAssertThrowsError(try DatasetFile.load(path: folder.appendingPathComponent("none-*").path)) {
            XCTAssertTrue("\($0)".contains("no file matches"))
        }
        // A file whose name looks like a pattern is read as itself.
        let literal = folder.appendingPathComponent("odd[1]*.csv").path
        try DatasetWriter.write(DatasetSplits(training: training), to: literal, options: .init(format: .csv))
        XCTAssertEqual(try DatasetFile.load(path: literal).training.labels, training.labels)
        XCTAssertThrowsError(try DatasetWriter.write(DatasetSplits(training: training), to: folder.path + "/idx/",
                                                     options: .init(format: .idx, shards: 2)))
    }
}

private extension Compression.Gzip {
    static func hasSignatureOfFile(_ path: String) -> Bool {
        (FileManager.default.contents(atPath: path)).map { hasSignature([UInt8]($0)) } ?? false
    }
}
