import Foundation
import XCTest
import TestSupport
@testable import ImageCodecs

/// Damaged and hostile input: every failure is a typed error with a useful message, never a
/// trap, and huge headers are refused before anything is allocated.
final class DecoderSafetyTests: XCTestCase {
    private func kind(of body: () throws -> Image) -> ImageDecodingError.Kind? {
        do {
            _ = try body()
            return nil
        } catch let error as ImageDecodingError {
            XCTAssertFalse(error.message.isEmpty)
            return error.kind
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    func testHugePNGHeaderIsRefusedBeforeInflating() {
        let png = PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 100_000, height: 100_000, depth: 8, colorType: 0), raw: [0, 0])
        XCTAssertEqual(kind { try ImageDecoder.decode(png) }, .tooLarge)
        let small = DecodingLimits(maxPixels: 10)
        let fourByFour = PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 4, height: 4, depth: 8, colorType: 0), raw: [UInt8](repeating: 0, count: 20))
        XCTAssertEqual(kind { try ImageDecoder.decode(fourByFour, limits: small) }, .tooLarge)
        XCTAssertNil(kind { try ImageDecoder.decode(fourByFour) }, "the same file is fine under the default limit")
    }

    /// The pixel limit is inclusive in every format: a file of exactly `maxPixels` pixels
    /// decodes, the same file under a limit one lower is refused as too large.
    func testPixelLimitIsInclusiveInEveryFormat() throws {
        var files = try FixtureDecodingTests.manifest().map { ($0.name, $0.width * $0.height) }
        let jpegFolder = TestPaths.fixture("jpeg", target: "ImageCodecsTests")
        for name in try FileManager.default.contentsOfDirectory(atPath: jpegFolder.path).sorted() where name.hasSuffix(".jpg") && !name.hasPrefix("refused_") {
            let image = try ImageDecoder.decode(try FixtureDecodingTests.bytes("jpeg/" + name))
            files.append(("jpeg/" + name, image.width * image.height))
        }
        var formats: Set<String> = []
        for (name, pixels) in files {
            let bytes = try FixtureDecodingTests.bytes(name)
            XCTAssertNil(kind { try ImageDecoder.decode(bytes, limits: DecodingLimits(maxPixels: pixels)) },
                         "\(name): \(pixels) pixels under a limit of \(pixels)")
            XCTAssertEqual(kind { try ImageDecoder.decode(bytes, limits: DecodingLimits(maxPixels: pixels - 1)) }, .tooLarge,
                           "\(name): \(pixels) pixels under a limit of \(pixels - 1)")
            formats.insert(String(name.prefix { $0 != "_" && $0 != "/" }))
        }
        XCTAssertEqual(formats, ["png", "bmp", "pnm", "pam", "jpeg"])
    }

    func testZeroSizedPNGIsInvalid() {
        let png = PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 0, height: 5, depth: 8, colorType: 0), raw: [0])
        XCTAssertEqual(kind { try ImageDecoder.decode(png) }, .invalid)
    }

    func testPaletteIndexOutsidePaletteIsInvalid() {
        let header = PNGTestBuilder.ihdr(width: 2, height: 1, depth: 8, colorType: 3)
        let palette = PNGTestBuilder.chunk("PLTE", [255, 0, 0, 0, 255, 0])
        XCTAssertNil(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, palette, raw: [0, 1, 0])) })
        XCTAssertEqual(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, palette, raw: [0, 1, 7])) }, .invalid)
    }

    func testFilterTypeAboveFourIsInvalid() {
        let header = PNGTestBuilder.ihdr(width: 1, height: 1, depth: 8, colorType: 0)
        XCTAssertEqual(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, raw: [5, 9])) }, .invalid)
    }

    func testShortImageDataIsTruncated() {
        let header = PNGTestBuilder.ihdr(width: 3, height: 3, depth: 8, colorType: 0)
        XCTAssertEqual(kind { try ImageDecoder.decode(PNGTestBuilder.png(header, raw: [0, 1, 2, 3, 0, 1])) }, .truncated)
    }

    func testEveryFlippedCRCByteIsDetected() throws {
        let good = try FixtureDecodingTests.bytes("png_gray8.png")
        // Last four bytes of the file are IEND's CRC; the one before IHDR data ends at 33.
        for position in [29, 30, 31, 32, good.count - 1] {
            var bad = good
            bad[position] ^= 0x40
            XCTAssertEqual(kind { try ImageDecoder.decode(bad) }, .checksumMismatch, "byte \(position)")
        }
    }

    func testEveryTruncationOfEveryFixtureFailsCleanly() throws {
        for expectation in try FixtureDecodingTests.manifest() {
            let bytes = try FixtureDecodingTests.bytes(expectation.name)
            // PNG needs everything up to IEND; BMP and PNM need every pixel byte.
            let cuts = Set(Array(0..<min(bytes.count, 80)) + stride(from: 80, to: bytes.count, by: 7))
            for cut in cuts.sorted() {
                let result = kind { try ImageDecoder.decode(Array(bytes[0..<cut])) }
                XCTAssertNotNil(result, "\(expectation.name) cut to \(cut) bytes was accepted")
            }
        }
    }

    func testCorruptedPixelBytesNeverTrap() throws {
        // Overwrite bytes all over each file: a typed error or a well-formed image are both
        // fine; any other error, or an image whose samples do not fill its size, is a failure.
        // Seeded, so a failure reproduces.
        var generator = SplitMix64(seed: 0x5EED)
        var refused = 0, decoded = 0
        for expectation in try FixtureDecodingTests.manifest() {
            let bytes = try FixtureDecodingTests.bytes(expectation.name)
            for round in 0..<300 {
                var damaged = bytes
                for _ in 0..<3 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
                do {
                    let image = try ImageDecoder.decode(damaged)
                    XCTAssertEqual(image.samples.count, image.width * image.height * image.channels,
                                   "\(expectation.name) damage round \(round): samples do not fill the image")
                    XCTAssertGreaterThan(image.width * image.height, 0, "\(expectation.name) round \(round)")
                    decoded += 1
                } catch let error as ImageDecodingError {
                    XCTAssertFalse(error.message.isEmpty, "\(expectation.name) round \(round)")
                    refused += 1
                } catch {
                    XCTFail("\(expectation.name) damage round \(round): untyped error \(error)")
                }
            }
        }
        // Both outcomes occur: the damage reaches checked headers and unchecked pixel bytes.
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(decoded, 0)
    }

    func testHugeBMPAndPNMHeadersAreRefused() {
        var bmp = [UInt8](repeating: 0, count: 54)
        bmp[0] = 0x42; bmp[1] = 0x4D; bmp[10] = 54; bmp[14] = 40
        bmp[18] = 0xA0; bmp[19] = 0x86; bmp[20] = 0x01  // width 100000
        bmp[22] = 0xA0; bmp[23] = 0x86; bmp[24] = 0x01  // height 100000
        bmp[26] = 1; bmp[28] = 24
        XCTAssertEqual(kind { try ImageDecoder.decode(bmp) }, .tooLarge)
        XCTAssertEqual(kind { try ImageDecoder.decode(Array("P5\n100000 100000\n255\n".utf8)) }, .tooLarge)
        XCTAssertEqual(kind { try ImageDecoder.decode(Array("P5\n0 10\n255\n".utf8)) }, .invalid)
        XCTAssertEqual(kind { try ImageDecoder.decode(Array("P7\nWIDTH 100000\nHEIGHT 100000\nDEPTH 1\nMAXVAL 255\nENDHDR\n".utf8)) }, .tooLarge)
    }

    func testBMPPaletteIndexOutsidePaletteIsInvalid() throws {
        var bmp = try FixtureDecodingTests.bytes("bmp_4bit.bmp")
        // Claim 4 colours; the pixels use all 16.
        bmp[46] = 4
        XCTAssertEqual(kind { try ImageDecoder.decode(bmp) }, .invalid)
    }

    func testErrorMessagesNameTheFormat() {
        let error = ImageDecodingError(.png, .truncated, "the file ends inside the IDAT chunk")
        XCTAssertEqual(error.description, "PNG image: the file ends inside the IDAT chunk")
    }

    /// JPEG errors reach `ImageDecoder` callers as `ImageDecodingError`, like every other format's.
    func testJPEGErrorsArriveAsImageDecodingErrors() throws {
        let jpeg = try FixtureDecodingTests.bytes("jpeg/gray_q85.jpg")
        XCTAssertThrowsError(try ImageDecoder.decode(Array(jpeg.prefix(jpeg.count / 2)))) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.format, .jpeg)
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .truncated)
        }
        XCTAssertThrowsError(try ImageDecoder.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0])) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.format, .jpeg)
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .invalid)
        }
    }
}
