import Foundation
import TestSupport
import XCTest
@testable import ImageCodecs

/// Finding 8 of issue 13: GIF and baseline TIFF files written by scripts/make-format-fixtures.py
/// (by Pillow and by hand) decode to the pixels Pillow gives, and 16-bit files keep their bits
/// through `decodeWide`.
final class FormatFixtureTests: XCTestCase {
    struct Expectation {
        let name: String
        let width: Int, height: Int
        let layout: String
        let sha256: String
        let wideSha256: String?
    }

    static func manifest() throws -> [Expectation] {
        let data = try Data(contentsOf: TestPaths.fixture("formats/expected.json", target: "ImageCodecsTests"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw BrokenFixture("formats/expected.json is not an object of objects; rerun scripts/make-format-fixtures.py")
        }
        return try object.keys.sorted().map { name in
            guard let entry = object[name], let width = entry["width"] as? Int, let height = entry["height"] as? Int,
                  let layout = entry["layout"] as? String, let sha256 = entry["sha256"] as? String else {
                throw BrokenFixture("formats/expected.json: \(name) lacks width, height, layout or sha256")
            }
            return Expectation(name: name, width: width, height: height, layout: layout, sha256: sha256,
                               wideSha256: entry["wideSha256"] as? String)
        }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture("formats/" + name, target: "ImageCodecsTests")))
    }

    func testEveryGIFAndTIFFDecodesToPillowsPixels() throws {
        let expectations = try Self.manifest()
        XCTAssertGreaterThanOrEqual(expectations.filter { $0.name.hasSuffix(".gif") }.count, 12)
        XCTAssertGreaterThanOrEqual(expectations.filter { $0.name.hasSuffix(".tif") }.count, 40)
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
            XCTAssertEqual(SHA256ForTests.hex(image.samples), expectation.sha256, "\(expectation.name): samples differ from Pillow's")
        }
    }

    func testSixteenBitFilesKeepEveryBit() throws {
        let wide = try Self.manifest().filter { $0.wideSha256 != nil }
        XCTAssertGreaterThanOrEqual(wide.count, 10)
        for expectation in wide {
            let decoded = try ImageDecoder.decodeWide(try Self.bytes(expectation.name))
            XCTAssertEqual(decoded.bitDepth, 16, expectation.name)
            let bigEndian = decoded.samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            XCTAssertEqual(SHA256ForTests.hex(bigEndian), expectation.wideSha256, expectation.name)
        }
    }

    func testFormatsAreSniffed() throws {
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("gif_87a.gif")), .gif)
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("tiff_rgb8_mm_packbits.tif")), .tiff)
        XCTAssertEqual(ImageFormat.sniff(try Self.bytes("tiff_pillow_l_raw.tif")), .tiff)
    }
}
