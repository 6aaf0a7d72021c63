import Foundation
import ImageCodecs
import MAXFramework
@testable import MNIST
import TestSupport
import XCTest

/// The plugin's rules at their edges: top_k from 1 to 10, ties in probability ordered by digit,
/// and the contrast below which a picture counts as blank.
final class MNISTEdgeTests: XCTestCase {
    let log = LogCapture()

    func model() throws -> AnyModel {
        let asset = TestPaths.packageRoot.appendingPathComponent(MNISTModel.defaultAsset)
        return try MNISTModel.plugin.make(PluginContext(modelAsset: asset, logger: log.logger(.warning)))
    }

    func testTopKFromOneToTen() throws {
        let served = try model()
        let digit = [UInt8](try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("samples/digit-8.png")))
        for k in [1, 10] {
            XCTAssertEqual(try served.run(ModelInput(bytes: digit, query: [("top_k", String(k))])).predictions.count, k)
        }
        for k in ["0", "11", "-1", "two"] {
            XCTAssertThrowsError(try served.run(ModelInput(bytes: digit, query: [("top_k", k)])), "top_k=\(k)") { error in
                XCTAssertEqual((error as? ModelError)?.status, .badRequest, "\(error)")
            }
        }
    }

    /// Equal probabilities come in digit order, so answers are deterministic.
    func testEqualProbabilitiesAreOrderedByDigit() throws {
        let mnist = try MNISTModel(path: TestPaths.packageRoot.appendingPathComponent(MNISTModel.defaultAsset).path)
        let tie = DigitReading(box: nil, output: [Float](repeating: 0.1, count: 10), classes: .all)
        let request = MNISTModel.Request(found: FoundDigits(candidates: [], omitted: 0, blank: false), wholePicture: true, topK: 10, threshold: 0)
        let predictions = try mnist.postProcess(MNISTModel.Answer(request: request, digits: [tie]), for: ModelInput(bytes: [], query: []))
        XCTAssertEqual(predictions.map(\.prediction), Array(0...9))
    }

    /// A spread of 24 gray levels is a picture; 23 is blank.
    func testContrastThreshold() throws {
        func page(ink: UInt8) -> Image {
            var image = Image(width: 40, height: 40, layout: .gray, fill: 200)
            for y in 10..<30 { for x in 18..<22 { image.samples[y * 40 + x] = ink } }
            return image
        }
        XCTAssertNoThrow(try DigitPreprocessor.normalized(page(ink: 176)), "200 - 176 = 24")
        XCTAssertThrowsError(try DigitPreprocessor.normalized(page(ink: 177)), "200 - 177 = 23") { error in
            XCTAssertEqual(error as? DigitPreprocessingError, .noDigitFound)
        }
    }
}
