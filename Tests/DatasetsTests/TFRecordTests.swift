import Compression
import Foundation
import TestSupport
import XCTest
@testable import Datasets

/// TFRecord files as TensorFlow writes them (scripts/make-tfrecord-fixtures.py: TFRecordWriter,
/// tf.train.Example, tf.io.encode_png, GZIP), damaged copies of them, and our own files read back.
final class TFRecordTests: XCTestCase {
    static func fixture(_ name: String) -> String { FormatTests.fixture("tfrecord/" + name) }

    /// The training images of expected.json, which the TensorFlow fixtures hold.
    private func expectedTraining() throws -> (labels: [Int], pixels: [UInt8]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: FormatTests.fixture("expected.json")))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: [NSNumber]]])
        let train = try XCTUnwrap(object["train"])
        return (try XCTUnwrap(train["labels"]).map(\.intValue), try XCTUnwrap(train["pixels"]).map(\.uint8Value))
    }

    func testFramingRoundTripsAndChecksBothCRCs() throws {
        let records: [[UInt8]] = [[], [1, 2, 3], [UInt8](repeating: 7, count: 1000)]
        let file = TFRecord.encode(records)
        XCTAssertEqual(file.count, records.reduce(0) { $0 + $1.count + 16 })
        XCTAssertEqual(try TFRecord.records(in: file).map { Array(file[$0]) }, records)
        XCTAssertTrue(TFRecord.hasSignature(file))
        XCTAssertEqual(try TFRecord.records(in: []), [], "an empty file holds no records")

        var badData = file
        badData[16 + 12 + 1] ^= 0x10  // record 1's data
        XCTAssertThrowsError(try TFRecord.records(in: badData)) {
            XCTAssertTrue("\($0)".hasPrefix("record 1 (at byte 16): the data's checksum does not match"), "\($0)")
        }
        var badFooter = file
        badFooter[16 + 12 + 3] ^= 0x01  // record 1's data CRC itself
        XCTAssertThrowsError(try TFRecord.records(in: badFooter)) { XCTAssertTrue("\($0)".contains("record 1"), "\($0)") }
        var badLength = file
        badLength[16 + 2] ^= 0x01
        XCTAssertThrowsError(try TFRecord.records(in: badLength)) {
            XCTAssertTrue("\($0)".hasPrefix("record 1 (at byte 16): the length's checksum does not match"), "\($0)")
        }
        // Cut at every byte: each prefix that is not a whole number of records fails, naming the record.
        let boundaries: Set<Int> = [0, 16, 35, file.count]
        for cut in 0...file.count where !boundaries.contains(cut) {
            XCTAssertThrowsError(try TFRecord.records(in: Array(file[..<cut])), "cut at \(cut)") { error in
                let record = cut < 16 ? 0 : cut < 35 ? 1 : 2
                XCTAssertTrue("\(error)".hasPrefix("record \(record) "), "cut at \(cut): \(error)")
            }
        }
    }

    /// A header whose checksum is valid but whose length is absurd (2^32, 2^63, 2^64 - 1) is
    /// refused against the bytes left, never allocated.
    func testHugeClaimedLengthsAreRefusedWithoutAllocating() {
        for claimed: UInt64 in [1 << 32, 1 << 63, UInt64.max] {
            var header: [UInt8] = []
            for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: claimed >> UInt64(shift))) }
            let crc = CRC32C.masked(CRC32C.checksum(header))
            let file = header + [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) } + [UInt8](repeating: 0, count: 64)
            XCTAssertFalse(TFRecord.hasSignature(file))
            XCTAssertThrowsError(try TFRecord.records(in: file)) {
                XCTAssertEqual("\($0)", "record 0 (at byte 0): claims \(claimed) bytes of data, the file has 60 left; it is truncated or damaged")
            }
        }
    }

    func testTensorFlowsLayoutsReadAsWritten() throws {
        let expected = try expectedTraining()
        for name in ["tf_raw.tfrecord", "tf_raw.tfrecord.gz", "tf_png.tfrecord", "tf_slim.tfrecord", "tf_shard.tfrecord"] {
            let splits = try DatasetFile.load(path: Self.fixture(name))
            XCTAssertEqual(splits.training.labels, expected.labels, name)
            XCTAssertEqual(splits.training.pixels, .bytes(expected.pixels), name)
            XCTAssertEqual(splits.training.shape, ImageShape(height: 28, width: 28), name)
        }
        let floats = try DatasetFile.load(path: Self.fixture("tf_floats.tfrecord")).training
        XCTAssertEqual(floats.labels, expected.labels)
        XCTAssertEqual(floats.pixels, .floats(expected.pixels.map { Float($0) / 255 }), "float32 x / 255, bit for bit")
        let pattern = try DatasetFile.load(path: Self.fixture("tf_shard.tfrecord-*")).training
        XCTAssertEqual(pattern.labels, expected.labels)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("tf_raw.tfrecord.gz")))
        XCTAssertEqual(try DatasetFile.load(bytes: [UInt8](bytes)).training.labels, expected.labels, "an uploaded gzip'd TFRecord")
    }

    func testDamagedFilesNameTheRecord() {
        let cases = [
            ("bad_data_crc.tfrecord", "record 3 (at byte 2673): the data's checksum does not match"),
            ("bad_length_crc.tfrecord", "record 5 (at byte 4455): the length's checksum does not match"),
            ("truncated.tfrecord", "record 11 (at byte 9801): claims 875 bytes of data, the file has 296 left"),
            ("claims_4gb.tfrecord", "record 2 (at byte 1782): claims 4294967296 bytes of data"),
        ]
        for (name, message) in cases {
            XCTAssertThrowsError(try DatasetFile.load(path: Self.fixture(name)), name) { error in
                XCTAssertTrue("\(error)".contains(message), "\(name): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(Self.fixture(name)), "names the file: \(error)")
            }
        }
    }

    func testDamagedFirstRecordIsExplained() throws {
        var file = TFRecordImages.encodeForTest()
        file[3] ^= 0xFF
        XCTAssertThrowsError(try DatasetFile.load(bytes: file)) { error in
            XCTAssertTrue("\(error)".contains("read as TFRecord: record 0 (at byte 0): the length's checksum does not match"), "\(error)")
        }
    }

    func testExamplesThatAreNotImagesAreRefusedNamingTheRecord() throws {
        func file(_ examples: [TFExample]) -> [UInt8] { TFRecord.encode(examples.map { $0.encoded() }) }
        let good = TFExample(features: ["image_raw": .bytes([[UInt8](repeating: 1, count: 784)]), "label": .int64s([3])])
        let cases: [(TFExample, String)] = [
            (TFExample(features: ["label": .int64s([3])]), "record 1: no image feature (image_raw, image, image/encoded, pixels); it has label (int64_list)"),
            (TFExample(features: ["image_raw": good.features["image_raw"]!]), "record 1: no label feature"),
            (TFExample(features: ["image_raw": .bytes([[1, 2]]), "label": .int64s([3])]),
             "record 1: 'image_raw' holds 2 bytes; a 28x28x1 image needs 784"),
            (TFExample(features: ["image_raw": good.features["image_raw"]!, "label": .int64s([12])]), "record 1: label 12 is outside 0-9"),
            (TFExample(features: ["image_raw": good.features["image_raw"]!, "label": .int64s([1, 2])]),
             "record 1: 'label' is a int64_list of 2, expected one whole number"),
            (TFExample(features: ["image": .bytes([[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]]), "label": .int64s([1])]),
             "record 1: 'image' holds a PNG image that does not decode"),
            (TFExample(features: ["image_raw": .bytes([[UInt8](repeating: 0, count: 1024)]), "label": .int64s([1]),
                                  "height": .int64s([32]), "width": .int64s([32])]),
             "record 1: the image is 32x32x1, the records before it are 28x28x1"),
            (TFExample(features: ["image_raw": good.features["image_raw"]!, "label": .int64s([1]), "height": .floats([28]),
                                  "width": .int64s([28])]),
             "record 1: 'height' is a float_list of 1, expected one int64"),
        ]
        for (bad, message) in cases {
            XCTAssertThrowsError(try DatasetFile.load(bytes: file([good, bad]))) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "expected '\(message)', got '\(error)'")
            }
        }
        XCTAssertThrowsError(try DatasetFile.load(bytes: TFRecord.encode([good.encoded(), [0x0A, 0x09, 0x01]]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("record 1: not a tf.train.Example ("), "\(error)")
        }
    }

    /// Our files in each layout read back identically; the labels written are the digits.
    func testOurLayoutsRoundTrip() throws {
        let source = try DatasetFile.load(path: FormatTests.fixture("small.csv")).training
        for encoding in TFRecordImages.ImageEncoding.allCases {
            let file = try TFRecordImages.encode(source, encoding: encoding)
            XCTAssertEqual(try TFRecordImages.read(file), source, "\(encoding)")
            let first = try TFExample(parsing: file, range: try TFRecord.records(in: file)[0])
            XCTAssertEqual(Set(first.features.keys), encoding == .raw ? ["image_raw", "label", "height", "width", "depth"] : ["image", "label"])
        }
        let floats = try LabelledImages(shape: ImageShape(height: 2, width: 3, channels: 2), pixels: .floats((0..<24).map { Float($0) / 7 }),
                                        labels: [1, 0], classNames: ["a", "b"])
        XCTAssertEqual(try TFRecordImages.read(try TFRecordImages.encode(floats), shape: floats.shape, classNames: ["a", "b"]), floats)
        XCTAssertThrowsError(try TFRecordImages.encode(floats, encoding: .png)) { XCTAssertTrue("\($0)".contains("not whole numbers 0-255")) }
    }
}

extension TFRecordImages {
    /// Three small raw examples, for tests that damage a file.
    static func encodeForTest() -> [UInt8] {
        let images = try! LabelledImages(shape: ImageShape(height: 28, width: 28), pixels: .bytes([UInt8](repeating: 9, count: 3 * 784)),
                                         labels: [0, 1, 2], classNames: LabelledImages.digitClassNames())
        return try! encode(images)
    }
}
