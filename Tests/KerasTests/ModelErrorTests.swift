import XCTest
@testable import Keras

/// What the engine refuses, at load time, with a message naming the layer.
final class ModelErrorTests: XCTestCase {
    private func sequential(_ layers: String, input: String = "[null, 4, 4, 2]") -> [UInt8] {
        Array("""
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": \(input)}}, \(layers)]}}
        """.utf8)
    }

    private func loadError(_ json: [UInt8], weights: LayerWeights = [:]) -> KerasError? {
        do {
            _ = try KerasModel(configurationJSON: json, weights: weights)
            return nil
        } catch {
            return error as? KerasError
        }
    }

    func testUnsupportedLayerIsNamedAtLoad() {
        let error = loadError(sequential(#"{"class_name": "LSTM", "config": {"name": "lstm_7", "units": 4}}"#))
        XCTAssertEqual(error, .unsupportedLayer(className: "LSTM", name: "lstm_7"))
        XCTAssert(error?.description.contains("lstm_7") == true && error?.description.contains("LSTM") == true)
    }

    func testChannelsFirstIsRefused() {
        let json = sequential(#"{"class_name": "MaxPooling2D", "config": {"name": "pool", "data_format": "channels_first"}}"#)
        guard case let .unsupportedSetting(className, name, reason)? = loadError(json) else {
            return XCTFail("expected unsupportedSetting")
        }
        XCTAssertEqual(className, "MaxPooling2D")
        XCTAssertEqual(name, "pool")
        XCTAssert(reason.contains("channels_first"), reason)
    }

    func testUnknownActivationIsRefused() {
        let json = sequential(#"{"class_name": "Activation", "config": {"name": "act", "activation": "mish_custom"}}"#)
        guard case let .unsupportedSetting(className, name, reason)? = loadError(json) else {
            return XCTFail("expected unsupportedSetting")
        }
        XCTAssertEqual(className, "Activation")
        XCTAssertEqual(name, "act")
        XCTAssert(reason.contains("mish_custom"), reason)
    }

    func testMissingAndMisshapenWeights() {
        let json = sequential(#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 3, "kernel_size": [3, 3]}}"#)
        guard case .missingWeights(layer: "c", _)? = loadError(json) else { return XCTFail("expected missingWeights") }
        let wrong = ["c": [WeightTensor(shape: [3, 3, 1, 3], values: [Float](repeating: 0, count: 27)),
                           WeightTensor(shape: [3], values: [0, 0, 0])]]
        XCTAssertEqual(loadError(json, weights: wrong),
                       .weightShapeMismatch(layer: "c", weight: "kernel", expected: [3, 3, 2, 3], found: [3, 3, 1, 3]))
    }

    func testWindowLargerThanInputIsRefused() {
        let json = sequential(#"{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [5, 5]}}"#)
        guard case .invalidLayerConfig(className: "MaxPooling2D", name: "p", _)? = loadError(json) else {
            return XCTFail("expected invalidLayerConfig")
        }
    }

    func testMalformedConfigurations() {
        XCTAssertNotNil(loadError(Array("not json".utf8)))
        XCTAssertNotNil(loadError(Array("[1, 2]".utf8)))
        XCTAssertNotNil(loadError(Array(#"{"class_name": "Sequential", "config": {"layers": []}}"#.utf8)))
        // Unknown spatial dimensions cannot be planned.
        XCTAssertNotNil(loadError(sequential(#"{"class_name": "Flatten", "config": {"name": "f"}}"#,
                                             input: "[null, null, 4, 2]")))
        XCTAssertNotNil(loadError(sequential(#"{"class_name": "Reshape", "config": {"name": "r", "target_shape": [7, -1]}}"#)))
        let dangling = #"""
        {"class_name": "Functional", "config": {"name": "f", "layers": [
          {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
          {"class_name": "Dropout", "name": "d", "config": {"name": "d", "rate": 0.5}, "inbound_nodes": [[["nowhere", 0, 0, {}]]]}],
          "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}
        """#
        guard case .invalidModelConfig? = loadError(Array(dangling.utf8)) else { return XCTFail("expected invalidModelConfig") }
    }

    func testPredictChecksInputSize() throws {
        let json = sequential(#"{"class_name": "Flatten", "config": {"name": "f"}}"#)
        let model = try KerasModel(configurationJSON: json, weights: [:])
        XCTAssertEqual(model.inputShape, [4, 4, 2])
        XCTAssertEqual(model.outputShape, [32])
        XCTAssertThrowsError(try model.predict([Float](repeating: 0, count: 31), batchSize: 1))
        XCTAssertThrowsError(try model.predict([Float](repeating: 0, count: 32), batchSize: 2))
        XCTAssertEqual(try model.predict([], batchSize: 0), [])
        let input = (0..<64).map(Float.init)
        XCTAssertEqual(try model.predict(input, batchSize: 2), input, "Flatten passes values through")
    }
}
