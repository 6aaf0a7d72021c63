import HDF5
import Kernels

/// Reads weights stored the Keras 2 way (also Keras 3's legacy .h5): a group with attribute
/// `layer_names`; below it, one group per layer whose attribute `weight_names` names its datasets
/// in the layer's weight order. Long lists are split into `name0`, `name1`, ... attributes.
enum HDF5WeightReader {
    static func readKeras2Layout(file: HDF5File, group: HDF5Group) throws -> LayerWeights {
        var weights: LayerWeights = [:]
        for layer in try stringList(group, "layer_names") {
            let layerGroup: HDF5Group
            do {
                layerGroup = try group.group(named: layer)
            } catch {
                throw KerasError.invalidFile("layer '\(layer)' is listed in layer_names but has no group: \(error)")
            }
            var tensors: [WeightTensor] = []
            for name in try stringList(layerGroup, "weight_names") {
                tensors.append(try readTensor(file: file, path: layerGroup.path + "/" + name, layer: layer))
            }
            if !tensors.isEmpty { weights[layer] = tensors }
        }
        return weights
    }

    /// A list of names in an attribute, joined from `name0`, `name1`... when Keras split it.
    /// Empty lists arrive as empty numeric arrays (h5py writes them so).
    static func stringList(_ group: HDF5Group, _ name: String) throws -> [String] {
        if let value = try hdf5Attribute(group, name) {
            return try names(value, attribute: name, group: group)
        }
        var joined: [String] = []
        var chunk = 0
        while let value = try hdf5Attribute(group, "\(name)\(chunk)") {
            joined += try names(value, attribute: "\(name)\(chunk)", group: group)
            chunk += 1
        }
        if chunk == 0 { throw KerasError.invalidFile("\(group.path) has no '\(name)' attribute") }
        return joined
    }

    private static func names(_ value: HDF5Value, attribute: String, group: HDF5Group) throws -> [String] {
        if let strings = value.stringArray { return strings }
        switch value {
        case let .floats(values, _) where values.isEmpty: return []
        case let .integers(values, _) where values.isEmpty: return []
        default: throw KerasError.invalidFile("attribute '\(attribute)' of \(group.path) is not a list of names")
        }
    }

    static func readTensor(file: HDF5File, path: String, layer: String) throws -> WeightTensor {
        do {
            let dataset = try file.dataset(at: path)
            let values = try dataset.readFloats()
            let shape = dataset.shape
            guard values.count == shape.reduce(1, *) else {
                throw KerasError.invalidFile("\(path) holds \(values.count) values for shape \(shape)")
            }
            return WeightTensor(shape: shape, values: values)
        } catch let error as KerasError {
            throw error
        } catch {
            throw KerasError.missingWeights(layer: layer, reason: "cannot read \(path): \(error)")
        }
    }
}

/// A full-model HDF5 file: root attributes `model_config` (JSON) and `keras_version`, weights
/// under `model_weights` in the Keras 2 layout. Keras 2, tf.keras and Keras 3's legacy .h5 all
/// write this; only the configuration's dialect differs.
struct FullModelHDF5 {
    let file: HDF5File

    func model(kernels: (any KernelSet.Type)?) throws -> KerasModel {
        guard let config = try hdf5Attribute(file.root, "model_config")?.string else {
            throw KerasError.invalidFile("the model_config attribute is not a string")
        }
        let version = try hdf5Attribute(file.root, "keras_version")?.string
        let weightsGroup: HDF5Group
        do {
            weightsGroup = try file.group(at: "model_weights")
        } catch {
            throw KerasError.invalidFile("the file has a model_config but no model_weights group")
        }
        let weights = try HDF5WeightReader.readKeras2Layout(file: file, group: weightsGroup)
        return try KerasModel(configurationJSON: Array(config.utf8), weights: weights, kerasVersion: version,
                              kernels: kernels)
    }
}
