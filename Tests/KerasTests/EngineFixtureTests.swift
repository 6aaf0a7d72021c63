import XCTest
@testable import Keras

/// Every layer and activation, checked against Keras's own outputs from the configuration and
/// weights in memory (no file format involved).
final class EngineFixtureTests: XCTestCase {
    private func check(_ name: String) throws {
        let fixture = try KerasFixture(name)
        let model = try KerasModel(configurationJSON: fixture.configJSON, weights: fixture.weights,
                                   kerasVersion: fixture.kerasVersion)
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
}
