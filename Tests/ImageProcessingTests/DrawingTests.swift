import ImageCodecs
import ImageProcessing
import XCTest

/// Rectangles and bitmap text land where asked, clip at the edges, and every glyph is 5x7.
final class DrawingTests: XCTestCase {
    func testRectangleOutlineAndClipping() {
        var image = Image(width: 10, height: 8, layout: .rgb, fill: 0)
        image.strokeRectangle(PixelRect(x: 2, y: 1, width: 5, height: 4), colour: [255, 0, 0])
        let red = (0..<80).filter { image.samples[$0 * 3] == 255 }.map { ($0 % 10, $0 / 10) }
        XCTAssertEqual(red.count, 2 * 5 + 2 * 2)
        XCTAssertTrue(red.contains { $0 == (2, 1) } && red.contains { $0 == (6, 4) })
        XCTAssertFalse(red.contains { $0 == (4, 2) }, "the inside stays")
        // Partly outside: drawn where it lies inside, no crash.
        image.strokeRectangle(PixelRect(x: -3, y: 6, width: 20, height: 9), colour: [0, 255, 0], thickness: 2)
        XCTAssertEqual(image.samples[(7 * 10 + 5) * 3 + 1], 255)
        image.fill(PixelRect(x: 50, y: 50, width: 3, height: 3), colour: [1, 2, 3])
    }

    func testTextIsDrawnFromTheBitmapFont() {
        var image = Image(width: 40, height: 20, layout: .gray, fill: 0)
        image.draw(text: "7", x: 1, y: 2, scale: 2, colour: [255])
        // The 7's top row is five cells of ink: ten pixels at scale 2, in rows 2 and 3.
        for x in 1..<11 { XCTAssertEqual(image.samples[2 * 40 + x], 255, "x=\(x)") }
        XCTAssertEqual(image.samples[4 * 40 + 1], 0)
        XCTAssertEqual(Image.textSize("12", scale: 3).width, (5 + 1 + 5) * 3)
        XCTAssertEqual(Image.textSize("12", scale: 3).height, 21)
        for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .,:-+=%/()!?#" {
            let glyph = BitmapFont.glyph(character)
            XCTAssertEqual(glyph.count, 7, "\(character)")
            XCTAssertTrue(glyph.allSatisfy { $0.count == 5 }, "\(character)")
            XCTAssertEqual(glyph.joined().contains(true), character != " ", "\(character)")
        }
        XCTAssertEqual(BitmapFont.glyph("a"), BitmapFont.glyph("A"))
        XCTAssertEqual(BitmapFont.glyph("€"), BitmapFont.glyph("?"))
    }
}
