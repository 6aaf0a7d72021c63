import ImageCodecs
import MNIST
import XCTest

/// What the model sees: MNIST uploads untouched, other pictures brought to MNIST's form.
final class DigitPreprocessorTests: XCTestCase {
    func plainDigit() throws -> Image {
        try MNISTFixtures.image(MNISTFixtures.root.appendingPathComponent("samples/3_mnist_0.png"))
    }

    /// Mean absolute difference per pixel, 0-255.
    func distance(_ a: Image, _ b: Image) -> Double {
        XCTAssertEqual(a.samples.count, b.samples.count)
        return zip(a.samples, b.samples).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(max(a.samples.count, 1))
    }

    /// A large version of the digit (as a photo would be): 28x28 upscaled 4x and padded.
    func enlarged(_ image: Image) -> Image {
        image.resizedByAreaAveraging(width: 112, height: 112).padded(top: 20, left: 30, bottom: 40, right: 10)
    }

    func testMNISTShapedGrayPassesThroughUnchanged() throws {
        let digit = try plainDigit()
        XCTAssertEqual(digit.layout, .gray)
        XCTAssertEqual(try DigitPreprocessor.normalized(digit), digit)
        XCTAssertEqual(try DigitPreprocessor.pixels(digit), digit.samples.map(Float.init))
    }

    func testDarkOnLightMatchesLightOnDark() throws {
        let big = enlarged(try plainDigit())
        let plain = try DigitPreprocessor.normalized(big)
        let inverted = try DigitPreprocessor.normalized(big.inverted())
        XCTAssertEqual(plain.width, 28)
        XCTAssertEqual(plain.height, 28)
        XCTAssertLessThan(distance(plain, inverted), 4, "polarity is detected and undone")
        // The normalised digit is close to the original MNIST field it came from.
        XCTAssertLessThan(distance(plain, try plainDigit()), 40)
    }

    func testRGBADigitOnTransparentMatchesPlain() throws {
        let big = enlarged(try plainDigit())
        // Black ink whose opacity is the digit's intensity, on a fully transparent background.
        var samples: [UInt8] = []
        for value in big.samples { samples += [0, 0, 0, value] }
        let rgba = try XCTUnwrap(Image(width: big.width, height: big.height, layout: .rgba, samples: samples))
        let plain = try DigitPreprocessor.normalized(big)
        let fromAlpha = try DigitPreprocessor.normalized(rgba)
        XCTAssertLessThan(distance(plain, fromAlpha), 4, "alpha is composited over white, then inverted")
    }

    func testBlankImagesAreRefused() throws {
        for image in [Image(width: 64, height: 48, layout: .rgb, fill: 255), Image(width: 28, height: 28, layout: .gray, fill: 0),
                      Image(width: 50, height: 50, layout: .rgba, fill: 0)] {
            XCTAssertThrowsError(try DigitPreprocessor.normalized(image)) { error in
                XCTAssertEqual(error as? DigitPreprocessingError, .noDigitFound)
                XCTAssertTrue("\(error)".contains("no digit found"))
            }
        }
    }

    func testDigitIsFittedAndCentredByMass() throws {
        // A 10x60 bar off to one side of a large white page: scaled to 20 high, centred.
        var page = Image(width: 200, height: 150, layout: .gray, fill: 255)
        for y in 10..<70 { for x in 150..<160 { page.samples[y * 200 + x] = 0 } }
        let field = try DigitPreprocessor.normalized(page)
        let box = try XCTUnwrap(field.foregroundBoundingBox())
        XCTAssertEqual(box.height, 20)
        XCTAssertLessThanOrEqual(box.width, 5)
        let centre = try XCTUnwrap(field.centreOfMass())
        XCTAssertEqual(centre.x, 13.5, accuracy: 1)
        XCTAssertEqual(centre.y, 13.5, accuracy: 1)
    }
}
