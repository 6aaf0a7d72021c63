import Kernels
import XCTest
@testable import Keras

/// Every layer and activation, checked against Keras's own outputs from the configuration and
/// weights in memory (no file format involved), with each CPU class's kernels this machine runs.
final class EngineFixtureTests: XCTestCase {
    private func check(_ name: String) throws {
        for cpu in Kernels.runnable { try check(name, kernels: try XCTUnwrap(Kernels.set(for: cpu))) }
    }

    private func check(_ name: String, kernels: any KernelSet.Type) throws {
        let fixture = try KerasFixture(name)
        let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights,
                                   kerasVersion: fixture.kerasVersion, kernels: kernels)
        let name = "\(name) (\(kernels.cpu))"
        XCTAssertEqual(model.kernels.cpu, kernels.cpu)
        XCTAssertEqual(model.inputShape, fixture.inputShape)
        XCTAssertEqual(model.outputSize * fixture.batch, fixture.outputs.count)
        let outputs = try model.predict(fixture.inputs, batchSize: fixture.batch)
        assertClose(outputs, fixture.outputs, name)
        // One sample at a time gives the same answers as the batch.
        let size = model.inputSize
        for sample in 0..<fixture.batch {
            let single = try model.predict(Array(fixture.inputs[(sample * size)..<((sample + 1) * size)]), batchSize: 1)
            assertClose(single, Array(fixture.outputs[(sample * model.outputSize)..<((sample + 1) * model.outputSize)]),
                        "\(name) sample \(sample)")
        }
    }

    func testKeras2Activations() throws { try check("k2_activations") }
    func testKeras3Activations() throws { try check("k3_activations") }
    func testKeras2ConvolutionStack() throws { try check("k2_conv_stack") }
    func testKeras2FunctionalMerges() throws { try check("k2_functional") }
    func testKeras3Mix() throws { try check("k3_mix") }
    /// BatchNormalization after ReLU / ReLU6 Conv2D and Dense layers (applied as the kernels store).
    func testKeras2BatchNormalizationAfterReLU() throws { try check("k2_relu_bn") }
}
