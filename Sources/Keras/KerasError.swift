/// Everything that can go wrong loading or running a Keras model, with a message a user can act on.
/// Errors about a layer name both its Keras class and its name, as Keras's own messages do.
public enum KerasError: Error, CustomStringConvertible, Equatable {
    /// A layer class the engine does not implement (for example LSTM).
    case unsupportedLayer(className: String, name: String)
    /// A supported layer with a setting the engine does not implement (channels_first, an unknown activation...).
    case unsupportedSetting(className: String, name: String, reason: String)
    /// The layer's configuration is malformed (a missing or mistyped key).
    case invalidLayerConfig(className: String, name: String, reason: String)
    /// The model configuration as a whole is malformed (not JSON, no layers, a dangling connection...).
    case invalidModelConfig(String)
    /// The weights file lacks a layer's weights or holds the wrong number of them.
    case missingWeights(layer: String, reason: String)
    /// A stored weight's shape differs from what the layer's configuration implies.
    case weightShapeMismatch(layer: String, weight: String, expected: [Int], found: [Int])
    /// The bytes are no Keras file the engine recognises, or a container inside is damaged.
    case invalidFile(String)
    /// `predict` was given a buffer whose size does not match the batch and the input shape.
    case inputSizeMismatch(expected: Int, received: Int)

    public var description: String {
        switch self {
        case let .unsupportedLayer(className, name):
            return "layer '\(name)' (\(className)): this layer class is not supported by the engine"
        case let .unsupportedSetting(className, name, reason):
            return "layer '\(name)' (\(className)): unsupported setting: \(reason)"
        case let .invalidLayerConfig(className, name, reason):
            return "layer '\(name)' (\(className)): invalid configuration: \(reason)"
        case let .invalidModelConfig(reason):
            return "invalid model configuration: \(reason)"
        case let .missingWeights(layer, reason):
            return "weights for layer '\(layer)': \(reason)"
        case let .weightShapeMismatch(layer, weight, expected, found):
            return "weights for layer '\(layer)': \(weight) has shape \(found), the configuration implies \(expected)"
        case let .invalidFile(reason):
            return "not a readable Keras model file: \(reason)"
        case let .inputSizeMismatch(expected, received):
            return "input holds \(received) values; the batch size and input shape need \(expected)"
        }
    }
}
