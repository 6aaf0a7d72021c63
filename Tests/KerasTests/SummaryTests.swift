import XCTest
@testable import Keras

/// model.summary(): shapes and parameter counts as Keras reports them.
final class SummaryTests: XCTestCase {
    func testParameterCountsMatchKeras() throws {
        for name in ["k2_activations", "k2_conv_stack", "k2_functional", "k3_activations", "k3_mix"] {
            let fixture = try KerasFixture(name)
            let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights,
                                       kerasVersion: fixture.kerasVersion)
            let summary = model.summary()
            XCTAssert(summary.contains("Total params: \(fixture.totalParameters) "), "\(name):\n\(summary)")
            XCTAssert(summary.contains("Trainable params: \(fixture.trainableParameters) "), "\(name):\n\(summary)")
            XCTAssert(summary.contains("Non-trainable params: \(fixture.totalParameters - fixture.trainableParameters) "),
                      "\(name):\n\(summary)")
        }
    }

    func testSequentialSummaryListsLayersWithShapes() throws {
        let fixture = try KerasFixture("k2_conv_stack")
        let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights, kerasVersion: "2.0")
        let lines = model.summary().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Model: \"conv_stack\"")
        // conv2d: 3x3x3x6 kernel without bias = 162 parameters, output 10x9x6.
        let conv = try XCTUnwrap(lines.first { $0.hasPrefix("conv2d (Conv2D)") })
        XCTAssert(conv.contains("(None, 10, 9, 6)"), conv)
        XCTAssert(conv.hasSuffix("162"), conv)
        XCTAssertFalse(lines.contains { $0.contains("(InputLayer)") }, "Sequential summaries omit the InputLayer")
        XCTAssertEqual(model.outputShape, [4])
    }
}
