import Foundation
import TestSupport
import XCTest
@testable import ImageCodecs

/// Each format's limits on both sides, and the image operations' rounding, on inputs chosen so
/// that an off-by-one or a dropped rounding term changes the answer.
final class CodecEdgeTests: XCTestCase {
    private func kind(of body: () throws -> Image) -> ImageDecodingError.Kind? {
        do {
            _ = try body()
            return nil
        } catch let error as ImageDecodingError {
            return error.kind
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    private func palettePNG(entries: Int, transparency: Int? = nil, index: UInt8 = 0) -> [UInt8] {
        let header = PNGTestBuilder.ihdr(width: 1, height: 1, depth: 8, colorType: 3)
        var middle = PNGTestBuilder.chunk("PLTE", [UInt8](repeating: 90, count: entries * 3))
        if let transparency { middle += PNGTestBuilder.chunk("tRNS", [UInt8](repeating: 128, count: transparency)) }
        return PNGTestBuilder.png(header, middle, raw: [0, index])
    }

    func testPNGPaletteOf256EntriesAndTransparencyForEach() {
        XCTAssertNil(kind { try ImageDecoder.decode(palettePNG(entries: 256, index: 255)) })
        XCTAssertEqual(kind { try ImageDecoder.decode(palettePNG(entries: 257)) }, .invalid, "257 palette entries")
        XCTAssertNil(kind { try ImageDecoder.decode(palettePNG(entries: 4, transparency: 4)) })
        XCTAssertEqual(kind { try ImageDecoder.decode(palettePNG(entries: 4, transparency: 5)) }, .invalid, "tRNS longer than PLTE")
    }

    func testPNGUnknownChunksAndInterlaceMethods() {
        let header = PNGTestBuilder.ihdr(width: 1, height: 1, depth: 8, colorType: 0)
        // Ancillary (lowercase first letter) chunks are skipped; an unknown critical one is refused.
        XCTAssertNil(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, PNGTestBuilder.chunk("zzZz", [1, 2]), raw: [0, 7])) })
        XCTAssertEqual(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, PNGTestBuilder.chunk("ZZZz", [1, 2]), raw: [0, 7])) }, .invalid)
        // Interlace methods 0 and 1 exist, 2 does not.
        XCTAssertNil(kind { try ImageDecoder.decode(PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 1, height: 1, depth: 8, colorType: 0, interlace: 1), raw: [0, 7])) })
        XCTAssertEqual(kind { try ImageDecoder.decode(PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 1, height: 1, depth: 8, colorType: 0, interlace: 2), raw: [0, 7])) }, .invalid)
    }

    func testBMPPaletteIndexEqualToThePaletteSizeIsInvalid() throws {
        // An 8-bit BMP, 1x1, whose pixel is index `index` of a palette of `colours` entries.
        func bmp(colours: Int, index: UInt8) -> [UInt8] {
            let pixelOffset = 54 + colours * 4
            var bytes = [UInt8](repeating: 0, count: pixelOffset + 4)
            bytes[0] = 0x42; bytes[1] = 0x4D
            bytes[10] = UInt8(pixelOffset & 0xFF); bytes[11] = UInt8(pixelOffset >> 8)
            bytes[14] = 40; bytes[18] = 1; bytes[22] = 1; bytes[26] = 1; bytes[28] = 8
            bytes[46] = UInt8(colours)
            for entry in 0..<colours { bytes[54 + entry * 4] = UInt8(entry * 10) }
            bytes[pixelOffset] = index
            return bytes
        }
        XCTAssertNil(kind { try ImageDecoder.decode(bmp(colours: 4, index: 3)) })
        XCTAssertEqual(kind { try ImageDecoder.decode(bmp(colours: 4, index: 4)) }, .invalid)
    }

    func testPNMMaxvalAndPixelDataToTheLastByte() {
        XCTAssertNil(kind { try ImageDecoder.decode(Array("P5\n1 1\n65535\n".utf8) + [0xFF, 0xFF]) })
        XCTAssertEqual(kind { try ImageDecoder.decode(Array("P5\n1 1\n65536\n".utf8) + [0xFF, 0xFF]) }, .invalid)
        XCTAssertNil(kind { try ImageDecoder.decode(Array("P6\n2 1\n255\n".utf8) + [1, 2, 3, 4, 5, 6]) })
        XCTAssertEqual(kind { try ImageDecoder.decode(Array("P6\n2 1\n255\n".utf8) + [1, 2, 3, 4, 5]) }, .truncated)
    }

    /// Every fixture cut one byte short is refused (the general truncation test samples cut points).
    func testEveryFixtureOneByteShortIsRefused() throws {
        for expectation in try FixtureDecodingTests.manifest() {
            let bytes = try FixtureDecodingTests.bytes(expectation.name)
            XCTAssertNotNil(kind { try ImageDecoder.decode(Array(bytes.dropLast())) }, "\(expectation.name) one byte short")
        }
    }

    func testJPEGSamplingFactorsAbove4AreRefused() throws {
        let original = [UInt8](try Data(contentsOf: TestPaths.fixture("jpeg/gray_q85.jpg", target: "ImageCodecsTests")))
        let sof = try XCTUnwrap((0..<(original.count - 1)).first { original[$0] == 0xFF && original[$0 + 1] == 0xC0 })
        // SOF0: marker, length, precision, height, width, count, then id, sampling (h << 4 | v), table.
        func samplingError(_ factors: UInt8) -> String? {
            var bytes = original
            bytes[sof + 11] = factors
            do { _ = try JPEGDecoder.decode(bytes) } catch { return "\(error)".contains("sampling") ? "\(error)" : nil }
            return nil
        }
        XCTAssertNil(samplingError(0x44), "4x4 sampling is allowed")
        XCTAssertNotNil(samplingError(0x54), "h = 5")
        XCTAssertNotNil(samplingError(0x45), "v = 5")
    }

    func testGrayscaleRoundsAsPillowsL() {
        // Pillow 13: Image.new("RGB", (1, 1), px).convert("L").getpixel((0, 0)).
        let cases: [([UInt8], UInt8)] = [([0, 0, 5], 1), ([1, 2, 3], 2), ([255, 0, 128], 91), ([10, 200, 7], 121)]
        for (pixel, expected) in cases {
            let image = Image(width: 1, height: 1, layout: .rgb, samples: pixel)!
            XCTAssertEqual(image.grayscale().samples, [expected], "\(pixel)")
        }
    }

    func testCompositingRoundsToNearest() {
        // 1 x 128/255 over black is 0.502: rounded, 1.
        let pixel = Image(width: 1, height: 1, layout: .grayAlpha, samples: [1, 128])!
        XCTAssertEqual(pixel.composited(over: (0, 0, 0)).samples, [1])
    }

    func testOtsuKeepsTheFirstOfEqualSplits() {
        // Half 0, half 255: every threshold 0...254 splits the same way; the first is taken.
        let image = Image(width: 4, height: 1, layout: .gray, samples: [0, 0, 255, 255])!
        XCTAssertEqual(image.otsuThreshold(), 0)
    }

    func testAreaAveragingWeighsPartialPixels() {
        // 3 -> 2: each output covers 1.5 source pixels.
        let row = Image(width: 3, height: 1, layout: .gray, samples: [0, 90, 180])!
        XCTAssertEqual(row.resizedByAreaAveraging(width: 2, height: 1).samples, [30, 150])
        let five = Image(width: 5, height: 1, layout: .gray, samples: [10, 20, 30, 40, 250])!
        // 5 -> 2: (10 + 20 + 0.5 x 30) / 2.5 = 18, (0.5 x 30 + 40 + 250) / 2.5 = 122.
        XCTAssertEqual(five.resizedByAreaAveraging(width: 2, height: 1).samples, [18, 122])
    }
}
