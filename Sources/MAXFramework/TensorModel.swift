/// The element types of the Open Inference Protocol (KServe v2, Triton), by their wire names.
public enum TensorDataType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "UINT8", uint16 = "UINT16", uint32 = "UINT32", uint64 = "UINT64"
    case int8 = "INT8", int16 = "INT16", int32 = "INT32", int64 = "INT64"
    case fp16 = "FP16", fp32 = "FP32", fp64 = "FP64"
    case bytes = "BYTES"

    /// Bytes per element in binary tensor data; nil for BYTES (length-prefixed) and BOOL (1).
    public var elementSize: Int? {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .fp16: return 2
        case .uint32, .int32, .fp32: return 4
        case .uint64, .int64, .fp64: return 8
        case .bytes: return nil
        }
    }
}

/// A named tensor a model takes or gives: its element type and the shape of one item (without
/// the batch axis, which protocols show as -1).
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var datatype: TensorDataType
    public var shape: [Int]

    public init(name: String, datatype: TensorDataType, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }

    /// Elements in one item.
    public var itemCount: Int { shape.reduce(1, *) }
}

/// A plugin whose model can also be run on tensors directly, as the Open Inference Protocol
/// (KServe v2, Triton) calls models: a batch of items in the model's own input shape in, its
/// raw outputs out, with no pre- or post-processing. A plugin that conforms gets tensor inputs
/// on `/v2/models/{id}/infer`; one that does not is still served there through its ordinary
/// pipeline, a file or JSON document per item.
public protocol TensorModel: Sendable {
    /// The model's numeric input: element type and the shape of one item.
    var tensorInput: TensorSpec { get }
    /// An input carrying each item as an encoded file (an image), turned into one item of
    /// `tensorInput` by `tensorItem(from:)`; nil when the model takes no files.
    var encodedInput: TensorSpec? { get }
    /// The model's outputs, each with the shape of one item.
    var tensorOutputs: [TensorSpec] { get }

    /// Runs `count` items given one after another, row-major, as `tensorInput` describes them.
    /// Returns one array per output in `tensorOutputs` order, holding `count` items each.
    func inferTensors(_ items: [Float], count: Int) throws -> [[Float]]
    /// One item of `tensorInput` from an uploaded file: the plugin's own pre-processing.
    func tensorItem(from input: ModelInput) throws -> [Float]
}

extension TensorModel {
    public var encodedInput: TensorSpec? { nil }

    public func tensorItem(from input: ModelInput) throws -> [Float] {
        throw ModelError.unsupportedMediaType("this model takes no encoded files; send '\(tensorInput.name)' as numbers")
    }
}
