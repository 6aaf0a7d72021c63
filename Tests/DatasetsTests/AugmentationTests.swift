import Foundation
import TestSupport
import XCTest
@testable import Datasets

final class AugmentationTests: XCTestCase {
    /// A bar of ink in a 28x28 field.
    func bar() -> [Float] {
        var image = [Float](repeating: 0, count: 784)
        for y in 8..<20 { for x in 12..<16 { image[y * 28 + x] = 255 } }
        return image
    }

    func apply(_ augmentation: Augmentation, _ image: [Float], seed: UInt64) -> [Float] {
        var output = [Float](repeating: -1, count: image.count)
        var random = SeededRandom(seed: seed)
        image.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { augmentation.apply(source.baseAddress!, shape: ImageShape(height: 28, width: 28),
                                                                        into: $0.baseAddress!, random: &random) }
        }
        return output
    }

    func testIdentityLeavesTheImage() {
        XCTAssertTrue(Augmentation.none.isIdentity)
        XCTAssertEqual(apply(.none, bar(), seed: 1), bar())
    }

    func testShiftMovesInkByWholePixels() {
        let shifted = apply(Augmentation(shiftPixels: 3), bar(), seed: 3)
        XCTAssertNotEqual(shifted, bar())
        let ink: Float = bar().reduce(0, +)
        XCTAssertEqual(shifted.reduce(0, +), ink, accuracy: 255 * 8, "a shift keeps roughly the ink")
    }

    func testRecipeIsSeededBoundedAndChangesImages() {
        let first = apply(.mnist, bar(), seed: 42)
        XCTAssertEqual(first, apply(.mnist, bar(), seed: 42), "same seed, same image")
        XCTAssertNotEqual(first, apply(.mnist, bar(), seed: 43))
        XCTAssertTrue(first.allSatisfy { $0 >= 0 && $0 <= 255 })
        // Dilation adds ink, erosion removes it.
        let thick = apply(Augmentation(thickenProbability: 1), bar(), seed: 1)
        let thin = apply(Augmentation(thinProbability: 1), bar(), seed: 1)
        XCTAssertGreaterThan(thick.reduce(0, +), bar().reduce(0, +))
        XCTAssertLessThan(thin.reduce(0, +), bar().reduce(0, +))
        // A 90-degree rotation range can turn the vertical bar on its side.
        var turned = false
        for seed in 0..<20 where !turned {
            let image = apply(Augmentation(rotationDegrees: 90), bar(), seed: UInt64(seed))
            var inked = 0
            for x in 0..<28 where image[14 * 28 + x] > 128 { inked += 1 }
            let row14 = inked
            turned = row14 >= 8
        }
        XCTAssertTrue(turned)
    }

    func testValidationNamesTheSetting() {
        XCTAssertNoThrow(try Augmentation.mnist.validate())
        XCTAssertThrowsError(try Augmentation(zoom: 2).validate()) { XCTAssertTrue("\($0)".contains("'zoom'")) }
        XCTAssertThrowsError(try Augmentation(rotationDegrees: .nan).validate())
    }

    func testGeneratorIsRepeatableAndStreamsDiffer() {
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        var s1 = SeededRandom(seed: 7, stream: [1, 2]), s2 = SeededRandom(seed: 7, stream: [2, 1])
        XCTAssertNotEqual(s1.next(), s2.next())
        var normal = SeededRandom(seed: 1)
        let samples = (0..<20_000).map { _ in normal.normal() }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }
}

/// The warp and stroke changes against scipy.ndimage on the same parameters
/// (scripts/make-dataset-fixtures.py wrote what scipy computed).
final class AugmentationScipyTests: XCTestCase {
    func testMatchesScipy() throws {
        let url = TestPaths.fixture("augment.json", target: "DatasetsTests")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let image = (document["image"] as! [NSNumber]).map(\.floatValue)
        let cases = try XCTUnwrap(document["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 5)
        for item in cases {
            let shift = (item["shift"] as! [NSNumber]).map(\.doubleValue)
            let stroke: Augmentation.Distortion.Stroke
            switch item["stroke"] as? String {
            case "dilate": stroke = .thicker
            case "erode": stroke = .thinner
            default: stroke = .unchanged
            }
            let distortion = Augmentation.Distortion(angleDegrees: (item["angle"] as! NSNumber).doubleValue,
                                                     zoom: (item["zoom"] as! NSNumber).doubleValue,
                                                     shear: (item["shear"] as! NSNumber).doubleValue,
                                                     shiftY: shift[0], shiftX: shift[1], stroke: stroke)
            var output = [Float](repeating: -1, count: 784)
            image.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer {
                    Augmentation.apply(distortion, source.baseAddress!, shape: ImageShape(height: 28, width: 28), into: $0.baseAddress!)
                }
            }
            let expected = (item["output"] as! [NSNumber]).map(\.floatValue)
            let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 0.01, "\(distortion): differs from scipy by up to \(worst)")
        }
    }
}
