import Foundation
import TestSupport
import XCTest
@testable import ImageCodecs

/// Finding 8 of issue 13: a 16-bit grayscale scan is scaled to 8 bits (v * 255 / 65535,
/// rounded), not clipped at 255 as Pillow's convert("L") does (which turns it white), in every
/// format that carries one; the wide decode keeps all 16 bits.
final class SixteenBitGrayTests: XCTestCase {
    let values: [Int] = [0, 128, 129, 1000, 30000, 32896, 65406, 65535]
    var expected: [UInt8] { values.map { UInt8((Double($0) * 255 / 65535).rounded()) } }

    func testA16BitGrayPNGIsScaledNotClipped() throws {
        let raw = [UInt8(0)] + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let png = PNGTestBuilder.png(PNGTestBuilder.ihdr(width: UInt32(values.count), height: 1, depth: 16, colorType: 0), raw: raw)
        XCTAssertEqual(try ImageDecoder.decode(png).samples, expected)
        XCTAssertEqual(expected, [0, 0, 1, 4, 117, 128, 254, 255])
        XCTAssertEqual(try ImageDecoder.decodeWide(png).samples, values.map(UInt16.init))
    }

    func testA16BitGrayPGMIsScaledNotClipped() throws {
        let pgm = Array("P5 \(values.count) 1 65535\n".utf8) + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        XCTAssertEqual(try ImageDecoder.decode(pgm).samples, expected)
        XCTAssertEqual(try ImageDecoder.decodeWide(pgm).samples, values.map(UInt16.init))
        // Another maximum: scaled from it to 8 bits, and to 0...65535 when kept wide.
        let thousand = Array("P5 2 1 1000\n".utf8) + [0x01, 0xF4, 0x03, 0xE8]  // 500, 1000
        XCTAssertEqual(try ImageDecoder.decode(thousand).samples, [128, 255])
        XCTAssertEqual(try ImageDecoder.decodeWide(thousand).samples, [32768, 65535])
    }

    func testThe16BitPAMWriterKeepsEveryBit() throws {
        let wide = WideImage(width: 2, height: 1, layout: .grayAlpha, bitDepth: 16, samples: [1, 65535, 40000, 7])
        let pam = PNMEncoder.pam(wide)
        XCTAssertTrue(String(decoding: pam.prefix(60), as: UTF8.self).contains("MAXVAL 65535"))
        XCTAssertEqual(try ImageDecoder.decodeWide(pam), wide)
    }
}
