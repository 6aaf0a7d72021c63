import Foundation

/// Which Keras wrote the model: a few definitions differ between Keras 2 (tf-keras) and Keras 3
/// (hard_sigmoid, LeakyReLU's parameter name), so the loader keeps track.
public enum KerasFlavor: Equatable, Sendable {
    case keras2
    case keras3
}

/// An element-wise activation function, as Keras names them in layer configurations.
package enum Activation: Equatable {
    case linear, relu, relu6, sigmoid, hardSigmoidKeras2, hardSigmoidKeras3, tanh, softplus, softsign
    case elu(alpha: Float), selu, gelu, swish, exponential
    /// Softmax over the last axis (the only element-wise-looking activation that is not one).
    case softmax
    /// The ReLU layer's general form: max_value, negative_slope, threshold.
    case generalizedReLU(maxValue: Float?, negativeSlope: Float, threshold: Float)
    case leakyReLU(slope: Float)

    /// The `activation` entry of a layer configuration: a name, or (Keras 3) an object naming one;
    /// nil when the name is not one the engine implements.
    package static func parse(_ value: Any?, flavor: KerasFlavor) -> Activation? {
        var name: String
        switch value {
        case nil, is NSNull: return .linear
        case let text as String: name = text
        case let object as [String: Any]:
            if let inner = object["config"] as? String { name = inner }
            else if let inner = (object["config"] as? [String: Any])?["name"] as? String { name = inner }
            else if let className = object["class_name"] as? String { name = className }
            else { return nil }
        default: return nil
        }
        name = name.lowercased()
        switch name {
        case "linear", "none": return .linear
        case "relu": return .relu
        case "relu6": return .relu6
        case "sigmoid": return .sigmoid
        case "hard_sigmoid": return flavor == .keras2 ? .hardSigmoidKeras2 : .hardSigmoidKeras3
        case "tanh": return .tanh
        case "softmax": return .softmax
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "elu": return .elu(alpha: 1)
        case "selu": return .selu
        case "gelu": return .gelu
        case "swish", "silu": return .swish
        case "exponential": return .exponential
        default: return nil
        }
    }

    /// Applies the function in place to `count` values laid out as rows of `rowLength` (the last
    /// axis; only softmax needs it).
    package func apply(_ x: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        switch self {
        case .linear:
            return
        case .relu:
            clamp(x, count: count, lower: 0, upper: .infinity)
        case .relu6:
            clamp(x, count: count, lower: 0, upper: 6)
        case .softmax:
            applySoftmax(x, count: count, axisLength: rowLength, inner: 1)
        default:
            for index in 0..<count { x[index] = scalar(x[index]) }
        }
    }

    /// The function on one value, matching TensorFlow's float32 formulas.
    package func scalar(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .relu: return x > 0 ? x : 0
        case .relu6: return min(max(x, 0), 6)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
        case .hardSigmoidKeras3: return min(max(x + 3, 0), 6) / 6
        case .tanh: return Foundation.tanh(x)
        case .softplus: return x > 20 ? x : Foundation.log1p(Foundation.exp(x))
        case .softsign: return x / (1 + abs(x))
        case let .elu(alpha): return x > 0 ? x : alpha * Foundation.expm1(x)
        case .selu:
            let alpha: Float = 1.6732632423543772848170429916717
            let scale: Float = 1.0507009873554804934193349852946
            return x > 0 ? scale * x : scale * alpha * Foundation.expm1(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752440))
        case .swish: return x / (1 + Foundation.exp(-x))
        case .exponential: return Foundation.exp(x)
        case .softmax: return x  // not element-wise; handled by `apply`
        case let .generalizedReLU(maxValue, negativeSlope, threshold):
            if let maxValue, x >= maxValue { return maxValue }
            if x >= threshold { return x }
            return negativeSlope * (x - threshold)
        case let .leakyReLU(slope): return x >= 0 ? x : slope * x
        }
    }
}

/// x = min(max(x, lower), upper); NaN stays NaN. A plain loop: the compiler vectorises it for
/// whatever CPU the module is built for.
private func clamp(_ x: UnsafeMutablePointer<Float>, count: Int, lower: Float, upper: Float) {
    for index in 0..<count {
        let value = x[index]
        x[index] = value < lower ? lower : (value > upper ? upper : value)
    }
}

/// Softmax over an axis of `axisLength` elements with stride `inner`, for every outer/inner position:
/// exp(x - max) / sum, as TensorFlow computes it.
func applySoftmax(_ x: UnsafeMutablePointer<Float>, count: Int, axisLength: Int, inner: Int) {
    guard axisLength > 0, inner > 0 else { return }
    let block = axisLength * inner
    let outerCount = count / block
    for outer in 0..<outerCount {
        for position in 0..<inner {
            let base = x + outer * block + position
            var maximum = -Float.infinity
            for i in 0..<axisLength { maximum = max(maximum, base[i * inner]) }
            var sum: Float = 0
            for i in 0..<axisLength {
                let e = Foundation.exp(base[i * inner] - maximum)
                base[i * inner] = e
                sum += e
            }
            for i in 0..<axisLength { base[i * inner] /= sum }
        }
    }
}
