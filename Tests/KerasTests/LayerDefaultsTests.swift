import Foundation
import XCTest
@testable import Keras

/// Keras's defaults apply when a configuration leaves a key out (hand-written or old files).
final class LayerDefaultsTests: XCTestCase {
    /// BatchNormalization without `epsilon` uses Keras's 1e-3: x / sqrt(var + 1e-3) for gamma 1,
    /// beta 0, mean 0, variance 1.
    func testBatchNormalizationDefaultEpsilonIsKeras() throws {
        let json = #"""
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 1], "dtype": "float32", "name": "input"}},
          {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1}}]}}
        """#
        let one = WeightTensor(shape: [1], values: [1]), zero = WeightTensor(shape: [1], values: [0])
        let weights: LayerWeights = ["bn": [one, zero, zero, one]]
        let model = try KerasModel(configurationJSON: Array(json.utf8), weights: weights, kerasVersion: "2.15.0")
        let output = try model.predict([1], batchSize: 1)
        XCTAssertEqual(output.first ?? 0, 1 / (1 + 1e-3 as Float).squareRoot(), accuracy: 1e-7)
    }
}
