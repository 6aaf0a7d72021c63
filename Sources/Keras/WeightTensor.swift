/// One stored weight array: its shape and values (row-major, float32).
public struct WeightTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// Weights by layer name, each list in the order of the layer's `weights` in Keras
/// (Conv2D: kernel, bias; BatchNormalization: gamma, beta, moving_mean, moving_variance; ...).
public typealias LayerWeights = [String: [WeightTensor]]

/// Hands out a layer's stored weights in order, checking each shape against the configuration.
struct WeightCursor {
    let layer: LayerConfig
    let tensors: [WeightTensor]
    let expected: [String]
    private var index = 0

    /// `expected` names the weights the configuration implies, in Keras's order.
    init(layer: LayerConfig, weights: LayerWeights, expected: [String]) throws {
        self.layer = layer
        self.expected = expected
        tensors = weights[layer.name] ?? []
        guard tensors.count == expected.count else {
            throw KerasError.missingWeights(
                layer: layer.name,
                reason: "\(layer.className) expects \(expected.count) arrays (\(expected.joined(separator: ", "))), found \(tensors.count)")
        }
    }

    /// The next weight, which must have `shape` (or, with `flexible`, just that many elements).
    mutating func next(shape: [Int], flexible: Bool = false) throws -> [Float] {
        guard index < tensors.count else {
            throw KerasError.missingWeights(layer: layer.name, reason: "fewer arrays than \(expected)")
        }
        let tensor = tensors[index]
        let name = expected[index]
        index += 1
        let count = shape.reduce(1, *)
        let matches = flexible ? tensor.values.count == count : tensor.shape == shape
        guard matches, tensor.values.count == count else {
            throw KerasError.weightShapeMismatch(layer: layer.name, weight: name, expected: shape, found: tensor.shape)
        }
        return tensor.values
    }
}
