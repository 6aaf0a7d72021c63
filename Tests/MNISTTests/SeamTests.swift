@testable import MNIST
import XCTest

/// The cut between touching digits, on ink grids drawn for the test.
final class SeamTests: XCTestCase {
    /// A grid `width` wide of ink 200 with paper (0) where `paper(row, column)` says.
    func grid(width: Int, rows: Int, paper: (Int, Int) -> Bool) -> [Int32] {
        (0..<(rows * width)).map { paper($0 / width, $0 % width) ? 0 : 200 }
    }

    /// Two inked halves parted by a slanted gap of paper one column wide: the seam follows the
    /// gap and crosses no ink, where every straight column crosses some.
    func testTheSeamFollowsASlantedGap() {
        let width = 16, rows = 10
        let cost = grid(width: width, rows: rows) { row, column in column == 3 + row }
        let path = Seam.cheapest(cost: cost, width: width, band: 1...15, preferred: 8, stepCost: 16)
        XCTAssertEqual(path, (0..<rows).map { 3 + $0 })
        XCTAssertEqual(Seam.strokesCrossed(path, cost: cost, width: width), 0)
        for column in 1..<width {
            XCTAssertGreaterThan(Seam.strokesCrossed([Int](repeating: column, count: rows), cost: cost, width: width), 0)
        }
    }

    /// The gap bridged by a join two rows thick at rows 4-5: the seam crosses the join there
    /// (one stroke) and stays in the gap elsewhere.
    func testTheSeamCrossesAJoinOnceWhereItIsThin() {
        let width = 16, rows = 10
        let cost = grid(width: width, rows: rows) { row, column in column == 3 + row && row != 4 && row != 5 }
        let path = Seam.cheapest(cost: cost, width: width, band: 1...15, preferred: 8, stepCost: 16)
        XCTAssertEqual(Seam.strokesCrossed(path, cost: cost, width: width), 1)
        for row in 0..<rows where row != 4 && row != 5 { XCTAssertEqual(path[row], 3 + row, "row \(row)") }
    }

    /// Through paper the seam runs straight (sideways steps cost), at the preferred column when
    /// every column is as cheap.
    func testThroughPaperTheSeamIsStraight() {
        let cost = [Int32](repeating: 0, count: 12 * 8)
        let path = Seam.cheapest(cost: cost, width: 12, band: 2...9, preferred: 6, stepCost: 16)
        XCTAssertEqual(path, [Int](repeating: 6, count: 8))
    }

    /// The seam stays inside its band even when cheaper ink lies outside it.
    func testTheSeamKeepsToItsBand() {
        let width = 20, rows = 6
        let cost = grid(width: width, rows: rows) { _, column in column == 15 }
        let path = Seam.cheapest(cost: cost, width: width, band: 3...8, preferred: 5, stepCost: 16)
        XCTAssertTrue(path.allSatisfy { (3...8).contains($0) }, "\(path)")
    }

    /// A region bounded by two seams keeps exactly the pixels on or right of the first and left
    /// of the second; rows beyond the seams' take the nearest row's column.
    func testARegionKeepsThePixelsBetweenItsCuts() {
        let after = Seam(top: 10, columns: [5, 6, 7]), before = Seam(top: 10, columns: [9, 10, 11])
        let spec = RegionSpec(members: [0], after: after, before: before)
        XCTAssertTrue(spec.isCut)
        XCTAssertEqual((0..<14).filter { spec.keeps($0, 10) }, [5, 6, 7, 8])
        XCTAssertEqual((0..<14).filter { spec.keeps($0, 12) }, [7, 8, 9, 10])
        XCTAssertEqual((0..<14).filter { spec.keeps($0, 20) }, [7, 8, 9, 10])
        XCTAssertEqual(spec.columns(within: 0..<14), 5..<11)
        XCTAssertFalse(RegionSpec(members: [0]).isCut)
    }
}
