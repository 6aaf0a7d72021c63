import Foundation
import HDF5

/// What each output of a classifier stands for, kept in the model file itself, so that a model
/// trained on a subset of digits (0, 1 and 7) is served answering those digits and nothing else:
///
/// - Keras 2 `.h5`: a root attribute `class_names` holding a JSON array of strings
///   (`["0", "1", "7"]`); tf-keras's `load_model` ignores it, `h5py.File(p).attrs["class_names"]` shows it;
/// - Keras 3 `.keras`: a `class_names` array in the archive's metadata.json.
///
/// Files without one (the upstream MAX-MNIST model, anything Keras wrote) give nil.
public enum ModelClassNames {
    public static let key = "class_names"

    /// The class names a model file carries, or nil when it carries none.
    public static func read(bytes: [UInt8]) throws -> [String]? {
        switch ModelFileFormat.detect(bytes) {
        case .hdf5:
            return try read(openHDF5(bytes).root)
        case .kerasArchive:
            guard let metadata = try KerasArchive(bytes: bytes).contents("metadata.json") else { return nil }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(metadata))) as? [String: Any],
                  let value = object[key] else { return nil }
            guard let names = value as? [String] else {
                throw KerasError.invalidFile("metadata.json's \(key) is not a list of strings")
            }
            return try checked(names)
        case .architectureJSON, .unknown:
            return nil
        }
    }

    public static func read(path: String) throws -> [String]? {
        try read(bytes: try KerasModel.readFile(path))
    }

    /// The root attribute of an .h5 file, parsed.
    static func read(_ root: HDF5Group) throws -> [String]? {
        guard let value = try hdf5Attribute(root, key) else { return nil }
        guard let text = value.string else { throw KerasError.invalidFile("the \(key) attribute is not a string") }
        return try parse(text)
    }

    /// `["0", "1", "7"]` from the attribute's JSON text.
    public static func parse(_ text: String) throws -> [String] {
        guard let names = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
            throw KerasError.invalidFile("the \(key) attribute is not a JSON list of strings: \(text.prefix(80))")
        }
        return try checked(names)
    }

    /// The attribute's JSON text for `names`.
    public static func encode(_ names: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: names)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func checked(_ names: [String]) throws -> [String] {
        guard !names.isEmpty else { throw KerasError.invalidFile("the model's \(key) list is empty") }
        guard Set(names).count == names.count else { throw KerasError.invalidFile("the model's \(key) list names a class twice: \(names)") }
        return names
    }
}
