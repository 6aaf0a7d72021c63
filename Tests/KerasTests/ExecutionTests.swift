import Foundation
import XCTest
@testable import Keras

/// How the engine runs: folding at load, batches larger than a chunk, concurrent callers.
final class ExecutionTests: XCTestCase {
    private func model(_ name: String) throws -> (KerasModel, KerasFixture) {
        let fixture = try KerasFixture(name)
        return (try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights,
                               kerasVersion: fixture.kerasVersion), fixture)
    }

    func testBatchNormalizationAndActivationFoldIntoConvolution() throws {
        let (model, _) = try model("k2_conv_stack")
        let nodes = model.plan.graph.nodes
        func node(_ name: String) throws -> GraphNode { try XCTUnwrap(nodes.first { $0.name == name }, name) }
        // conv2d (linear) -> batch_normalization -> activation(relu): both fold into conv2d.
        XCTAssertNil(try node("batch_normalization").operation)
        XCTAssertNil(try node("activation").operation)
        let conv = try XCTUnwrap(try node("conv2d").operation as? Conv2DOperation)
        XCTAssertEqual(conv.activation, .relu)
        // conv2d_1 has an elu activation, so the BatchNormalization after it stays an operation.
        XCTAssertNotNil(try node("batch_normalization_1").operation)
        // dense_1 (linear, no bias) -> batch_normalization_3: folded, giving dense_1 a bias.
        XCTAssertNil(try node("batch_normalization_3").operation)
        XCTAssertEqual((try node("dense_1").operation as? DenseOperation)?.bias.count, 4)
    }

    func testLargeBatchesRunInChunks() throws {
        let (model, fixture) = try model("k2_functional")
        // 3 samples repeated to a batch larger than the chunk size, with a ragged last chunk.
        let repeats = model.plan.chunk + 2
        var input: [Float] = []
        var expected: [Float] = []
        for _ in 0..<repeats {
            input += fixture.inputs
            expected += fixture.outputs
        }
        let output = try model.predict(input, batchSize: fixture.batch * repeats)
        assertClose(output, expected, "k2_functional x\(repeats)")
    }

    func testConcurrentPredictionsAgree() throws {
        let (model, fixture) = try model("k2_conv_stack")
        let threads = 6
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: threads)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            var last: [Float] = []
            for _ in 0..<20 { last = (try? model.predict(fixture.inputs, batchSize: fixture.batch)) ?? [] }
            results[index] = last
        }
        for index in 0..<threads { assertClose(results[index], fixture.outputs, "thread \(index)") }
    }

    func testActivationFormulas() {
        // Spot values of the formulas, independent of Keras fixtures.
        XCTAssertEqual(Activation.hardSigmoidKeras2.scalar(1), 0.7, accuracy: 1e-7)
        XCTAssertEqual(Activation.hardSigmoidKeras3.scalar(1), 4.0 / 6.0, accuracy: 1e-7)
        XCTAssertEqual(Activation.generalizedReLU(maxValue: 2, negativeSlope: 0.5, threshold: 1).scalar(0), -0.5)
        XCTAssertEqual(Activation.generalizedReLU(maxValue: 2, negativeSlope: 0.5, threshold: 1).scalar(3), 2)
        XCTAssertEqual(Activation.selu.scalar(1), 1.0507009873554805, accuracy: 1e-6)
        XCTAssertEqual(Activation.parse("silu", flavor: .keras3), .swish)
        XCTAssertNil(Activation.parse("unknown", flavor: .keras2))
    }
}
