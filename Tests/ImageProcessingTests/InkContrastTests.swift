import ImageCodecs
import ImageProcessing
import TestSupport
import XCTest

/// The ink map sees ink against its own paper: the same stroke reads the same in a shadow and
/// in the light, and the paper itself (however uneven) reads as nothing.
final class InkContrastTests: XCTestCase {
    /// A 200x100 page lit from the left (250) to a shadow on the right (130), with two equal
    /// strokes 60 levels darker than the paper under them.
    func unevenPage() -> Image {
        var page = Image(width: 200, height: 100, layout: .gray)
        for y in 0..<100 {
            for x in 0..<200 {
                var value = 250 - 120 * Double(x) / 199
                if (30..<34).contains(x) || (160..<164).contains(x), (20..<80).contains(y) { value -= 60 }
                page.samples[y * 200 + x] = UInt8(value.rounded())
            }
        }
        return page
    }

    func testStrokesReadAlikeInLightAndShadowAndPaperReadsAsNothing() {
        let map = InkContrast(darkInkOn: unevenPage(), cell: 5, radius: 3)
        let lit = map.ink.samples[50 * 200 + 31], shaded = map.ink.samples[50 * 200 + 161]
        XCTAssertEqual(Double(lit), 60, accuracy: 8)
        XCTAssertEqual(Double(shaded), 60, accuracy: 8)
        // Paper far from the strokes: no ink, however dark the shadow, up to the picture's edge
        // (where a gradient runs into the border).
        for x in [0, 5, 100, 130, 180, 199] { XCTAssertLessThanOrEqual(map.ink.samples[10 * 200 + x], 4, "x=\(x)") }
        // A global threshold on the gray page could not separate them: the shaded paper is
        // darker than the lit stroke.
        XCTAssertLessThan(unevenPage().samples[50 * 200 + 190], unevenPage().samples[50 * 200 + 31])
    }

    func testLighterThanPaperHistogramCountsOnlyThePapersGrain() {
        var generator = SplitMix64(seed: 3)
        var page = Image(width: 120, height: 80, layout: .gray, fill: 0)
        for index in page.samples.indices { page.samples[index] = UInt8(200 + Int(generator.next() % 9) - 4) }
        for y in 10..<70 { for x in 50..<56 { page.samples[y * 120 + x] = 40 } }
        let map = InkContrast(darkInkOn: page, cell: 4, radius: 3)
        let lighter = map.lighterThanPaper
        // Every pixel of a small picture is counted: lighter than paper, or ink, or exactly paper.
        XCTAssertLessThanOrEqual(lighter.reduce(0, +) + map.ink.samples.filter { $0 > 0 }.count, 120 * 80)
        XCTAssertGreaterThan(lighter.reduce(0, +), 120 * 80 / 4)
        XCTAssertLessThanOrEqual(Histogram.quantile(lighter, 0.99), 8, "grain of +-4 stays small")
        XCTAssertGreaterThan(map.ink.samples[40 * 120 + 52], 140)
        XCTAssertEqual(map.inkHistogram, map.ink.histogram(), "the histogram counted on the way is the map's")
    }

    func testBlockMeansAndQuantiles() throws {
        let image = try XCTUnwrap(Image(width: 5, height: 3, layout: .gray, samples: [
            0, 10, 20, 30, 40,
            50, 60, 70, 80, 90,
            100, 110, 120, 130, 140]))
        let means = image.blockMeans(cell: 2)
        XCTAssertEqual(means.width, 3)
        XCTAssertEqual(means.height, 2)
        XCTAssertEqual(means.samples, [30, 50, 65, 105, 125, 140])
        var counts = [Int](repeating: 0, count: 256)
        counts[3] = 5; counts[7] = 5
        XCTAssertEqual(Histogram.quantile(counts, 0.5), 3)
        XCTAssertEqual(Histogram.quantile(counts, 0.51), 7)
        XCTAssertEqual(Histogram.quantile(counts, 0.5, from: 4), 7)
        XCTAssertEqual(Histogram.quantile([Int](repeating: 0, count: 256), 0.9), 0)
    }
}
