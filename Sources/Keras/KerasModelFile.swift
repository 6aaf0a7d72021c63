import Foundation
import HDF5

/// One layer's weights as a Keras file names them: ("conv2d/kernel:0", tensor), ... in the
/// layer's weight order.
public struct NamedLayerWeights: Equatable, Sendable {
    public var layer: String
    public var weights: [(name: String, tensor: WeightTensor)]

    public init(layer: String, weights: [(name: String, tensor: WeightTensor)]) {
        self.layer = layer
        self.weights = weights
    }

    public static func == (lhs: NamedLayerWeights, rhs: NamedLayerWeights) -> Bool {
        lhs.layer == rhs.layer && lhs.weights.map(\.name) == rhs.weights.map(\.name)
            && lhs.weights.map(\.tensor) == rhs.weights.map(\.tensor)
    }
}

/// A Keras 2 full-model `.h5` file as data: the model configuration, version strings and every
/// layer's named weights. `encode()` writes what tf-keras's `model.save(path, save_format="h5",
/// include_optimizer=False)` writes, which `keras.models.load_model` opens; `read` takes such a
/// file apart again (the trainer fine-tunes from one and writes it back).
public struct KerasModelFile: Equatable, Sendable {
    /// `model.to_json()` (Keras 2 dialect).
    public var configuration: [UInt8]
    public var kerasVersion: String
    public var backend: String
    /// Every layer of the model in order (layers without weights too: Keras lists them).
    public var layers: [NamedLayerWeights]
    /// What each output stands for (root attribute `class_names`; see `ModelClassNames`), when known.
    public var classNames: [String]?

    /// The Keras version whose file format `encode()` follows (and whose tf-keras loads it).
    public static let writtenKerasVersion = "2.21.0"

    public init(configuration: [UInt8], layers: [NamedLayerWeights], kerasVersion: String = KerasModelFile.writtenKerasVersion,
                backend: String = "tensorflow", classNames: [String]? = nil) {
        self.configuration = configuration
        self.layers = layers
        self.kerasVersion = kerasVersion
        self.backend = backend
        self.classNames = classNames
    }

    /// Keras keeps an attribute under this many bytes, splitting longer name lists into
    /// `name0`, `name1`, ... (HDF5_OBJECT_HEADER_LIMIT in its saving code).
    static let attributeLimit = 64512

    public func encode() throws -> [UInt8] {
        let root = HDF5WritableGroup()
        guard let configText = String(bytes: configuration, encoding: .utf8) else {
            throw KerasError.invalidModelConfig("the configuration is not UTF-8 text")
        }
        root.attributes["model_config"] = .string(configText)
        root.attributes["keras_version"] = .string(kerasVersion)
        root.attributes["backend"] = .string(backend)
        if let classNames { root.attributes[ModelClassNames.key] = .string(ModelClassNames.encode(classNames)) }
        let weightsGroup = root.group("model_weights")
        weightsGroup.attributes["backend"] = .string(backend)
        weightsGroup.attributes["keras_version"] = .string(kerasVersion)
        try Self.setNameList(layers.map(\.layer), named: "layer_names", on: weightsGroup)
        for layer in layers {
            let group = weightsGroup.group(layer.layer)
            if layer.weights.isEmpty {
                // Keras stores an empty list as an empty float64 array.
                group.attributes["weight_names"] = try HDF5WritableArray(.float64([]))
                continue
            }
            try Self.setNameList(layer.weights.map(\.name), named: "weight_names", on: group)
            for (name, tensor) in layer.weights {
                let components = name.split(separator: "/").map(String.init)
                guard let datasetName = components.last, !components.isEmpty else {
                    throw KerasError.invalidModelConfig("layer '\(layer.layer)' has a weight with an empty name")
                }
                let parent = components.count == 1 ? group : group.group(components.dropLast().joined(separator: "/"))
                guard parent.datasets[datasetName] == nil else {
                    throw KerasError.invalidModelConfig("layer '\(layer.layer)' names two weights '\(name)'")
                }
                do {
                    parent.datasets[datasetName] = try HDF5WritableArray(.float32(tensor.values), shape: tensor.shape)
                } catch {
                    throw KerasError.weightShapeMismatch(layer: layer.layer, weight: name, expected: tensor.shape, found: [tensor.values.count])
                }
            }
        }
        // tf-keras also writes this (empty unless the model has weights of its own).
        weightsGroup.group("top_level_model_weights").attributes["weight_names"] = try HDF5WritableArray(.float64([]))
        do {
            return try HDF5Writer.encode(root)
        } catch let error as HDF5Error {
            throw KerasError.invalidFile("cannot write the HDF5 file: \(error)")
        }
    }

    /// Splits a list the way Keras does: into as few chunks as keep each (count x longest name)
    /// under the limit, sized like numpy.array_split.
    static func setNameList(_ names: [String], named attribute: String, on group: HDF5WritableGroup) throws {
        let width = max(1, names.map(\.utf8.count).max() ?? 1)
        guard width <= attributeLimit else {
            throw KerasError.invalidModelConfig("a name of \(width) bytes is longer than a Keras file can store")
        }
        var chunks = 1
        while (names.count + chunks - 1) / chunks * width > attributeLimit { chunks += 1 }
        if chunks == 1 {
            group.attributes[attribute] = .strings(names)
            return
        }
        var start = 0
        for chunk in 0..<chunks {
            let size = names.count / chunks + (chunk < names.count % chunks ? 1 : 0)
            group.attributes["\(attribute)\(chunk)"] = .strings(Array(names[start..<(start + size)]))
            start += size
        }
    }

    /// Reads a Keras 2 full-model `.h5` (tf-keras, Keras 2, or Keras 3's legacy `.h5`).
    public static func read(bytes: [UInt8]) throws -> KerasModelFile {
        guard ModelFileFormat.detect(bytes) == .hdf5 else {
            throw KerasError.invalidFile("not an HDF5 file (a Keras 2 full-model .h5 is expected)")
        }
        let file = try openHDF5(bytes)
        guard let config = try hdf5Attribute(file.root, "model_config")?.string else {
            throw KerasError.invalidFile("the file has no model_config attribute (weights only?)")
        }
        let group: HDF5Group
        do {
            group = try file.group(at: "model_weights")
        } catch {
            throw KerasError.invalidFile("the file has a model_config but no model_weights group")
        }
        var layers: [NamedLayerWeights] = []
        for layer in try HDF5WeightReader.stringList(group, "layer_names") {
            let layerGroup: HDF5Group
            do {
                layerGroup = try group.group(named: layer)
            } catch {
                throw KerasError.invalidFile("layer '\(layer)' is listed in layer_names but has no group")
            }
            var weights: [(String, WeightTensor)] = []
            for name in try HDF5WeightReader.stringList(layerGroup, "weight_names") {
                weights.append((name, try HDF5WeightReader.readTensor(file: file, path: layerGroup.path + "/" + name, layer: layer)))
            }
            layers.append(NamedLayerWeights(layer: layer, weights: weights))
        }
        return KerasModelFile(configuration: Array(config.utf8), layers: layers,
                              kerasVersion: try hdf5Attribute(file.root, "keras_version")?.string ?? "",
                              backend: try hdf5Attribute(file.root, "backend")?.string ?? "tensorflow",
                              classNames: try ModelClassNames.read(file.root))
    }

    /// The model this file describes, ready to predict.
    public func model() throws -> KerasModel {
        var weights: LayerWeights = [:]
        for layer in layers where !layer.weights.isEmpty { weights[layer.layer] = layer.weights.map(\.tensor) }
        return try KerasModel(configurationJSON: configuration, weights: weights, kerasVersion: kerasVersion)
    }
}
