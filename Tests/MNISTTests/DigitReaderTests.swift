import ImageCodecs
@testable import MNIST
import XCTest

/// How the reader chooses among a candidate's readings, on model outputs made up for the test.
final class DigitReaderTests: XCTestCase {
    /// An eleven-class output: `p` for `digit`, the rest "not a digit".
    func output(_ digit: Int, _ p: Float) -> [Float] {
        var scores = [Float](repeating: 0, count: 11)
        scores[digit] = p
        scores[10] = 1 - p
        return scores
    }

    func region(_ x: Int, width: Int) -> DigitRegion {
        DigitRegion(box: PixelRect(x: x, y: 0, width: width, height: 20), field: [Float](repeating: 0, count: 784))
    }

    /// A digit read with its piece (the bar of a 5) and without it, the model about as sure
    /// either way: the reading that leaves ink unread has to be better by an extra digit's worth.
    func testAReadingThatLeavesInkOutMustDoBetter() {
        let whole = region(0, width: 20), body = region(0, width: 14)
        let found = FoundDigits(candidates: [DigitCandidate(readings: [[whole], [body]], kinds: [.joined, .apart(leftOut: 1)])], omitted: 0, blank: false)
        let slightlySurerApart = DigitReader.read(found, outputs: [output(5, 0.985), output(5, 0.99)], classes: .allWithReject)
        XCTAssertEqual(slightlySurerApart.map(\.box), [whole.box])
        let muchSurerApart = DigitReader.read(found, outputs: [output(5, 0.6), output(5, 0.99)], classes: .allWithReject)
        XCTAssertEqual(muchSurerApart.map(\.box), [body.box])
    }

    /// Two confident digits beat one that swallows both; two pieces of one digit, each doubtful,
    /// do not.
    func testTwoGoodDigitsBeatOneThatSwallowsThem() {
        let whole = region(0, width: 40), left = region(0, width: 20), right = region(20, width: 20)
        let found = FoundDigits(candidates: [DigitCandidate(readings: [[whole], [left, right]])], omitted: 0, blank: false)
        let pair = DigitReader.read(found, outputs: [output(8, 0.97), output(1, 0.99), output(7, 0.99)], classes: .allWithReject)
        XCTAssertEqual(pair.map(\.prediction), [1, 7])
        let one = DigitReader.read(found, outputs: [output(8, 0.99), output(1, 0.7), output(7, 0.8)], classes: .allWithReject)
        XCTAssertEqual(one.map(\.prediction), [8])
    }

    /// A mark cut in two of which the model takes one piece for a digit and refuses the other
    /// (a letter n cut into a 1 and a hook): the cut is not taken at that threshold, so the mark
    /// stays one refused whole instead of leaving a stray 1; with refusal off it is.
    func testACutWithARefusedPieceIsNotTaken() {
        let whole = region(0, width: 40), left = region(0, width: 20), right = region(20, width: 20)
        let found = FoundDigits(candidates: [DigitCandidate(readings: [[whole], [left, right]])], omitted: 0, blank: false)
        let outputs = [output(8, 0.01), output(1, 0.6), output(7, 0.05)]
        let refusing = DigitReader.read(found, outputs: outputs, classes: .allWithReject, threshold: 0.15)
        XCTAssertEqual(refusing.map(\.box), [whole.box])
        XCTAssertEqual(refusing.filter { $0.digitScore >= 0.15 }.count, 0)
        let open = DigitReader.read(found, outputs: outputs, classes: .allWithReject, threshold: 0)
        XCTAssertEqual(open.map(\.prediction), [1, 7])
        // Marks read apart are separate marks: one may be refused while the other stands.
        let apart = FoundDigits(candidates: [DigitCandidate(readings: [[whole], [left, right]], kinds: [.joined, .apart(leftOut: 0)])],
                                omitted: 0, blank: false)
        XCTAssertEqual(DigitReader.read(apart, outputs: outputs, classes: .allWithReject, threshold: 0.15).map(\.prediction), [1, 7])
    }
}
