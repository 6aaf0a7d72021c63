import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// The project's own fixtures (scripts/make-jpeg-fixtures.py): every decoder path on tiny files,
/// compared with Pillow's (libjpeg-turbo's) decode, plus files that must be refused.
final class JPEGFixtureTests: XCTestCase {
    private let folder = TestPaths.fixture("jpeg", target: "ImageCodecsTests")

    private func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    private func decodesLikeReference(_ stem: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let referenceURL = ["pgm", "ppm"].map { folder.appendingPathComponent(stem + "." + $0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
        guard let referenceURL else { return XCTFail("\(stem) has no reference", file: file, line: line) }
        let image = try JPEGDecoder.decode(try bytes(stem + ".jpg"))
        let reference = try JPEGReference.readPNM(referenceURL)
        JPEGReference.assertMatches(image, reference, tolerance: JPEGReference.tolerance(forName: stem), stem,
                                    file: file, line: line)
    }

    func testEveryFixtureWithAReferenceMatchesIt() throws {
        let stems = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".jpg") && !$0.hasPrefix("refused_") }.map { String($0.dropLast(4)) }.sorted()
        XCTAssertGreaterThanOrEqual(stems.count, 15, "fixtures missing: run scripts/make-jpeg-fixtures.py")
        for stem in stems { try decodesLikeReference(stem) }
    }

    func testGrayscale() throws { try decodesLikeReference("gray_q85") }
    func testGrayscaleOddSize() throws { try decodesLikeReference("gray_odd_9x17") }
    func testSampling444() throws { try decodesLikeReference("rgb_444_q90") }
    func testSampling422() throws { try decodesLikeReference("rgb_422_q80") }
    func testSampling420() throws { try decodesLikeReference("rgb_420_q75") }
    func testSampling411() throws { try decodesLikeReference("rgb_411_cjpeg") }
    func testSampling440() throws { try decodesLikeReference("rgb_440_cjpeg") }
    func testProgressiveGray() throws { try decodesLikeReference("gray_progressive") }
    func testProgressive420() throws { try decodesLikeReference("rgb_420_progressive") }
    func testProgressive444() throws { try decodesLikeReference("rgb_444_progressive") }
    func testRestartIntervalInBlocks() throws { try decodesLikeReference("rgb_420_restart") }
    func testRestartIntervalInRows() throws { try decodesLikeReference("rgb_420_cjpeg_restart_rows") }
    func testProgressiveWithRestarts() throws { try decodesLikeReference("rgb_420_progressive_restart") }
    func testOptimizedHuffmanTables() throws { try decodesLikeReference("rgb_420_optimized") }
    func testChromaTooNarrowToInterpolate() throws {
        try decodesLikeReference("rgb_420_tiny_3x5")
        try decodesLikeReference("rgb_422_1x1")
    }
    func testExifICCAndCommentSegmentsAreSkipped() throws { try decodesLikeReference("rgb_420_exif_icc_comment") }
    func testShortSegmentLeavesTheRestGrayAsLibjpegDoes() throws { try decodesLikeReference("rgb_420_short_segment") }
    func testAdobeRGBWithoutColourTransform() throws { try decodesLikeReference("rgb_444_adobe_rgb") }

    func testOutputLayoutAndSize() throws {
        let gray = try JPEGDecoder.decode(try bytes("gray_odd_9x17.jpg"))
        XCTAssertEqual([gray.width, gray.height, gray.samples.count], [9, 17, 9 * 17])
        XCTAssertEqual(gray.layout, .gray)
        let colour = try JPEGDecoder.decode(try bytes("rgb_422_1x1.jpg"))
        XCTAssertEqual([colour.width, colour.height, colour.samples.count], [1, 1, 3])
        XCTAssertEqual(colour.layout, .rgb)
    }

    private func assertRefused(_ name: String, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try bytes(name)
        XCTAssertThrowsError(try JPEGDecoder.decode(data), name, file: file, line: line) { error in
            let message = String(describing: error).lowercased()
            for word in words {
                XCTAssertTrue(message.contains(word.lowercased()), "\(name): '\(message)' does not mention \(word)", file: file, line: line)
            }
        }
    }

    func testArithmeticCodingIsRefusedByName() throws { try assertRefused("refused_arithmetic.jpg", mentioning: ["arithmetic"]) }
    func testTwelveBitIsRefusedByName() throws { try assertRefused("refused_12bit.jpg", mentioning: ["12-bit"]) }
    func testLosslessIsRefusedByName() throws { try assertRefused("refused_lossless.jpg", mentioning: ["lossless"]) }
    func testCMYKIsRefusedByName() throws { try assertRefused("refused_cmyk.jpg", mentioning: ["CMYK"]) }
    func testTruncatedFileIsRefused() throws { try assertRefused("refused_truncated.jpg", mentioning: ["truncated"]) }
}
