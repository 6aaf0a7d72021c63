import Foundation
import ImageCodecs
import ImageProcessing
import MAXFramework
import MNIST
import XCTest

/// The finder alone (no model): where it sees digits and the readings it offers.
final class DigitFinderTests: XCTestCase {
    let finder = DigitFinder()

    /// Every box of every reading, in candidate order.
    func boxes(_ found: FoundDigits) -> [[PixelRect]] {
        found.candidates.map { $0.readings.flatMap { $0.map(\.box) } }
    }

    func close(_ a: PixelRect, _ b: [Int], tolerance: Int = 3) -> Bool {
        abs(a.x - b[0]) <= tolerance && abs(a.y - b[1]) <= tolerance
            && abs(a.x + a.width - b[0] - b[2]) <= tolerance && abs(a.y + a.height - b[1] - b[3]) <= tolerance
    }

    /// samples/sheet_ten_digits.png with its truth (samples/sheet_ten_digits.json).
    func tenDigitSheet() throws -> (Image, [(label: Int, box: [Int])]) {
        let root = MNISTFixtures.root.appendingPathComponent("samples")
        let image = try MNISTFixtures.image(root.appendingPathComponent("sheet_ten_digits.png"))
        let truth = try JSONValue.parse([UInt8](Data(contentsOf: root.appendingPathComponent("sheet_ten_digits.json"))))
        var digits: [(label: Int, box: [Int])] = []
        for digit in try XCTUnwrap(truth["digits"]?.arrayValue) {
            let box: [Int] = digit["box"]?.arrayValue?.compactMap { $0.intValue } ?? []
            digits.append((label: digit["label"]?.intValue ?? -1, box: box))
        }
        return (image, digits)
    }

    func testFindsEveryDigitOfASheetInReadingOrderWithTightBoxes() throws {
        let (sheet, truth) = try tenDigitSheet()
        XCTAssertEqual(truth.count, 10)
        let found = finder.find(in: sheet)
        XCTAssertFalse(found.blank)
        XCTAssertEqual(found.omitted, 0)
        XCTAssertEqual(found.candidates.count, 10, "\(boxes(found))")
        // The unsplit reading of each candidate is its true digit, in the truth's order.
        for (candidate, digit) in zip(found.candidates, truth) {
            let box = try XCTUnwrap(candidate.readings.first?.first?.box)
            XCTAssertTrue(close(box, digit.box), "\(box) vs \(digit.box)")
            XCTAssertEqual(candidate.readings.first?.first?.field.count, 784)
        }
    }

    func testLightOnDarkAndColouredInkFindTheSameDigits() throws {
        let (sheet, truth) = try tenDigitSheet()
        let inverted = finder.find(in: sheet.inverted())
        XCTAssertEqual(inverted.candidates.count, 10)
        // Blue ink on yellow paper, from the sheet's gray: ink -> (30, 40, 150), paper -> (250, 240, 180).
        let gray = sheet.grayscale()
        var samples: [UInt8] = []
        for value in gray.samples {
            let ink = 1 - Double(value) / 255
            samples += [250 - 220 * ink, 240 - 200 * ink, 180 - 30 * ink].map { UInt8($0.rounded()) }
        }
        let coloured = finder.find(in: try XCTUnwrap(Image(width: gray.width, height: gray.height, layout: .rgb, samples: samples)))
        XCTAssertEqual(coloured.candidates.count, 10)
        for (found, digit) in zip(coloured.candidates, truth) {
            XCTAssertTrue(close(try XCTUnwrap(found.readings.first?.first?.box), digit.box))
        }
    }

    /// A ring (a 0) drawn with a gap, in two arcs: offered joined as one digit.
    func testADigitInPiecesIsOfferedWhole() throws {
        var page = Image(width: 120, height: 100, layout: .gray, fill: 255)
        for y in 0..<100 {
            for x in 0..<120 {
                let dx = Double(x) - 60, dy = (Double(y) - 50) * 0.7
                let r = (dx * dx + dy * dy).squareRoot()
                if r > 18, r < 24, abs(dy) > 2.5 { page.samples[y * 120 + x] = 10 }
            }
        }
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1, "\(boxes(found))")
        let whole = try XCTUnwrap(found.candidates.first?.readings.first)
        XCTAssertEqual(whole.count, 1)
        XCTAssertEqual(whole[0].box.height, 100 - 2 * 16, accuracy: 3)
    }

    /// A 160x100 page with two square rings (x 40-75 and 85-120, y 20-80) joined by a bar along
    /// their feet: one mark twice as wide as tall.
    func touchingRings() -> Image {
        var page = Image(width: 160, height: 100, layout: .gray, fill: 255)
        for y in 20..<80 {
            for x in 40..<120 where (40..<75).contains(x) && (y < 28 || y > 72 || x < 48 || x > 67)
                || (85..<120).contains(x) && (y < 28 || y > 72 || x < 93 || x > 112) || (y > 72 && x < 120) {
                page.samples[y * 160 + x] = 0
            }
        }
        return page
    }

    /// Two bars touching at their feet: one mark twice as wide as tall, offered cut in two.
    func testTouchingDigitsAreOfferedCut() throws {
        let page = touchingRings()
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1)
        let readings = try XCTUnwrap(found.candidates.first?.readings)
        let cutInTwo = try XCTUnwrap(readings.first { $0.count == 2 }, "\(readings.map { $0.map(\.box) })")
        XCTAssertEqual(Double(cutInTwo[0].box.x + cutInTwo[0].box.width), 80, accuracy: 6)
        XCTAssertEqual(cutInTwo[1].box.x + cutInTwo[1].box.width, 120)
    }

    /// A ring with a short tail at its top right: wide enough to be offered cut, but a cut into
    /// a tall digit and a piece a fifth of its height is no reading of two touching digits.
    func testCutsIntoPiecesOfUnlikeHeightsAreNotOffered() throws {
        var page = Image(width: 120, height: 100, layout: .gray, fill: 255)
        for y in 0..<100 { for x in 0..<120 {
            let dx = Double(x) - 50, dy = (Double(y) - 50) * 0.6
            let r = (dx * dx + dy * dy).squareRoot()
            if r > 8, r < 12.5 { page.samples[y * 120 + x] = 0 }
            if y >= 30, y < 38, x >= 60, x < 83 { page.samples[y * 120 + x] = 0 }
        } }
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1, "\(boxes(found))")
        let readings = try XCTUnwrap(found.candidates.first?.readings)
        XCTAssertGreaterThan(Double(readings[0][0].box.width) / Double(readings[0][0].box.height), 0.9, "the mark is wide")
        for reading in readings where reading.count > 1 {
            let heights = reading.map(\.box.height)
            XCTAssertGreaterThanOrEqual(Double(heights.min()!), 0.7 * Double(heights.max()!), "\(reading.map(\.box))")
        }
    }

    /// Two touching digits, one of them with a piece broken off: the pair is offered whole,
    /// apart, and cut between the two digits (the piece going with its digit).
    func testTouchingDigitsWithABrokenPieceAreOfferedCut() throws {
        var page = touchingRings()
        // A small piece just right of the second digit, too small to be a digit of its own.
        for y in 44..<48 { for x in 122..<126 { page.samples[y * 160 + x] = 0 } }
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1, "\(boxes(found))")
        let readings = try XCTUnwrap(found.candidates.first?.readings)
        let cutInTwo = try XCTUnwrap(readings.first { $0.count == 2 }, "\(readings.map { $0.map(\.box) })")
        XCTAssertEqual(Double(cutInTwo[0].box.x + cutInTwo[0].box.width), 80, accuracy: 6)
        XCTAssertEqual(cutInTwo[1].box.x + cutInTwo[1].box.width, 126, "the piece goes with the second digit")
    }

    /// A speck inside the box of one mark (a hook's empty corner) but whose ink lies next to
    /// another's (the foot of a broken 1): it goes with the mark its ink is nearest.
    func testASpeckGoesWithTheMarkItsInkIsNearest() throws {
        var page = Image(width: 80, height: 60, layout: .gray, fill: 255)
        func ink(_ xs: Range<Int>, _ ys: Range<Int>) { for y in ys { for x in xs { page.samples[y * 80 + x] = 0 } } }
        ink(10..<31, 10..<15)  // a hook: top bar and left stem, its box x 10-30, y 10-40
        ink(10..<15, 10..<41)
        ink(28..<39, 36..<40)  // the speck, 4 px tall: inside the hook's box, 2 px from the bar
        ink(41..<46, 12..<41)  // a bar
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 2, "\(boxes(found))")
        let hook = try XCTUnwrap(found.candidates.first?.readings.first?.first?.box)
        XCTAssertEqual(hook, PixelRect(x: 10, y: 10, width: 21, height: 31))
        let bar = try XCTUnwrap(found.candidates.last?.readings.first?.first?.box)
        XCTAssertEqual(bar, PixelRect(x: 28, y: 12, width: 18, height: 29), "the speck goes with the bar")
    }

    /// The bar of a 5 (a mark under 0.4 of its neighbour's height) beside a body that touches
    /// another digit: grouped with that mark however wide the two are together, so the cut
    /// between the touching digits can give the bar to its body.
    func testAShortPieceJoinsAWideNeighbour() throws {
        var page = touchingRings()
        // A bar right of the second ring's top, 10 px tall (a sixth of the rings' height), 5 px away.
        for y in 20..<30 { for x in 125..<150 { page.samples[y * 160 + x] = 0 } }
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1, "\(boxes(found))")
        let readings = try XCTUnwrap(found.candidates.first?.readings)
        // Cut between the rings, the second piece reaching to the bar's end (the paper between
        // the rings and the bar is no place to cut: the reading apart parts them there).
        XCTAssertTrue(readings.contains { $0.count == 2 && abs($0[0].box.x + $0[0].box.width - 80) <= 6 && $0[1].box.x + $0[1].box.width == 150 },
                      "\(readings.map { $0.map(\.box) })")
    }

    /// A digit broken in three: a pair (a hook over a stem, a gap between) and a short mark
    /// beside the stem that could be a digit of its own. It joins the pair's group, read whole,
    /// apart, and as the pair joined with the mark apart.
    func testAThirdPieceJoinsAPairAndIsAlsoReadApart() throws {
        var page = Image(width: 120, height: 110, layout: .gray, fill: 255)
        func ink(_ xs: Range<Int>, _ ys: Range<Int>) { for y in ys { for x in xs { page.samples[y * 120 + x] = 0 } } }
        ink(40..<81, 20..<28)  // hook: bar and the stem's top, x 40-80, y 20-50
        ink(73..<81, 20..<51)
        ink(73..<81, 56..<91)  // the stem below, past a 5 px gap
        ink(50..<68, 80..<93)  // a short mark left of the stem's foot, 13 px tall
        let found = finder.find(in: page)
        XCTAssertEqual(found.candidates.count, 1, "\(boxes(found))")
        let readings = try XCTUnwrap(found.candidates.first?.readings).map { $0.map(\.box) }
        XCTAssertEqual(readings.first, [PixelRect(x: 40, y: 20, width: 41, height: 73)], "\(readings)")
        XCTAssertTrue(readings.contains([PixelRect(x: 40, y: 20, width: 41, height: 71), PixelRect(x: 50, y: 80, width: 18, height: 13)]),
                      "\(readings)")
    }

    func testBlankPicturesAndSpecksHoldNoDigit() throws {
        XCTAssertTrue(finder.find(in: Image(width: 64, height: 48, layout: .rgb, fill: 200)).blank)
        XCTAssertTrue(finder.find(in: Image(width: 1, height: 1, layout: .gray, fill: 0)).blank)
        // 10,000 specks of 2x2 pixels, one in each 8x8 cell: none is a digit, and none is read.
        var specks = Image(width: 800, height: 800, layout: .gray, fill: 240)
        var state: UInt64 = 5
        for cell in 0..<10_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let x = (cell % 100) * 8 + 1 + Int((state >> 33) % 5), y = (cell / 100) * 8 + 1 + Int((state >> 13) % 5)
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { specks.samples[(y + dy) * 800 + x + dx] = 20 }
        }
        let found = finder.find(in: specks)
        XCTAssertFalse(found.blank)
        XCTAssertEqual(found.fieldCount, 0, "\(found.candidates.count) candidates")
    }

    /// A picture of thousands of digit-sized marks: at most max_digits are read, the rest counted.
    func testTheNumberOfDigitsReadIsCapped() throws {
        var grid = Image(width: 1000, height: 1000, layout: .gray, fill: 255)
        for cellY in 0..<50 { for cellX in 0..<50 {
            for y in 0..<12 {
                for x in 0..<6 { grid.samples[(cellY * 20 + 4 + y) * 1000 + cellX * 20 + 7 + x] = 0 }
            }
        } }
        let capped = DigitFinder(options: DigitFinderOptions(maxDigits: 40)).find(in: grid)
        XCTAssertEqual(capped.candidates.count, 40)
        XCTAssertEqual(capped.omitted, 2500 - 40)
        XCTAssertLessThanOrEqual(capped.fieldCount, 40 * 3)
    }

    /// A large photo is searched at a working size; boxes still come in the input's pixels.
    func testLargePicturesAreReducedAndBoxesMappedBack() throws {
        var page = Image(width: 3000, height: 2000, layout: .gray, fill: 230)
        for y in 600..<1400 { for x in 1200..<1500 where x < 1260 || y < 660 || y > 1340 || x > 1440 {
            page.samples[y * 3000 + x] = 30
        } }
        let found = DigitFinder(options: DigitFinderOptions(workingSide: 1000)).find(in: page)
        let box = try XCTUnwrap(found.candidates.first?.readings.first?.first?.box)
        XCTAssertTrue(close(box, [1200, 600, 300, 800], tolerance: 4), "\(box)")
    }
}
