import Foundation
import XCTest
import TestSupport
@testable import ImageCodecs

/// Every fixture made by scripts/make-image-fixtures.py decodes to the pixels Pillow gives.
final class FixtureDecodingTests: XCTestCase {
    struct Expectation {
        let name: String
        let width: Int, height: Int
        let layout: String
        let samples16: String?
    }

    static func manifest() throws -> [Expectation] {
        let url = TestPaths.fixture("expected.json", target: "ImageCodecsTests")
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw BrokenFixture("expected.json is not an object of objects; rerun scripts/make-image-fixtures.py")
        }
        return try object.keys.sorted().map { name in
            guard let entry = object[name], let width = entry["width"] as? Int, let height = entry["height"] as? Int,
                  let layout = entry["layout"] as? String else {
                throw BrokenFixture("expected.json: \(name) lacks width, height or layout")
            }
            return Expectation(name: name, width: width, height: height, layout: layout, samples16: entry["samples16"] as? String)
        }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(name, target: "ImageCodecsTests")))
    }

    func testEveryFixtureDecodesToItsExpectedPixels() throws {
        let expectations = try Self.manifest()
        XCTAssertGreaterThan(expectations.count, 50)
        for expectation in expectations {
            let image: Image
            do {
                image = try ImageDecoder.decode(try Self.bytes(expectation.name))
            } catch {
                XCTFail("\(expectation.name): \(error)"); continue
            }
            XCTAssertEqual(image.width, expectation.width, expectation.name)
            XCTAssertEqual(image.height, expectation.height, expectation.name)
            XCTAssertEqual("\(image.layout)", expectation.layout, expectation.name)
            let expected = try Self.bytes(expectation.name + ".expected")
            if image.samples != expected {
                let first = zip(image.samples, expected).enumerated().first { $0.element.0 != $0.element.1 }
                XCTFail("\(expectation.name): samples differ, first at index \(first?.offset ?? -1): got \(first?.element.0 ?? 0), expected \(first?.element.1 ?? 0)")
            }
        }
    }

    func testSixteenBitPNGsKeepEveryBitThroughDecodeSamples() throws {
        let wide = try Self.manifest().filter { $0.samples16 != nil }
        XCTAssertGreaterThanOrEqual(wide.count, 5)
        for expectation in wide {
            guard let samplesName = expectation.samples16 else { continue }
            let decoded = try PNGDecoder.decodeSamples(try Self.bytes(expectation.name))
            XCTAssertEqual(decoded.bitDepth, 16, expectation.name)
            let raw = try Self.bytes(samplesName)
            let expected = stride(from: 0, to: raw.count, by: 2).map { UInt16(raw[$0]) << 8 | UInt16(raw[$0 + 1]) }
            XCTAssertEqual(decoded.samples, expected, expectation.name)
        }
    }

    func testFormatIsSniffedFromBytesNotNames() throws {
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("png_rgb8.png")), .png)
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("bmp_24bit.bmp")), .bmp)
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("pnm_P5_max255.pgm")), .pnm)
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("pam_rgb_alpha_max255.pam")), .pnm)
        XCTAssertEqual(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertEqual(ImageFormat.sniff(Array("GIF89a".utf8)), .gif)
        XCTAssertNil(ImageFormat.sniff(Array("<html>".utf8)))
        XCTAssertNil(ImageFormat.sniff([]))
        XCTAssertThrowsError(try ImageDecoder.decode(Array("hello world".utf8))) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .unknownFormat)
        }
    }
}
