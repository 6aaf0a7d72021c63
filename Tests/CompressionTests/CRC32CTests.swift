import Compression
import XCTest

final class CRC32CTests: XCTestCase {
    /// The check value of the CRC catalogue and the test vectors of RFC 3720 (iSCSI), B.4.
    func testStandardCheckValues() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }), 0x113F_DB5C)
    }

    func testPathsAndIncrementalUpdatesAgree() {
        var random = SystemRandomNumberGenerator()
        let data = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let crc = CRC32C.checksum(data)
        XCTAssertEqual(CRC32C.checksum(data.lazy.map { $0 }), crc, "generic path")
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            XCTAssertEqual(CRC32C.update(CRC32C.checksum(data[..<split]), data[split...]), crc, "split at \(split)")
        }
        XCTAssertNotEqual(crc, CRC32.checksum(data), "a different polynomial from zip's CRC-32")
    }

    /// The masking TFRecord and LevelDB apply. The constant is what TensorFlow's TFRecordWriter
    /// wrote after the length 875 (6b 03 00 00 00 00 00 00) in Tests/DatasetsTests/Fixtures/tfrecord/tf_raw.tfrecord.
    func testMaskRoundTripsAndMatchesTensorFlow() {
        for value: UInt32 in [0, 1, 0xFFFF_FFFF, 0xE306_9283, 0x1234_5678] {
            XCTAssertEqual(CRC32C.unmasked(CRC32C.masked(value)), value)
        }
        XCTAssertEqual(CRC32C.masked(CRC32C.checksum([0x6B, 0x03, 0, 0, 0, 0, 0, 0])), 0x7818_5F7D)
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
    }
}
