import Foundation
import TestSupport
import XCTest
@testable import ImageCodecs

/// Damaged, hostile and unsupported GIF and TIFF files: every failure is a typed error whose
/// message names the problem, never a trap, and huge headers are refused before allocating.
final class GIFTIFFErrorTests: XCTestCase {
    private func failure(_ bytes: [UInt8], limits: DecodingLimits = .default) -> ImageDecodingError? {
        do {
            _ = try ImageDecoder.decode(bytes, limits: limits)
            return nil
        } catch let error as ImageDecodingError {
            XCTAssertFalse(error.message.isEmpty)
            return error
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    /// A GIF89a with a 4-colour global table and one frame of the given LZW bytes.
    private func gif(width: UInt16 = 4, height: UInt16 = 2, frameWidth: UInt16? = nil, frameHeight: UInt16? = nil,
                     minimumCodeSize: UInt8 = 2, lzw: [UInt8], palette: Bool = true) -> [UInt8] {
        func le(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
        var bytes = Array("GIF89a".utf8) + le(width) + le(height) + [palette ? 0x81 : 0x00, 0, 0]
        if palette { bytes += [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255] }
        bytes += [0x2C] + le(0) + le(0) + le(frameWidth ?? width) + le(frameHeight ?? height) + [0, minimumCodeSize]
        bytes += [UInt8(lzw.count)] + lzw + [0, 0x3B]
        return bytes
    }

    /// Codes of `size` bits packed least significant bit first; `widenAfter` codes, one bit more.
    private func packed(_ codes: [Int], size: Int, widenAfter: Int = Int.max) -> [UInt8] {
        var writer = HandmadeBitStream()
        for (index, code) in codes.enumerated() { writer.bits(code, index < widenAfter ? size : size + 1) }
        return writer.bytes
    }

    func testAHandMadeGIFDecodes() throws {
        // clear, 0, 1, 2, then 4-bit codes (the table reached 8 entries): 3, 6 (= "0 1"), end.
        let image = try ImageDecoder.decode(gif(width: 6, height: 1, lzw: packed([4, 0, 1, 2, 3, 6, 5], size: 3, widenAfter: 4)))
        XCTAssertEqual(image.layout, .rgb)
        XCTAssertEqual(image.samples, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0])
    }

    func testKwKwKCodeIsItsPredecessorPlusItsFirstByte() throws {
        // clear, 1, 6 (not yet defined: "1 1"), end -> three index-1 pixels.
        let image = try ImageDecoder.decode(gif(width: 3, height: 1, lzw: packed([4, 1, 6, 5], size: 3)))
        XCTAssertEqual(image.samples, [0, 255, 0, 0, 255, 0, 0, 255, 0])
    }

    func testBrokenGIFsAreRefusedWithReasons() {
        XCTAssertEqual(failure(Array("GIF89a".utf8))?.kind, .truncated)
        XCTAssertEqual(failure(Array("GIF89a".utf8) + [4, 0, 2, 0, 0, 0, 0, 0x3B])?.message.contains("before any image"), true)
        let noPalette = failure(gif(lzw: packed([4, 0, 5], size: 3), palette: false))
        XCTAssertEqual(noPalette?.message.contains("colour table"), true, noPalette?.message ?? "accepted")
        XCTAssertEqual(failure(gif(lzw: packed([4, 0, 7, 5], size: 3)))?.message.contains("before defining it"), true)
        XCTAssertEqual(failure(gif(lzw: packed([6, 0, 5], size: 3)))?.message.contains("not a colour index"), true)
        // Eight pixels promised, two delivered.
        let short = failure(gif(lzw: packed([4, 0, 1, 5], size: 3)))
        XCTAssertEqual(short?.kind, .truncated)
        XCTAssertEqual(short?.message.contains("2 of its 8 pixels"), true, short?.message ?? "")
        XCTAssertEqual(failure(gif(frameWidth: 0, lzw: packed([4, 5], size: 3)))?.kind, .invalid)
        XCTAssertEqual(failure(gif(minimumCodeSize: 13, lzw: []))?.message.contains("minimum code size"), true)
    }

    func testHugeGIFsAreRefusedBeforeDecoding() {
        XCTAssertEqual(failure(gif(width: 60000, height: 60000, lzw: packed([4, 5], size: 3)))?.kind, .tooLarge)
        XCTAssertEqual(failure(gif(frameWidth: 60000, frameHeight: 60000, lzw: packed([4, 5], size: 3)))?.kind, .tooLarge)
    }

    /// A little-endian TIFF with the given IFD entries (tag, type, values) of SHORT (3) or LONG
    /// (4) values: inline when they fit in four bytes, else after the directory; the pixels last.
    private func tiff(_ entries: [(Int, Int, [Int])], pixels: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
        func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16) }
        let sorted = entries.sorted(by: { $0.0 < $1.0 })
        let dataStart = 8 + 2 + 12 * entries.count + 4
        var data: [UInt8] = []
        var fields: [UInt8] = []
        let encoded = sorted.map { tag, type, values in (tag, type, values.flatMap { type == 3 ? le16($0) : le32($0) }) }
        let pixelStart = dataStart + encoded.reduce(0) { $0 + ($1.2.count > 4 ? $1.2.count : 0) }
        for (tag, type, bytes) in encoded {
            let count = bytes.count / (type == 3 ? 2 : 4)
            let value = tag == 273 ? le32(pixelStart) : bytes
            if value.count > 4 {
                fields += le16(tag) + le16(type) + le32(count) + le32(dataStart + data.count)
                data += value
            } else {
                fields += le16(tag) + le16(type) + le32(count) + value + [UInt8](repeating: 0, count: 4 - value.count)
            }
        }
        return [0x49, 0x49, 42, 0] + le32(8) + le16(entries.count) + fields + le32(0) + data + pixels
    }

    private func grayTIFF(_ extra: [(Int, Int, [Int])] = [], width: Int = 2, height: Int = 2, pixels: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        var entries: [Int: (Int, Int, [Int])] = [
            256: (256, 3, [width]), 257: (257, 3, [height]), 258: (258, 3, [8]), 259: (259, 3, [1]), 262: (262, 3, [1]),
            273: (273, 4, [0]), 277: (277, 3, [1]), 278: (278, 3, [height]), 279: (279, 4, [pixels.count]),
        ]
        for entry in extra { entries[entry.0] = entry }
        return tiff(Array(entries.values), pixels: pixels)
    }

    func testAHandMadeTIFFDecodes() throws {
        let image = try ImageDecoder.decode(grayTIFF())
        XCTAssertEqual(image.layout, .gray)
        XCTAssertEqual(image.samples, [1, 2, 3, 4])
    }

    func testUnsupportedTIFFsAreNamed() {
        let cases: [((Int, Int, [Int]), String)] = [
            ((259, 3, [7]), "JPEG"),
            ((259, 3, [4]), "CCITT fax 4"),
            ((262, 3, [5]), "CMYK"),
            ((262, 3, [6]), "YCbCr"),
            ((339, 3, [3]), "floating point"),
            ((258, 3, [12]), "12-bit"),
            ((322, 3, [16]), "tiled"),
            ((317, 3, [3]), "predictor 3"),
            ((266, 3, [2]), "fill order"),
        ]
        for (entry, words) in cases {
            let error = failure(grayTIFF([entry]))
            XCTAssertEqual(error?.kind, .unsupported, "\(entry)")
            XCTAssertEqual(error?.message.contains(words), true, "\(entry): \(error?.message ?? "accepted")")
        }
    }

    func testBrokenTIFFsAreRefusedWithReasons() {
        XCTAssertEqual(failure([0x49, 0x49, 42, 0, 8, 0])?.kind, .truncated)
        XCTAssertEqual(failure([0x49, 0x49, 43, 0, 8, 0, 0, 0])?.message.contains("BigTIFF"), true)
        XCTAssertEqual(failure(tiff([(257, 3, [2]), (262, 3, [1]), (273, 4, [0]), (279, 4, [4])]))?.message.contains("ImageWidth"), true)
        XCTAssertEqual(failure(grayTIFF([(279, 4, [400])]))?.kind, .truncated, "a strip past the end of the file")
        XCTAssertEqual(failure(grayTIFF(pixels: [1, 2]))?.kind, .truncated, "a strip too short for its rows")
        XCTAssertEqual(failure(grayTIFF([(259, 3, [5])], pixels: [0xFF, 0x80, 0xFF, 0xFF]))?.message.contains("LZW"), true)
        XCTAssertEqual(failure(grayTIFF([(259, 3, [5])], pixels: [0x00, 0x01, 0x00, 0x00]))?.message.contains("old-style"), true)
        XCTAssertEqual(failure(grayTIFF([(262, 3, [3])]))?.message.contains("ColorMap"), true)
        XCTAssertEqual(failure(grayTIFF([(277, 3, [5])]))?.kind, .unsupported)
    }

    func testAColorMapStoredAsLongValuesDecodes() throws {
        // Found by the TIFF fuzzer: 32-bit colour map values above 65535 trapped on conversion.
        let map = [0x1_FFFF, 0, 0x2_8000, 0xFFFF, 7, 0x1234_5678]
        let image = try ImageDecoder.decode(grayTIFF([(262, 3, [3]), (258, 3, [1]), (320, 4, map)], pixels: [0b1000_0000, 0]))
        XCTAssertEqual(image.layout, .rgb)
        // Pixel 0 uses entry 1, pixel 1 entry 0; each value keeps the high byte of its low 16 bits.
        XCTAssertEqual(Array(image.samples[0..<6]), [0x00, 0xFF, 0x56, 0xFF, 0x80, 0x00])
    }

    func testHugeTIFFIsRefusedBeforeDecoding() {
        XCTAssertEqual(failure(grayTIFF(width: 60000, height: 60000))?.kind, .tooLarge)
    }

    func testEveryTruncationAndDamageOfEveryFormatFixtureFailsCleanly() throws {
        var generator = SplitMix64(seed: 0x61F_71FF)
        var refused = 0, decoded = 0
        for expectation in try FormatFixtureTests.manifest() {
            let bytes = try FormatFixtureTests.bytes(expectation.name)
            let whole = try ImageDecoder.decode(bytes)
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)) {
                // A cut file fails, or still holds the whole first image (a GIF cut after its
                // first frame, a TIFF whose directory comes after what was cut): never another.
                if let image = try? ImageDecoder.decode(Array(bytes[0..<cut])) {
                    XCTAssertEqual(image, whole, "\(expectation.name) cut to \(cut) bytes decoded to a different image")
                } else {
                    XCTAssertNotNil(failure(Array(bytes[0..<cut])), expectation.name)
                }
            }
            for round in 0..<40 {
                var damaged = bytes
                for _ in 0..<3 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
                do {
                    let image = try ImageDecoder.decode(damaged)
                    XCTAssertEqual(image.samples.count, image.width * image.height * image.channels, "\(expectation.name) round \(round)")
                    decoded += 1
                } catch is ImageDecodingError {
                    refused += 1
                } catch {
                    XCTFail("\(expectation.name) damage round \(round): untyped error \(error)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(decoded, 0)
    }
}
