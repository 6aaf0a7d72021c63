import XCTest
@testable import HDF5

/// Edges of the byte-level readers that the fixtures do not reach on their own: a field exactly
/// one byte longer than its region (a region sliced from a larger file, so reading on would
/// take the neighbouring structure's byte), and big-endian 32-bit floats, which have a fast
/// path of their own (h5py wrote none into a dataset of the fixtures).
final class DecodingEdgeTests: XCTestCase {
    private let sizes = FileSizes(offsetSize: 8, lengthSize: 8)
    private let file: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA]

    private func assertTruncated(_ body: @autoclosure () throws -> Any, _ what: String, line: UInt = #line) {
        XCTAssertThrowsError(try body(), what, line: line) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .truncated, "\(what): \(error)", line: line)
        }
    }

    func testAFieldOneBytePastItsRegionIsTruncated() throws {
        var skipping = ByteCursor(file[1..<4], sizes: sizes, context: "a test region")
        assertTruncated(try skipping.skip(4), "skip 4 of 3 bytes")
        XCTAssertNoThrow(try skipping.skip(3), "skip exactly the region")
        XCTAssertTrue(skipping.isAtEnd)
        for width in 1...8 {
            var short = ByteCursor(file[1..<width], sizes: sizes, context: "a test region")
            assertTruncated(try short.unsigned(width), "a \(width)-byte field in \(width - 1) bytes")
            var exact = ByteCursor(file[1..<(1 + width)], sizes: sizes, context: "a test region")
            let expected = (0..<width).reduce(UInt64(0)) { $0 | UInt64(file[1 + $1]) << (8 * UInt64($1)) }
            XCTAssertEqual(try exact.unsigned(width), expected, "a \(width)-byte field in exactly \(width) bytes")
            XCTAssertTrue(exact.isAtEnd)
        }
    }

    func testBigEndianFloatsAreSwapped() throws {
        // 1.25 = 0x3FA00000, -3.5 = 0xC0600000, 65504 = 0x477FE000: stored most significant byte first.
        let raw: [UInt8] = [0x3F, 0xA0, 0x00, 0x00, 0xC0, 0x60, 0x00, 0x00, 0x47, 0x7F, 0xE0, 0x00]
        let bigEndian = HDF5Datatype(kind: .float, size: 4, byteOrder: .bigEndian)
        XCTAssertEqual(try ValueDecoding.floats(raw, bigEndian), [1.25, -3.5, 65504])
        XCTAssertEqual(try ValueDecoding.doubles(raw, bigEndian), [1.25, -3.5, 65504])
        let littleEndian = HDF5Datatype(kind: .float, size: 4)
        XCTAssertEqual(try ValueDecoding.floats(raw.reversed(), littleEndian), [65504, -3.5, 1.25])
    }
}
