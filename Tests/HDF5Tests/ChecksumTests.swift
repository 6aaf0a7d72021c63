import XCTest
@testable import HDF5

final class ChecksumTests: XCTestCase {
    /// Values printed by the driver in Bob Jenkins' lookup3.c.
    func testLookup3ReferenceValues() {
        XCTAssertEqual(Lookup3.hash([UInt8]()), 0xdead_beef)
        let text = Array("Four score and seven years ago".utf8)
        XCTAssertEqual(Lookup3.hash(text), 0x1777_0551)
        XCTAssertEqual(Lookup3.hash(text, initial: 1), 0xcd62_8161)
    }

    func testFletcher32OfKnownWords() {
        // Words 0x0102, 0x0304: sum1 = 0x0406, sum2 = 0x0102 + 0x0406 = 0x0508.
        XCTAssertEqual(Fletcher32.checksum([1, 2, 3, 4]), 0x0508_0406)
        // An odd trailing byte counts as the high byte of a word: sum1 = 0x0102 + 0x0300.
        XCTAssertEqual(Fletcher32.checksum([1, 2, 3]), 0x0504_0402)
    }

    func testFletcher32RefusesDamage() throws {
        let data: [UInt8] = Array(0..<40)
        let sum = Fletcher32.checksum(data)
        let stored = data + [UInt8(sum & 0xFF), UInt8(sum >> 8 & 0xFF), UInt8(sum >> 16 & 0xFF), UInt8(sum >> 24)]
        XCTAssertEqual(try Fletcher32.verifyAndStrip(stored), data)
        var damaged = stored
        damaged[5] ^= 0x40
        XCTAssertThrowsError(try Fletcher32.verifyAndStrip(damaged)) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .checksumMismatch)
        }
    }

    func testHalfFloatConversion() {
        XCTAssertEqual(ValueDecoding.halfToFloat(0x3C00), 1)
        XCTAssertEqual(ValueDecoding.halfToFloat(0xC000), -2)
        XCTAssertEqual(ValueDecoding.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(ValueDecoding.halfToFloat(0x0001), 0x1p-24)
        XCTAssertEqual(ValueDecoding.halfToFloat(0x7C00), .infinity)
        XCTAssertTrue(ValueDecoding.halfToFloat(0x7E00).isNaN)
    }

    func testUnshuffleRestoresElementBytes() {
        // Two 4-byte elements AABBCCDD / EEFFGGHH, shuffled by byte plane.
        let shuffled: [UInt8] = [0xA, 0xE, 0xB, 0xF, 0xC, 0x1, 0xD, 0x2]
        XCTAssertEqual(FilterPipeline.unshuffle(shuffled, elementSize: 4), [0xA, 0xB, 0xC, 0xD, 0xE, 0xF, 0x1, 0x2])
        // Three 2-byte elements (int16): low bytes first, then high bytes.
        XCTAssertEqual(FilterPipeline.unshuffle([1, 3, 5, 2, 4, 6], elementSize: 2), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(FilterPipeline.unshuffle([7, 8, 9], elementSize: 1), [7, 8, 9], "one-byte elements are not shuffled")
    }
}
