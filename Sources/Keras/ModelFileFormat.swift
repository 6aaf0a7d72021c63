import Foundation
import HDF5
import Kernels

/// The Keras file layouts the engine reads, recognised from their first bytes (never the name).
enum ModelFileFormat: Equatable {
    /// A zip holding config.json and model.weights.h5 (Keras 3's native `.keras`).
    case kerasArchive
    /// An HDF5 file: a full model (Keras 2, tf.keras, or Keras 3's legacy `.h5`) or weights only.
    case hdf5
    /// `model.to_json()` text: an architecture without weights.
    case architectureJSON
    case unknown

    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    static func detect(_ bytes: [UInt8]) -> ModelFileFormat {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .kerasArchive }
        // HDF5's superblock may sit at 0, 512, 1024, 2048... (a user block before it).
        var offset = 0
        while offset + hdf5Signature.count <= bytes.count {
            if bytes[offset..<(offset + hdf5Signature.count)].elementsEqual(hdf5Signature) { return .hdf5 }
            offset = offset == 0 ? 512 : offset * 2
        }
        if let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }), first == UInt8(ascii: "{") {
            return .architectureJSON
        }
        return .unknown
    }
}

extension KerasModel {
    /// Loads any supported Keras file: Keras 2 / tf.keras full-model `.h5`, Keras 3 `.keras`,
    /// or Keras 3 legacy `.h5`. The format is recognised from the content. `kernels` defaults to
    /// the process's selection (`Kernels.selected`); tests and benchmarks name a class.
    public static func load(path: String, kernels: (any KernelSet.Type)? = nil) throws -> KerasModel {
        try load(bytes: try readFile(path), kernels: kernels)
    }

    public static func load(bytes: [UInt8], kernels: (any KernelSet.Type)? = nil) throws -> KerasModel {
        switch ModelFileFormat.detect(bytes) {
        case .kerasArchive:
            return try KerasArchive(bytes: bytes).model(kernels: kernels)
        case .hdf5:
            let file = try openHDF5(bytes)
            guard try hdf5Attribute(file.root, "model_config") != nil else {
                throw KerasError.invalidFile(
                    "this HDF5 file holds weights only (model.save_weights); load it with its architecture JSON")
            }
            return try FullModelHDF5(file: file).model(kernels: kernels)
        case .architectureJSON:
            throw KerasError.invalidFile("this is an architecture JSON without weights; load it with its weights .h5")
        case .unknown:
            throw KerasError.invalidFile("neither a .keras archive, an HDF5 file nor a JSON architecture")
        }
    }

    /// An architecture from `model.to_json()` with the weights `model.save_weights()` wrote (.h5).
    public static func load(architectureJSON: [UInt8], weights: [UInt8],
                            kernels: (any KernelSet.Type)? = nil) throws -> KerasModel {
        guard ModelFileFormat.detect(weights) == .hdf5 else {
            throw KerasError.invalidFile("the weights file is not HDF5 (expected what model.save_weights wrote)")
        }
        let file = try openHDF5(weights)
        let version = try hdf5Attribute(file.root, "keras_version")?.string
        let stored = try HDF5WeightReader.readKeras2Layout(file: file, group: file.root)
        return try KerasModel(configurationJSON: architectureJSON, weights: stored, kerasVersion: version,
                              kernels: kernels)
    }

    public static func load(architecturePath: String, weightsPath: String,
                            kernels: (any KernelSet.Type)? = nil) throws -> KerasModel {
        try load(architectureJSON: try readFile(architecturePath), weights: try readFile(weightsPath), kernels: kernels)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KerasError.invalidFile("cannot read '\(path)'")
        }
        return [UInt8](data)
    }
}

func openHDF5(_ bytes: [UInt8]) throws -> HDF5File {
    do {
        return try HDF5File(bytes: bytes)
    } catch {
        throw KerasError.invalidFile("HDF5: \(error)")
    }
}

/// An attribute, with HDF5 errors reported as Keras file errors.
func hdf5Attribute(_ group: HDF5Group, _ name: String) throws -> HDF5Value? {
    do {
        return try group.attribute(name)
    } catch {
        throw KerasError.invalidFile("HDF5 attribute '\(name)' of \(group.path): \(error)")
    }
}
