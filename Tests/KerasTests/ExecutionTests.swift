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

    /// BatchNormalization after a ReLU cannot fold into the weights; it is applied by the kernels
    /// as they store (PackedMatrix.outputAffine), so it leaves no operation of its own.
    func testBatchNormalizationAfterReLUIsAppliedAsResultsAreStored() throws {
        let (model, _) = try model("k2_relu_bn")
        let nodes = model.plan.graph.nodes
        let normalizations = nodes.filter { $0.name.hasPrefix("batch_normalization") }
        XCTAssertEqual(normalizations.count, 4)
        for node in normalizations { XCTAssertNil(node.operation, "\(node.name) is folded") }
        let convolutions = nodes.compactMap { $0.operation as? Conv2DOperation }
        let dense = nodes.compactMap { $0.operation as? DenseOperation }
        XCTAssertEqual(convolutions.map { $0.outputAffine != nil }, [true, true, true])
        XCTAssertEqual(dense.map { $0.outputAffine != nil }, [true, false])
        XCTAssertEqual(convolutions.map(\.activation), [.relu, .relu, .relu6])
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
        let results = ConcurrentResults(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            results.record(index) { try (0..<20).map { _ in try model.predict(fixture.inputs, batchSize: fixture.batch) } }
        }
        XCTAssertEqual(results.errors, [], "no concurrent prediction may fail")
        for index in 0..<threads {
            let outputs = results.outputs[index]
            XCTAssertEqual(outputs.count, 20, "thread \(index)")
            for (round, output) in outputs.enumerated() { assertClose(output, fixture.outputs, "thread \(index) round \(round)") }
        }
    }

    func testActivationFormulas() {
        // Spot values of the formulas, independent of Keras fixtures.
        XCTAssertEqual(Activation.hardSigmoidKeras2.scalar(1), 0.7, accuracy: 1e-7)
        XCTAssertEqual(Activation.hardSigmoidKeras3.scalar(1), 4.0 / 6.0, accuracy: 1e-7)
        XCTAssertEqual(Activation.generalizedReLU(maxValue: 2, negativeSlope: 0.5, threshold: 1).scalar(0), -0.5)
        XCTAssertEqual(Activation.generalizedReLU(maxValue: 2, negativeSlope: 0.5, threshold: 1).scalar(3), 2)
        XCTAssertEqual(Activation.selu.scalar(1), 1.0507009873554805, accuracy: 1e-6)
        // TensorFlow's values: relu6 caps at 6, softplus is log1p(exp(x)) up to 20, elu scales by alpha.
        XCTAssertEqual(Activation.relu6.scalar(7), 6)
        XCTAssertEqual(Activation.softplus.scalar(5), 5.006715348489118, accuracy: 1e-5)
        XCTAssertEqual(Activation.elu(alpha: 0.5).scalar(-1), -0.3160602794, accuracy: 1e-6)
        // Softmax of large scores does not overflow: exp is taken after subtracting the maximum.
        var scores: [Float] = [1000, 1001]
        scores.withUnsafeMutableBufferPointer { Activation.softmax.apply($0.baseAddress!, count: 2, rowLength: 2) }
        XCTAssertEqual(scores[0], 0.26894142, accuracy: 1e-6)
        XCTAssertEqual(scores[1], 0.73105858, accuracy: 1e-6)
        XCTAssertEqual(Activation.parse("silu", flavor: .keras3), .swish)
        XCTAssertNil(Activation.parse("unknown", flavor: .keras2))
    }
}

/// Steady-state predictions allocate nothing, and old Keras configuration shapes still load.
final class SteadyStateTests: XCTestCase {
    /// Predictions reuse pooled workspaces: one per concurrent caller, never one per call.
    func testPredictionsReuseTheirWorkspace() throws {
        let fixture = try KerasFixture("k2_conv_stack")
        let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights, kerasVersion: "2.0")
        var output = [Float](repeating: 0, count: model.outputSize * fixture.batch)
        func predict() throws {
            try fixture.inputs.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in
                    try model.predict(input: input, batchSize: fixture.batch, output: output)
                }
            }
        }
        for _ in 0..<50 { try predict() }
        XCTAssertEqual(model.pool.created, 1, "sequential predictions share one workspace")
        assertClose(output, fixture.outputs, "after warm-up")
        let results = ConcurrentResults(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            results.record(index) { try (0..<10).map { _ in try model.predict(fixture.inputs, batchSize: fixture.batch) } }
        }
        XCTAssertEqual(results.errors, [], "no concurrent prediction may fail")
        XCTAssertEqual(results.outputs.map(\.count), [10, 10, 10, 10])
        for output in results.outputs.joined() { assertClose(output, fixture.outputs, "concurrent caller") }
        XCTAssertLessThanOrEqual(model.pool.created, 4, "at most one workspace per concurrent caller")
    }

    /// A burst of concurrent callers leaves workspaces behind; steady traffic afterwards reuses
    /// the top of the stack and the rest are dropped once idle for the pool's lifetime.
    func testWorkspacesLeftByABurstExpire() throws {
        let fixture = try KerasFixture("k2_conv_stack")
        let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights, kerasVersion: "2.0")
        final class FakeClock: @unchecked Sendable { var now = 0.0 }
        let clock = FakeClock()
        let pool = WorkspacePool(idleLifetime: 10, clock: { clock.now })
        let burst = (0..<4).map { _ in pool.take { Workspace(plan: model.plan) } }
        for workspace in burst { pool.give(workspace) }
        XCTAssertEqual(pool.created, 4)
        XCTAssertEqual(pool.idleCount, 4, "all four are kept while recently used")
        for second in 1...9 {
            clock.now = Double(second)
            pool.give(pool.take { Workspace(plan: model.plan) })
        }
        XCTAssertEqual(pool.idleCount, 4, "nothing is dropped before the lifetime passes")
        for second in 10...30 {
            clock.now = Double(second)
            pool.give(pool.take { Workspace(plan: model.plan) })
        }
        XCTAssertEqual(pool.idleCount, 1, "one caller at a time needs one workspace")
        XCTAssertEqual(pool.expired, 3)
        XCTAssertEqual(pool.created, 4, "the steady caller kept reusing the same workspace")
    }

    /// Keras <= 2.1 stored a Sequential model's layer list directly, the input shape on the first layer.
    func testKeras21SequentialLayerList() throws {
        let json = #"""
        {"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "dense_1", "units": 2,
          "activation": "relu", "use_bias": true, "batch_input_shape": [null, 3]}}]}
        """#
        let weights: LayerWeights = ["dense_1": [WeightTensor(shape: [3, 2], values: [1, -1, 2, -2, 3, -3]),
                                                 WeightTensor(shape: [2], values: [0.5, 0.25])]]
        let model = try KerasModel(configurationJSON: Array(json.utf8), weights: weights)
        XCTAssertEqual(model.inputShape, [3])
        // [1, 1, 1] -> [1 + 2 + 3 + 0.5, relu(-6 + 0.25)] = [6.5, 0]
        XCTAssertEqual(try model.predict([1, 1, 1], batchSize: 1), [6.5, 0])
        XCTAssert(model.summary().contains("dense_1 (Dense)"))
    }
}

/// What concurrent callers produced: each caller's outputs, and every error as text (so a
/// failing prediction fails the test instead of vanishing in a `try?`).
final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var outputs: [[[Float]]]
    private(set) var errors: [String] = []

    init(count: Int) { outputs = Array(repeating: [], count: count) }

    func record(_ index: Int, _ body: () throws -> [[Float]]) {
        do {
            let produced = try body()
            lock.lock(); outputs[index] = produced; lock.unlock()
        } catch {
            lock.lock(); errors.append("caller \(index): \(error)"); lock.unlock()
        }
    }
}
