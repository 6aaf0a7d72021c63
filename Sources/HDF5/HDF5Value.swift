/// An attribute's value: strings, integers or floating-point numbers, flattened row-major with
/// the shape they had in the file (`[]` for a scalar).
public enum HDF5Value: Equatable, Sendable {
    case strings([String], shape: [Int])
    case integers([Int64], shape: [Int])
    case floats([Double], shape: [Int])

    /// The string of a scalar or one-element string value.
    public var string: String? {
        if case .strings(let values, _) = self, values.count == 1 { return values[0] }
        return nil
    }

    /// All strings of a string value, whatever its shape. An empty value of any type is an
    /// empty list: Keras stores "no weight names" as an empty float64 array.
    public var stringArray: [String]? {
        if case .strings(let values, _) = self { return values }
        return count == 0 ? [] : nil
    }

    /// Numbers of an integer or float value, as Doubles.
    public var doubles: [Double]? {
        switch self {
        case .integers(let values, _): return values.map(Double.init)
        case .floats(let values, _): return values
        case .strings: return nil
        }
    }

    public var shape: [Int] {
        switch self {
        case .strings(_, let shape), .integers(_, let shape), .floats(_, let shape): return shape
        }
    }

    public var count: Int {
        switch self {
        case .strings(let values, _): return values.count
        case .integers(let values, _): return values.count
        case .floats(let values, _): return values.count
        }
    }

    /// Decodes `raw` (the stored elements of `space`) as a value of `type`.
    static func decode(_ raw: ArraySlice<UInt8>, type: HDF5Datatype, space: Dataspace, _ image: FileImage) throws -> HDF5Value {
        if space.kind == .null { return .floats([], shape: []) }
        let shape = space.dimensions
        if type.isString {
            let (values, extra) = try ValueDecoding.strings(raw, type, image)
            return .strings(values, shape: shape + extra)
        }
        let (element, _, extra) = try ValueDecoding.numericElement(type)
        switch element.kind {
        case .integer:
            return .integers(try ValueDecoding.integers(raw, type), shape: shape + extra)
        default:
            return .floats(try ValueDecoding.doubles(Array(raw), type), shape: shape + extra)
        }
    }
}
