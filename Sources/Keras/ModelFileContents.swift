import Foundation
import HDF5

/// A Keras model file taken apart: its configuration JSON, weights by layer name and the Keras
/// version that wrote it, whatever the format (Keras 2 / tf.keras .h5, Keras 3 .keras or legacy
/// .h5). The trainer starts fine-tuning from this.
package struct ModelFileContents {
    package let configuration: [UInt8]
    package let weights: LayerWeights
    package let kerasVersion: String?

    package init(bytes: [UInt8]) throws {
        switch ModelFileFormat.detect(bytes) {
        case .kerasArchive:
            let archive = try KerasArchive(bytes: bytes)
            guard let config = try archive.contents("config.json") else {
                throw KerasError.invalidFile("the archive has no config.json (not a Keras 3 .keras file)")
            }
            guard let weightBytes = try archive.contents("model.weights.h5") else {
                throw KerasError.invalidFile("the archive has no model.weights.h5")
            }
            let stored = try KerasArchive.readWeights(try openHDF5(weightBytes))
            var weights: LayerWeights = [:]
            for (name, key) in try KerasArchive.weightKeys(configuration: config) {
                if let tensors = stored[key] { weights[name] = tensors }
            }
            var version = "3"
            if let metadata = try archive.contents("metadata.json"),
               let object = try? JSONSerialization.jsonObject(with: Data(metadata)) as? [String: Any] {
                version = object["keras_version"] as? String ?? version
            }
            (configuration, self.weights, kerasVersion) = (config, weights, version)
        case .hdf5:
            let file = try KerasModelFile.read(bytes: bytes)
            var weights: LayerWeights = [:]
            for layer in file.layers where !layer.weights.isEmpty { weights[layer.layer] = layer.weights.map(\.tensor) }
            (configuration, self.weights, kerasVersion) = (file.configuration, weights, file.kerasVersion.isEmpty ? nil : file.kerasVersion)
        case .architectureJSON:
            throw KerasError.invalidFile("an architecture JSON holds no weights; give a full model file (.h5 or .keras)")
        case .unknown:
            throw KerasError.invalidFile("neither a .keras archive nor an HDF5 Keras file")
        }
    }
}
