import Foundation
import HDF5
import TestSupport
import XCTest
@testable import Keras

/// KerasModelFile: every Keras 2 fixture taken apart and written again reads back identically
/// and predicts what Keras predicted. (scripts/check-keras-writer.py loads the same written
/// files with tf-keras's load_model; set KERAS_WRITER_DUMP=DIR to keep them.)
final class ModelFileWriterTests: XCTestCase {
    static let fixtures = ["k2_conv_stack", "k2_functional", "k2_activations"]

    func testRewrittenFixturesPredictAsKeras() throws {
        for name in Self.fixtures {
            let fixture = try KerasFixture(name)
            let original = try KerasModelFile.read(bytes: [UInt8](try Data(contentsOf: fixture.url(name + ".h5"))))
            XCTAssertFalse(original.layers.isEmpty, name)
            let written = try original.encode()
            let reread = try KerasModelFile.read(bytes: written)
            XCTAssertEqual(reread.configuration, original.configuration, name)
            XCTAssertEqual(reread.layers, original.layers, name)
            XCTAssertEqual(reread.kerasVersion, original.kerasVersion, name)
            let model = try KerasModel.load(bytes: written)
            assertClose(try model.predict(fixture.inputs, batchSize: fixture.batch), fixture.outputs, tolerance: 1e-5, name)
            // The HDF5 layout Keras reads: nested weight groups, layer_names, weight_names.
            let file = try HDF5File(bytes: written)
            XCTAssertEqual(try file.group(at: "model_weights").attribute("layer_names")?.stringArray, original.layers.map(\.layer))
            for layer in original.layers {
                for (weight, tensor) in layer.weights {
                    XCTAssertEqual(try file.dataset(at: "model_weights/\(layer.layer)/\(weight)").shape, tensor.shape)
                }
            }
            if let folder = ProcessInfo.processInfo.environment["KERAS_WRITER_DUMP"] {
                try Data(written).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name + ".h5"))
            }
        }
    }

    /// Keras splits name lists over 64,512 bytes into weight_names0, weight_names1, ...
    func testLongNameListsAreSplitAsKerasSplitsThem() throws {
        let names = (0..<3000).map { "layer_with_a_fairly_long_name_\($0)" }  // 3000 x 34 bytes
        let group = HDF5WritableGroup()
        try KerasModelFile.setNameList(names, named: "layer_names", on: group)
        XCTAssertNil(group.attributes["layer_names"])
        XCTAssertEqual(group.attributes.keys.sorted(), ["layer_names0", "layer_names1"])
        let file = try HDF5File(bytes: try HDF5Writer.encode(group))
        XCTAssertEqual(try HDF5WeightReader.stringList(file.root, "layer_names"), names)
    }

    func testBadInputIsRefused() throws {
        var file = KerasModelFile(configuration: Array("{}".utf8), layers: [
            NamedLayerWeights(layer: "dense", weights: [("dense/kernel:0", WeightTensor(shape: [2, 2], values: [1, 2, 3]))]),
        ])
        XCTAssertThrowsError(try file.encode())
        file.layers[0].weights = [("dense/k:0", WeightTensor(shape: [1], values: [1])), ("dense/k:0", WeightTensor(shape: [1], values: [2]))]
        XCTAssertThrowsError(try file.encode()) { XCTAssertTrue("\($0)".contains("two weights"), "\($0)") }
        XCTAssertThrowsError(try KerasModelFile.read(bytes: Array("not hdf5".utf8)))
        XCTAssertThrowsError(try KerasModelFile.read(bytes: try HDF5Writer.encode(HDF5WritableGroup()))) {
            XCTAssertTrue("\($0)".contains("model_config"), "\($0)")
        }
    }
}
