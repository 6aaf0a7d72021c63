/// What `HDF5Writer` writes: a tree of groups and datasets with attributes, built in memory.
///
///     let root = HDF5WritableGroup()
///     root.attributes["backend"] = .string("tensorflow")
///     let layer = root.group("model_weights").group("dense")
///     layer.datasets["kernel:0"] = try HDF5WritableArray(.float32(values), shape: [784, 10])
public final class HDF5WritableGroup {
    public var attributes: [String: HDF5WritableArray] = [:]
    public var datasets: [String: HDF5WritableArray] = [:]
    /// Attributes of datasets, by dataset name (rarely needed; Keras sets none).
    public var datasetAttributes: [String: [String: HDF5WritableArray]] = [:]
    public private(set) var groups: [String: HDF5WritableGroup] = [:]

    public init() {}

    /// The subgroup `name`, created empty when absent. A path "a/b" walks (and creates) both.
    @discardableResult
    public func group(_ name: String) -> HDF5WritableGroup {
        var current = self
        for component in name.split(separator: "/").map(String.init) {
            if let existing = current.groups[component] {
                current = existing
            } else {
                let created = HDF5WritableGroup()
                current.groups[component] = created
                current = created
            }
        }
        return current
    }

    /// Every member name (groups and datasets), sorted as HDF5 orders a symbol table (bytewise).
    var memberNames: [String] {
        (Array(groups.keys) + Array(datasets.keys)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// An n-dimensional array of one element type, the value of a dataset or an attribute.
/// Strings are written as fixed-length, NUL-padded byte strings (as h5py 2 and the 'earliest'
/// format store them), sized to the longest.
public struct HDF5WritableArray: Equatable {
    public enum Elements: Equatable {
        case float32([Float])
        case float64([Double])
        case int8([Int8]), int16([Int16]), int32([Int32]), int64([Int64])
        case uint8([UInt8])
        case strings([String])

        public var count: Int {
            switch self {
            case .float32(let values): return values.count
            case .float64(let values): return values.count
            case .int8(let values): return values.count
            case .int16(let values): return values.count
            case .int32(let values): return values.count
            case .int64(let values): return values.count
            case .uint8(let values): return values.count
            case .strings(let values): return values.count
            }
        }
    }

    public let elements: Elements
    /// Dimensions; `[]` is a scalar (one element).
    public let shape: [Int]

    /// `shape` defaults to one dimension holding every element.
    public init(_ elements: Elements, shape: [Int]? = nil) throws {
        let shape = shape ?? [elements.count]
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { throw HDF5Error(.corrupt, "negative dimension in shape \(shape)") }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw HDF5Error.tooLarge("shape \(shape)") }
            product = next
        }
        guard product == elements.count else {
            throw HDF5Error(.corrupt, "shape \(shape) holds \(product) elements, \(elements.count) were given")
        }
        self.elements = elements
        self.shape = shape
    }

    /// A scalar string (Keras's `keras_version`, `backend`, `model_config`).
    public static func string(_ value: String) -> HDF5WritableArray {
        // A scalar of one element always matches its shape.
        try! HDF5WritableArray(.strings([value]), shape: [])
    }

    /// A one-dimensional list of strings (Keras's `layer_names`, `weight_names`).
    public static func strings(_ values: [String]) -> HDF5WritableArray {
        try! HDF5WritableArray(.strings(values))
    }

    /// A scalar number.
    public static func scalar(_ value: Double) -> HDF5WritableArray {
        try! HDF5WritableArray(.float64([value]), shape: [])
    }

    /// Bytes per element as stored.
    var elementSize: Int {
        switch elements {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .int16: return 2
        case .int8, .uint8: return 1
        case .strings(let values): return max(1, values.map(\.utf8.count).max() ?? 1)
        }
    }
}
