import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// Damaged and hostile input: every failure is a `JPEGError` with a message, never a trap.
final class JPEGErrorTests: XCTestCase {
    private func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture("jpeg/" + name, target: "ImageCodecsTests")))
    }

    /// Index of the first occurrence of marker `code` (0xFF code).
    private func markerIndex(_ code: UInt8, in bytes: [UInt8]) -> Int? {
        (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == code }
    }

    private func expectError(_ bytes: [UInt8], limits: DecodingLimits = .default,
                             file: StaticString = #filePath, line: UInt = #line, _ check: (JPEGError) -> Bool) {
        XCTAssertThrowsError(try JPEGDecoder.decode(bytes, limits: limits), file: file, line: line) { error in
            guard let jpegError = error as? JPEGError else { return XCTFail("\(error) is not a JPEGError", file: file, line: line) }
            XCTAssertTrue(check(jpegError), "unexpected error: \(jpegError)", file: file, line: line)
            XCTAssertFalse(jpegError.description.isEmpty, file: file, line: line)
        }
    }

    func testNotAJPEG() {
        expectError([]) { $0 == .notJPEG }
        expectError(Array("GIF89a".utf8)) { $0 == .notJPEG }
    }

    func testEveryTruncationIsRefused() throws {
        // Pillow refuses a JPEG cut anywhere before its EOI marker, even between scans; so do we.
        for name in ["rgb_420_q75.jpg", "rgb_420_progressive.jpg", "rgb_420_restart.jpg", "gray_q85.jpg"] {
            let bytes = try fixture(name)
            for length in 0..<(bytes.count - 1) {
                XCTAssertThrowsError(try JPEGDecoder.decode(Array(bytes[0..<length])), "\(name) cut to \(length) bytes") {
                    XCTAssertTrue($0 is JPEGError)
                }
            }
            XCTAssertNoThrow(try JPEGDecoder.decode(bytes), name)
        }
    }

    func testPixelLimitIsCheckedBeforeDecoding() throws {
        let bytes = try fixture("rgb_420_q75.jpg")  // 37x21 = 777 pixels
        expectError(bytes, limits: DecodingLimits(maxPixels: 776)) {
            if case .tooManyPixels(37, 21, 776) = $0 { return true } else { return false }
        }
        XCTAssertNoThrow(try JPEGDecoder.decode(bytes, limits: DecodingLimits(maxPixels: 777)))
    }

    func testZeroDimensionsAreRefused() throws {
        var bytes = try fixture("gray_q85.jpg")
        let sof = try XCTUnwrap(markerIndex(0xC0, in: bytes))
        bytes[sof + 5] = 0
        bytes[sof + 6] = 0  // height 0
        expectError(bytes) { if case .zeroDimensions = $0 { return true } else { return false } }
    }

    func testMissingHuffmanTableIsRefused() throws {
        var bytes = try fixture("gray_q85.jpg")
        let sos = try XCTUnwrap(markerIndex(0xDA, in: bytes))
        bytes[sos + 6] = 0x33  // component 1 now uses DC table 3 and AC table 3, never defined
        expectError(bytes) { if case .missingHuffmanTable = $0 { return true } else { return false } }
    }

    func testMissingQuantizationTableIsRefused() throws {
        var bytes = try fixture("gray_q85.jpg")
        let sof = try XCTUnwrap(markerIndex(0xC0, in: bytes))
        bytes[sof + 12] = 3  // the only component now uses quantisation table 3
        expectError(bytes) { $0 == .missingQuantizationTable(index: 3) }
    }

    func testScanBeforeFrameIsRefused() throws {
        let bytes = try fixture("gray_q85.jpg")
        let sos = try XCTUnwrap(markerIndex(0xDA, in: bytes))
        expectError(Array(bytes[0..<2] + bytes[sos...])) { $0 == .missingFrameHeader }
    }

    func testInvalidHuffmanCodeIsRefused() throws {
        var bytes = try fixture("gray_q85.jpg")
        let sos = try XCTUnwrap(markerIndex(0xDA, in: bytes))
        let dataStart = sos + 2 + Int(bytes[sos + 2]) << 8 + Int(bytes[sos + 3])
        // All-ones bits are never a code of a libjpeg-written table (0xFF 0x00 is a stuffed 0xFF).
        for offset in stride(from: 0, to: 16, by: 2) {
            bytes[dataStart + offset] = 0xFF
            bytes[dataStart + offset + 1] = 0x00
        }
        expectError(bytes) { if case .invalidHuffmanCode = $0 { return true } else { return false } }
    }

    func testOverfullHuffmanTableIsRefused() {
        // Three codes of length 1 cannot exist; this once overran the look-up table.
        let dht: [UInt8] = [0xFF, 0xC4, 0x00, 0x16, 0x00, 3] + [UInt8](repeating: 0, count: 15) + [0, 1, 2]
        expectError([0xFF, 0xD8] + dht + [0xFF, 0xD9]) {
            if case .malformedSegment(marker: "DHT", _) = $0 { return true } else { return false }
        }
    }

    /// The all-ones code of each length is reserved (T.81 annex C), so a length can hold one
    /// code fewer than its bits allow: two codes of length 1 are exactly one too many, while
    /// one code of length 1 and one of length 2 fit (the file then fails later, for want of a frame).
    func testHuffmanTableExactlyOverfullIsRefused() {
        func dht(counts: [UInt8], symbols: [UInt8]) -> [UInt8] {
            let length = 2 + 1 + 16 + symbols.count
            return [0xFF, 0xC4, UInt8(length >> 8), UInt8(length & 0xFF), 0x00] + counts + symbols
        }
        let twoOfLengthOne = dht(counts: [2] + [UInt8](repeating: 0, count: 15), symbols: [0, 1])
        expectError([0xFF, 0xD8] + twoOfLengthOne + [0xFF, 0xD9]) {
            if case .malformedSegment(marker: "DHT", _) = $0 { return true } else { return false }
        }
        let fullButTheAllOnesCode = dht(counts: [1, 1] + [UInt8](repeating: 0, count: 14), symbols: [0, 1])
        expectError([0xFF, 0xD8] + fullButTheAllOnesCode + [0xFF, 0xD9]) {
            if case .malformedSegment(marker: "DHT", _) = $0 { return false } else { return true }
        }
        // The same edge further down: after one code of length 1, two of length 2 are one too
        // many; 255 codes of length 8 take every 8-bit code but the all-ones one, and fit.
        let overfullAtTwo = dht(counts: [1, 2] + [UInt8](repeating: 0, count: 14), symbols: [0, 1, 2])
        expectError([0xFF, 0xD8] + overfullAtTwo + [0xFF, 0xD9]) {
            if case .malformedSegment(marker: "DHT", _) = $0 { return true } else { return false }
        }
        let fullAtEight = dht(counts: [0, 0, 0, 0, 0, 0, 0, 255] + [UInt8](repeating: 0, count: 8),
                              symbols: (0..<255).map { UInt8($0) })
        expectError([0xFF, 0xD8] + fullAtEight + [0xFF, 0xD9]) {
            if case .malformedSegment(marker: "DHT", _) = $0 { return false } else { return true }
        }
    }

    /// A DC difference has at most 16 bits: an 8x8 grey baseline JPEG whose DC table codes the
    /// size 16 decodes, the same with 17 is refused rather than read on.
    func testDCDifferenceOfSeventeenBitsIsRefused() throws {
        func jpeg(dcSize: Int) -> [UInt8] {
            var bytes: [UInt8] = [0xFF, 0xD8]
            bytes += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
            bytes += [0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x08, 0x00, 0x08, 1, 1, 0x11, 0]
            // DC table 0: the one code "0" means `dcSize`; AC table 0: "0" is end of block.
            bytes += [0xFF, 0xC4, 0x00, 0x14, 0x00, 1] + [UInt8](repeating: 0, count: 15) + [UInt8(dcSize)]
            bytes += [0xFF, 0xC4, 0x00, 0x14, 0x10, 1] + [UInt8](repeating: 0, count: 15) + [0x00]
            bytes += [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0]
            // "0" (the size), dcSize zero bits, "0" (end of block), then 1 bits to the byte's end.
            var bits = [0] + [Int](repeating: 0, count: dcSize) + [0]
            while bits.count % 8 != 0 { bits.append(1) }
            for start in stride(from: 0, to: bits.count, by: 8) {
                bytes.append(UInt8(bits[start..<(start + 8)].reduce(0) { $0 << 1 | $1 }))
            }
            return bytes + [0xFF, 0xD9]
        }
        let sixteen = try JPEGDecoder.decode(jpeg(dcSize: 16))
        XCTAssertEqual(sixteen.width, 8)
        XCTAssertEqual(sixteen.height, 8)
        expectError(jpeg(dcSize: 17)) { if case .invalidHuffmanCode = $0 { return true } else { return false } }
    }

    func testWrongRestartMarkerIsRefused() throws {
        var bytes = try fixture("rgb_420_restart.jpg")
        let sos = try XCTUnwrap(markerIndex(0xDA, in: bytes))
        let rst0 = try XCTUnwrap((sos..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD0 })
        bytes[rst0 + 1] = 0xD3
        expectError(bytes) { $0 == .restartMarkerMismatch(expected: 0, found: "RST3") }
    }

    func testRandomByteFlipsNeverTrap() throws {
        var generator = SplitMix64(seed: 0x4A50_4547)
        for name in ["rgb_420_q75.jpg", "rgb_420_progressive.jpg", "gray_progressive.jpg", "rgb_411_cjpeg.jpg"] {
            let original = try fixture(name)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 2..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                do {
                    let image = try JPEGDecoder.decode(bytes, limits: DecodingLimits(maxPixels: 1 << 20))
                    XCTAssertEqual(image.samples.count, image.width * image.height * image.channels)
                } catch {
                    XCTAssertTrue(error is JPEGError, "\(error)")
                }
            }
        }
    }
}
