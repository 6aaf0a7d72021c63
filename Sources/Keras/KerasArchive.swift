import Compression
import Foundation
import HDF5
import Kernels

/// A Keras 3 `.keras` file: a zip with `config.json` (the model configuration), `metadata.json`
/// (keras_version) and `model.weights.h5`, whose weights sit at `layers/<key>/vars/<i>` in the
/// order of the layer's weights. The key is not the layer's name: Keras 3 derives it from the class
/// (`conv2d`, `conv2d_1`, `re_lu`...) counting the model's layers in order, so that two instances
/// of one architecture save alike.
package struct KerasArchive {
    let archive: ZipArchive

    init(bytes: [UInt8]) throws {
        do {
            archive = try ZipArchive(bytes: bytes)
        } catch {
            throw KerasError.invalidFile("zip: \(error)")
        }
    }

    func contents(_ name: String) throws -> [UInt8]? {
        guard let entry = archive.entry(named: name) else { return nil }
        do {
            return try archive.contents(of: entry)
        } catch {
            throw KerasError.invalidFile("zip entry \(name): \(error)")
        }
    }

    func model(kernels: (any KernelSet.Type)?) throws -> KerasModel {
        guard let config = try contents("config.json") else {
            throw KerasError.invalidFile("the archive has no config.json (not a Keras 3 .keras file)")
        }
        guard let weightBytes = try contents("model.weights.h5") else {
            throw KerasError.invalidFile("the archive has no model.weights.h5")
        }
        var version: String? = nil
        if let metadata = try contents("metadata.json"),
           let object = try? JSONSerialization.jsonObject(with: Data(metadata)) as? [String: Any] {
            version = object["keras_version"] as? String
        }
        let file = try openHDF5(weightBytes)
        let stored = try KerasArchive.readWeights(file)
        var weights: LayerWeights = [:]
        for (name, key) in try KerasArchive.weightKeys(configuration: config) {
            if let tensors = stored[key] { weights[name] = tensors }
        }
        return try KerasModel(configurationJSON: config, weights: weights, kerasVersion: version ?? "3",
                              kernels: kernels)
    }

    /// (layer name, key in model.weights.h5) for every layer, as Keras 3's saving code names
    /// them: snake_case of the class, then _1, _2... for repeats. Sequential models do not count
    /// their InputLayer; Functional ones do.
    static func weightKeys(configuration: [UInt8]) throws -> [(String, String)] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(configuration)) as? [String: Any] else {
            throw KerasError.invalidModelConfig("config.json is not a JSON object")
        }
        let sequential = root["class_name"] as? String == "Sequential"
        let layers = (root["config"] as? [String: Any])?["layers"] as? [[String: Any]] ?? []
        var used: [String: Int] = [:]
        var keys: [(String, String)] = []
        for layer in layers {
            guard let className = layer["class_name"] as? String else { continue }
            if sequential && className == "InputLayer" { continue }
            let name = (layer["config"] as? [String: Any])?["name"] as? String ?? (layer["name"] as? String ?? "")
            var key = snakeCase(className)
            if let count = used[key] {
                used[key] = count + 1
                key += "_\(count + 1)"
            } else {
                used[key] = 0
            }
            keys.append((name, key))
        }
        return keys
    }

    /// Keras's `to_snake_case`: "BatchNormalization" -> "batch_normalization", "ReLU" -> "re_lu",
    /// "Conv2D" -> "conv2d".
    package static func snakeCase(_ name: String) -> String {
        let characters = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        func isUpper(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
        func isLower(_ c: Character) -> Bool { c.isASCII && c.isLowercase }
        // Pass 1: "_" before an uppercase letter followed by lowercase ones, when not first.
        var first: [Character] = []
        for (index, character) in characters.enumerated() {
            if index > 0, isUpper(character), index + 1 < characters.count, isLower(characters[index + 1]) {
                first.append("_")
            }
            first.append(character)
        }
        // Pass 2: "_" between a lowercase letter and an uppercase one.
        var second: [Character] = []
        for (index, character) in first.enumerated() {
            if index > 0, isUpper(character), isLower(first[index - 1]) { second.append("_") }
            second.append(character)
        }
        return String(second).lowercased()
    }

    /// Every `layers/<name>/vars/<i>`, in numeric order of i.
    static func readWeights(_ file: HDF5File) throws -> LayerWeights {
        var weights: LayerWeights = [:]
        let layers: HDF5Group
        do {
            layers = try file.group(at: "layers")
        } catch {
            return weights  // a model without layers that hold weights
        }
        let names: [String]
        do {
            names = try layers.childNames()
        } catch {
            throw KerasError.invalidFile("model.weights.h5: cannot list layers: \(error)")
        }
        for layer in names {
            guard let vars = try? file.group(at: "layers/\(layer)/vars"),
                  let indices = try? vars.childNames() else { continue }
            let ordered = indices.compactMap { Int($0) }.sorted()
            guard ordered.count == indices.count else {
                throw KerasError.invalidFile("model.weights.h5: layers/\(layer)/vars holds non-numeric entries \(indices)")
            }
            var tensors: [WeightTensor] = []
            for index in ordered {
                tensors.append(try HDF5WeightReader.readTensor(file: file, path: "layers/\(layer)/vars/\(index)", layer: layer))
            }
            if !tensors.isEmpty { weights[layer] = tensors }
        }
        return weights
    }
}
