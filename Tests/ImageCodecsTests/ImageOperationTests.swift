import TestSupport
import XCTest
@testable import ImageCodecs

final class ImageOperationTests: XCTestCase {
    private func gray(_ width: Int, _ height: Int, _ values: [UInt8]) -> Image {
        guard let image = Image(width: width, height: height, layout: .gray, samples: values) else {
            XCTFail("bad test image"); return Image(width: 0, height: 0, layout: .gray)
        }
        return image
    }

    func testGrayscaleUsesPillowsFixedPointLuma() throws {
        // Values checked against Pillow's convert("L").
        let rgb = try XCTUnwrap(Image(width: 4, height: 1, layout: .rgb,
                                      samples: [255, 0, 0, 0, 255, 0, 0, 0, 255, 214, 214, 0]))
        XCTAssertEqual(rgb.grayscale().samples, [76, 150, 29, 190])
        // Alpha is dropped, not applied.
        let rgba = try XCTUnwrap(Image(width: 1, height: 1, layout: .rgba, samples: [255, 255, 0, 82]))
        XCTAssertEqual(rgba.grayscale().samples, [226])
        // Grays stay exactly themselves.
        let grays = try XCTUnwrap(Image(width: 256, height: 1, layout: .rgb, samples: (0...255).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }))
        XCTAssertEqual(grays.grayscale().samples, (0...255).map { UInt8($0) })
    }

    func testCompositeOverBackground() throws {
        let rgba = try XCTUnwrap(Image(width: 2, height: 1, layout: .rgba, samples: [200, 100, 0, 255, 200, 100, 0, 0]))
        XCTAssertEqual(rgba.composited(over: (10, 20, 30)).samples, [200, 100, 0, 10, 20, 30])
        let half = try XCTUnwrap(Image(width: 1, height: 1, layout: .grayAlpha, samples: [0, 128]))
        let result = half.composited(over: (255, 255, 255))
        XCTAssertEqual(result.layout, .gray)
        XCTAssertEqual(result.samples, [127])  // 255 * 127 / 255
    }

    func testInvertKeepsAlpha() throws {
        let image = try XCTUnwrap(Image(width: 1, height: 1, layout: .grayAlpha, samples: [10, 77]))
        XCTAssertEqual(image.inverted().samples, [245, 77])
    }

    func testCropPadAndTranslate() {
        let image = gray(3, 2, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.cropped(to: PixelRect(x: 1, y: 0, width: 2, height: 2)).samples, [2, 3, 5, 6])
        XCTAssertEqual(image.cropped(to: PixelRect(x: 2, y: 1, width: 2, height: 2), fill: 9).samples, [6, 9, 9, 9])
        let padded = image.padded(top: 1, left: 1, bottom: 0, right: 0)
        XCTAssertEqual(padded.width, 4)
        XCTAssertEqual(padded.samples, [0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6])
        XCTAssertEqual(image.translated(dx: 1, dy: 0).samples, [0, 1, 2, 0, 4, 5])
        XCTAssertEqual(image.translated(dx: 0, dy: -1).samples, [4, 5, 6, 0, 0, 0])
        XCTAssertEqual(image.cropped(to: PixelRect(x: 10, y: 10, width: 2, height: 1)).samples, [0, 0])
    }

    func testAreaAveragingDownscale() {
        let image = gray(4, 2, [0, 10, 20, 30, 40, 50, 60, 71])
        let half = image.resizedByAreaAveraging(width: 2, height: 1)
        XCTAssertEqual(half.samples, [25, 45])  // (0+10+40+50)/4, (20+30+60+71)/4 = 45.25
        // A non-integer factor: 3 -> 2 pixels, the middle pixel split between both.
        let row = gray(3, 1, [0, 90, 180])
        XCTAssertEqual(row.resizedByAreaAveraging(width: 2, height: 1).samples, [30, 150])
    }

    /// The resize against a plain box filter written out here (each output pixel the
    /// coverage-weighted sum of its source pixels, rows then columns, in source order), on
    /// seeded random images, downscaling, upscaling and odd factors: the same bytes.
    func testAreaAveragingMatchesAPlainBoxFilter() throws {
        func coverage(_ outCount: Int, _ inCount: Int) -> [[(Int, Float)]] {
            let scale = Double(inCount) / Double(outCount)
            return (0..<outCount).map { index in
                let start = Double(index) * scale, end = Double(index + 1) * scale
                return (Int(start)..<min(inCount, Int(end.rounded(.up)) + 1)).compactMap { source in
                    let overlap = min(end, Double(source + 1)) - max(start, Double(source))
                    return overlap > 1e-9 ? (source, Float(overlap / scale)) : nil
                }
            }
        }
        var generator = SplitMix64(seed: 29)
        for layout in [PixelLayout.gray, .rgb] {
            for (width, height, outWidth, outHeight) in [(14, 23, 12, 20), (7, 10, 14, 20), (31, 17, 20, 11), (5, 5, 20, 20), (40, 3, 9, 7)] {
                let samples = (0..<(width * height * layout.channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                let image = try XCTUnwrap(Image(width: width, height: height, layout: layout, samples: samples))
                let columns = coverage(outWidth, width), rows = coverage(outHeight, height), channels = layout.channels
                var horizontal = [Float](repeating: 0, count: outWidth * height * channels)
                for y in 0..<height { for (outX, weights) in columns.enumerated() { for c in 0..<channels {
                    var sum: Float = 0
                    for (x, weight) in weights { sum += Float(samples[(y * width + x) * channels + c]) * weight }
                    horizontal[(y * outWidth + outX) * channels + c] = sum
                } } }
                var expected = [UInt8](repeating: 0, count: outWidth * outHeight * channels)
                for (outY, weights) in rows.enumerated() { for outX in 0..<outWidth { for c in 0..<channels {
                    var sum: Float = 0
                    for (y, weight) in weights { sum += horizontal[(y * outWidth + outX) * channels + c] * weight }
                    expected[(outY * outWidth + outX) * channels + c] = UInt8(max(0, min(255, sum.rounded())))
                } } }
                XCTAssertEqual(image.resizedByAreaAveraging(width: outWidth, height: outHeight).samples, expected,
                               "\(layout) \(width)x\(height) -> \(outWidth)x\(outHeight)")
            }
        }
    }

    func testBilinearResize() {
        let constant = Image(width: 5, height: 3, layout: .rgb, fill: 123)
        let scaled = constant.resizedBilinear(width: 11, height: 7)
        XCTAssertEqual(scaled.samples, [UInt8](repeating: 123, count: 11 * 7 * 3))
        // Doubling [0, 100]: centres at 0.25 and 0.75 of the gap.
        let row = gray(2, 1, [0, 100]).resizedBilinear(width: 4, height: 1)
        XCTAssertEqual(row.samples, [0, 25, 75, 100])
    }

    func testOtsuSeparatesTwoModes() {
        var values = [UInt8](repeating: 20, count: 50) + [UInt8](repeating: 200, count: 50)
        values[0] = 30; values[99] = 190
        let image = gray(10, 10, values)
        let threshold = image.otsuThreshold()
        XCTAssertGreaterThanOrEqual(threshold, 30)
        XCTAssertLessThan(threshold, 190)
        XCTAssertEqual(image.thresholded(above: threshold).samples.filter { $0 == 255 }.count, 50)
    }

    func testBoundingBoxAndCentreOfMass() throws {
        var image = Image(width: 6, height: 5, layout: .gray)
        image.samples[1 * 6 + 2] = 100
        image.samples[3 * 6 + 4] = 100
        XCTAssertEqual(image.foregroundBoundingBox(), PixelRect(x: 2, y: 1, width: 3, height: 3))
        let centre = try XCTUnwrap(image.centreOfMass())
        XCTAssertEqual(centre.x, 3, accuracy: 1e-9)
        XCTAssertEqual(centre.y, 2, accuracy: 1e-9)
        XCTAssertNil(Image(width: 3, height: 3, layout: .gray).foregroundBoundingBox())
        XCTAssertNil(Image(width: 3, height: 3, layout: .gray).centreOfMass())
    }

    func testFloatConversionRoundTrips() throws {
        let image = gray(2, 2, [0, 1, 128, 255])
        let floats = image.floatSamples(scale: 1 / 255)
        XCTAssertEqual(floats[3], 1, accuracy: 1e-6)
        let back = try XCTUnwrap(Image(width: 2, height: 2, layout: .gray, floatSamples: floats.map { $0 * 255 }))
        XCTAssertEqual(back, image)
        XCTAssertEqual(Image(width: 1, height: 1, layout: .gray, floatSamples: [300])?.samples, [255])
        XCTAssertNil(Image(width: 2, height: 2, layout: .gray, floatSamples: [1]))
    }
}
