import Foundation
import ImageStats
import Logging
import MAXFramework
import TestSupport
import XCTest

/// The image-statistics plugin on real files, against what Pillow computes for them
/// (Fixtures/expected.json, written by scripts/make_framework_fixtures.py).
final class ImageStatsModelTests: XCTestCase {
    let model = AnyModel(ImageStatsModel())

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(name, target: "ImageStatsTests")))
    }

    /// Every fixture, JPEG included (within one level: decoders may round differently).
    func testStatisticsMatchPillow() throws {
        let expected = try JSONValue.parse(try fixture("expected.json"))
        let members = expected.objectMembers ?? []
        XCTAssertTrue(members.contains { $0.0.hasSuffix(".jpg") }, "the fixtures include a JPEG")
        for (name, reference) in members {
            try assertStatistics(name, reference)
        }
    }

    func assertStatistics(_ name: String, _ reference: JSONValue) throws {
        let predictions = try model.run(ModelInput(bytes: try fixture(name), fileName: name)).predictions
        XCTAssertEqual(predictions.count, 1, name)
        let statistics = try XCTUnwrap(predictions.first)
        XCTAssertEqual(statistics["width"], reference["width"], name)
        XCTAssertEqual(statistics["height"], reference["height"], name)
        XCTAssertEqual(statistics["channels"], reference["channels"], name)
        let mean = try XCTUnwrap(statistics["mean_intensity"]?.doubleValue, name)
        let referenceMean = try XCTUnwrap(reference["mean_intensity"]?.doubleValue, name)
        // PNG and BMP are lossless: exact. JPEG decoders may differ by one level per sample.
        XCTAssertEqual(mean, referenceMean, accuracy: name.hasSuffix(".jpg") ? 1.0 : 0.0001, name)
    }

    func testUnreadableUploadsAreTheClientsFault() throws {
        for name in ["truncated.png", "not-an-image.txt"] {
            XCTAssertThrowsError(try model.run(ModelInput(bytes: try fixture(name)))) { error in
                XCTAssertEqual((error as? ModelError)?.status, .badRequest, "\(name): \(error)")
            }
        }
    }

    func testPixelLimitFromTheContextIsAppliedAs413() throws {
        let small = try ImageStatsModel.plugin.make(PluginContext(maxImagePixels: 100, logger: LogCapture().logger()))
        XCTAssertThrowsError(try small.run(ModelInput(bytes: try fixture("gray.png")))) { error in
            XCTAssertEqual((error as? ModelError)?.status, .payloadTooLarge, "\(error)")
        }
    }

    /// `limits.max_image_pixels` is inclusive: gray.png (28x28, as Pillow reports in
    /// expected.json) decodes under a limit of exactly 784 pixels, and is refused with 413 under 783.
    func testPixelLimitIsInclusive() throws {
        let bytes = try fixture("gray.png")
        let facts = try XCTUnwrap(try JSONValue.parse([UInt8](try Data(contentsOf: TestPaths.fixture("expected.json", target: "ImageStatsTests"))))["gray.png"])
        let pixels = try XCTUnwrap(facts["width"]?.intValue) * XCTUnwrap(facts["height"]?.intValue)
        let exact = try ImageStatsModel.plugin.make(PluginContext(maxImagePixels: pixels, logger: LogCapture().logger()))
        XCTAssertNoThrow(try exact.run(ModelInput(bytes: bytes)))
        let under = try ImageStatsModel.plugin.make(PluginContext(maxImagePixels: pixels - 1, logger: LogCapture().logger()))
        XCTAssertThrowsError(try under.run(ModelInput(bytes: bytes))) { error in
            XCTAssertEqual((error as? ModelError)?.status, .payloadTooLarge, "\(error)")
        }
    }

    func testMetadataAndSchemaDescribeTheOutput() throws {
        XCTAssertEqual(model.metadata.id, "image-stats")
        let prediction = try XCTUnwrap(try model.run(ModelInput(bytes: try fixture("gray.png"))).predictions.first)
        XCTAssertEqual(prediction.objectMembers?.map(\.key), model.output.properties.map(\.name), "declared order")
    }
}
