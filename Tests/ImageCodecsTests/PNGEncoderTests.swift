import XCTest
@testable import ImageCodecs

final class PNGEncoderTests: XCTestCase {
    private func sampleImage(_ layout: PixelLayout, width: Int = 17, height: Int = 11) -> Image {
        var image = Image(width: width, height: height, layout: layout)
        for index in 0..<image.samples.count {
            // Gradient plus a little noise so every filter has a reason to win somewhere.
            image.samples[index] = UInt8(truncatingIfNeeded: index * 7 + (index % 13 == 0 ? 91 : 0))
        }
        return image
    }

    func testRoundTripEveryLayout() throws {
        for layout in PixelLayout.allCases {
            let image = sampleImage(layout)
            let encoded = PNGEncoder.encode(image)
            XCTAssertEqual(ImageFormat.sniff(encoded), .png)
            XCTAssertEqual(try ImageDecoder.decode(encoded), image, "\(layout)")
        }
    }

    func testCompressionActuallyShrinksSmoothImages() throws {
        var image = Image(width: 64, height: 64, layout: .gray)
        for y in 0..<64 { for x in 0..<64 { image.samples[y * 64 + x] = UInt8(x + y) } }
        let encoded = PNGEncoder.encode(image)
        XCTAssertLessThan(encoded.count, image.samples.count / 4)
        XCTAssertEqual(try ImageDecoder.decode(encoded), image)
    }

    func testFilteredRowsStartWithAValidFilterType() {
        let image = sampleImage(.rgb)
        let rows = PNGEncoder.filteredRows(image)
        XCTAssertEqual(rows.count, image.height * (image.width * 3 + 1))
        for row in 0..<image.height {
            XCTAssertLessThanOrEqual(rows[row * (image.width * 3 + 1)], 4)
        }
    }

    func testOnePixelImage() throws {
        let image = Image(width: 1, height: 1, layout: .rgba, fill: 200)
        XCTAssertEqual(try ImageDecoder.decode(PNGEncoder.encode(image)), image)
    }

    func testPNMEncodersRoundTripThroughTheDecoder() throws {
        for layout in PixelLayout.allCases {
            let image = sampleImage(layout)
            XCTAssertEqual(try ImageDecoder.decode(PNMEncoder.pam(image)), image, "\(layout)")
        }
        let rgb = sampleImage(.rgb)
        XCTAssertEqual(try ImageDecoder.decode(PNMEncoder.ppm(rgb)), rgb)
        XCTAssertEqual(try ImageDecoder.decode(PNMEncoder.pgm(rgb)), rgb.grayscale())
    }
}
