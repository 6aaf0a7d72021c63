import ImageCodecs
import ImageProcessing
import TestSupport
import XCTest

/// Min/max filters against a direct computation, and the closing's promise: dark strokes
/// narrower than the square vanish, wider shapes stay.
final class MorphologyTests: XCTestCase {
    func gray(_ width: Int, _ height: Int, _ values: [UInt8]) throws -> Image {
        try XCTUnwrap(Image(width: width, height: height, layout: .gray, samples: values))
    }

    /// The extremum over the clamped square, pixel by pixel.
    func direct(_ image: Image, radius: Int, maximum: Bool) -> [UInt8] {
        var out = image.samples
        for y in 0..<image.height {
            for x in 0..<image.width {
                var best: UInt8 = maximum ? 0 : 255
                for dy in -radius...radius {
                    for dx in -radius...radius {
                        let sx = min(max(x + dx, 0), image.width - 1), sy = min(max(y + dy, 0), image.height - 1)
                        let value = image.samples[sy * image.width + sx]
                        best = maximum ? max(best, value) : min(best, value)
                    }
                }
                out[y * image.width + x] = best
            }
        }
        return out
    }

    func testDilationAndErosionMatchTheDirectExtremum() throws {
        var generator = SplitMix64(seed: 7)
        for (width, height) in [(1, 1), (7, 3), (13, 17), (40, 9)] {
            let image = try gray(width, height, (0..<(width * height)).map { _ in UInt8(generator.next() % 256) })
            for radius in [1, 2, 3, 6] {
                XCTAssertEqual(image.dilated(radius: radius).samples, direct(image, radius: radius, maximum: true), "\(width)x\(height) r\(radius)")
                XCTAssertEqual(image.eroded(radius: radius).samples, direct(image, radius: radius, maximum: false), "\(width)x\(height) r\(radius)")
            }
            XCTAssertEqual(image.dilated(radius: 0), image)
        }
    }

    func testClosingRemovesThinDarkStrokesAndKeepsWideOnes() throws {
        var page = Image(width: 30, height: 10, layout: .gray, fill: 200)
        for y in 0..<10 {
            page.samples[y * 30 + 5] = 20                      // a 1-pixel dark line
            for x in 15..<25 { page.samples[y * 30 + x] = 20 }  // a 10-pixel dark band
        }
        let closed = page.closed(radius: 2)
        XCTAssertEqual(closed.samples[3 * 30 + 5], 200, "a stroke narrower than the square is gone")
        XCTAssertEqual(closed.samples[3 * 30 + 20], 20, "a band wider than the square stays")
        XCTAssertEqual(page.opened(radius: 2).samples, page.samples.map { _ in 0 }.enumerated().map { page.eroded(radius: 2).dilated(radius: 2).samples[$0.offset] })
    }
}
