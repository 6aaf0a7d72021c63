import Foundation
import XCTest
import TestSupport
@testable import ImageCodecs

/// The PngSuite in ../shared/conformance/pngsuite: every valid file decodes to exactly the
/// RGBA hash in expected.json (16-bit samples hashed big-endian), every x*.png is refused.
final class PNGConformanceTests: XCTestCase {
    func testPngSuite() throws {
        let folder = "conformance/pngsuite"
        guard let url = TestPaths.shared(folder) else { throw XCTSkip(TestPaths.sharedMissingMessage(folder)) }
        let data = try Data(contentsOf: url.appendingPathComponent("expected.json"))
        guard let expected = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            return XCTFail("expected.json is not an object of objects")
        }
        var valid = 0, refused = 0
        for name in expected.keys.sorted() {
            guard let entry = expected[name] else { continue }
            let bytes = [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
            if entry["valid"] as? Bool != true {
                XCTAssertThrowsError(try PNGDecoder.decodeSamples(bytes), "\(name) is corrupt and must be refused")
                XCTAssertThrowsError(try ImageDecoder.decode(bytes), "\(name) is corrupt and must be refused")
                refused += 1
                continue
            }
            do {
                let decoded = try PNGDecoder.decodeSamples(bytes)
                XCTAssertEqual(decoded.width, entry["width"] as? Int, name)
                XCTAssertEqual(decoded.height, entry["height"] as? Int, name)
                XCTAssertEqual(decoded.bitDepth, entry["depth"] as? Int, name)
                let rgba = decoded.rgba()
                let hashed: [UInt8] = decoded.bitDepth == 16
                    ? rgba.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                    : rgba.map { UInt8($0) }
                XCTAssertEqual(SHA256ForTests.hex(hashed), entry["rgba_sha256"] as? String, "\(name): pixels differ from pypng's")
                // The 8-bit path must agree with the lossless one wherever no precision is lost.
                let image = try ImageDecoder.decode(bytes)
                if decoded.bitDepth == 8 {
                    XCTAssertEqual(image.samples.map { UInt16($0) }, decoded.samples, name)
                }
                valid += 1
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
        XCTAssertGreaterThan(valid, 150)
        XCTAssertGreaterThan(refused, 10)
    }

    func testSHA256MatchesKnownDigests() {
        XCTAssertEqual(SHA256ForTests.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256ForTests.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
