import Foundation
import Keras
import Kernels

/// The activation that ends a Dense, Conv2D or Activation layer, forwards and backwards. Most
/// derivatives are written in terms of the output y (ReLU: y > 0; sigmoid: y(1 - y); ...), so
/// nothing extra is kept; GELU and swish need the pre-activation z, which is then cached.
final class ActivationStage {
    let activation: Activation
    /// Values per sample (the layer's output size) and the softmax axis length.
    let sampleSize: Int
    let rowLength: Int
    /// When set, the gradient handed to `backward` is already w.r.t. z (the loss fused softmax
    /// with cross-entropy), and z is kept so the loss can use the logits.
    var outputGradientIsPreActivation = false
    /// When set, the layer after this one zeroes the gradient where this ReLU's output is not
    /// positive as it computes it (`PositiveInputMasking`), so `backward` leaves it as it is.
    var maskLeftToNextLayer = false
    private var preActivation = FloatBuffer(count: 0)

    init(_ activation: Activation, sampleSize: Int, rowLength: Int) {
        self.activation = activation
        self.sampleSize = sampleSize
        self.rowLength = rowLength
    }

    var needsPreActivation: Bool {
        if outputGradientIsPreActivation { return true }
        switch activation {
        case .gelu, .swish, .generalizedReLU: return true
        default: return false
        }
    }

    /// The activation when the kernel can apply it as it stores results (ReLU, ReLU6), which
    /// saves a pass over the output; `.none` otherwise.
    var fusedEpilogue: Epilogue {
        guard !needsPreActivation else { return .none }
        switch activation {
        case .relu: return .relu
        case .relu6: return .relu6
        default: return .none
        }
    }

    /// Keras's name for the activation, for the layer's configuration.
    var kerasName: String { ActivationStage.kerasName(activation) }

    static func kerasName(_ activation: Activation) -> String {
        switch activation {
        case .linear: return "linear"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .sigmoid: return "sigmoid"
        case .hardSigmoidKeras2, .hardSigmoidKeras3: return "hard_sigmoid"
        case .tanh: return "tanh"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        case .elu: return "elu"
        case .selu: return "selu"
        case .gelu: return "gelu"
        case .swish: return "swish"
        case .exponential: return "exponential"
        case .softmax: return "softmax"
        case .generalizedReLU, .leakyReLU: return "relu"
        }
    }

    func prepare(batch: Int) {
        if needsPreActivation && preActivation.count < batch * sampleSize { preActivation = FloatBuffer(count: batch * sampleSize) }
    }

    /// The cached pre-activations of samples [start, start + count) (valid after a training forward).
    func logits(start: Int) -> UnsafePointer<Float> { UnsafePointer(preActivation.pointer + start * sampleSize) }

    /// Applies the activation in place to `count` samples starting at sample `start`.
    func forward(_ values: UnsafeMutablePointer<Float>, start: Int, count: Int, training: Bool) {
        let total = count * sampleSize
        if (training || outputGradientIsPreActivation) && needsPreActivation {
            (preActivation.pointer + start * sampleSize).update(from: values, count: total)
        }
        if fusedEpilogue == .none { activation.apply(values, count: total, rowLength: rowLength) }
    }

    /// Turns the gradient w.r.t. the output (in place) into the gradient w.r.t. z.
    func backward(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, start: Int, count: Int) {
        if outputGradientIsPreActivation { return }
        let total = count * sampleSize
        let z = preActivation.pointer + start * sampleSize
        switch activation {
        case .linear:
            return
        case .relu:
            if !maskLeftToNextLayer { maskByPositive(gradient, output: output, count: total) }
        case .relu6:
            for i in 0..<total { gradient[i] = output[i] > 0 && output[i] < 6 ? gradient[i] : 0 }
        case .sigmoid:
            for i in 0..<total { gradient[i] *= output[i] * (1 - output[i]) }
        case .hardSigmoidKeras2:
            for i in 0..<total { gradient[i] *= (output[i] > 0 && output[i] < 1) ? 0.2 : 0 }
        case .hardSigmoidKeras3:
            for i in 0..<total { gradient[i] *= (output[i] > 0 && output[i] < 1) ? 1.0 / 6 : 0 }
        case .tanh:
            for i in 0..<total { gradient[i] *= 1 - output[i] * output[i] }
        case .softplus:
            for i in 0..<total { gradient[i] *= 1 - Foundation.exp(-output[i]) }
        case .softsign:
            for i in 0..<total { let d = 1 - abs(output[i]); gradient[i] *= d * d }
        case let .elu(alpha):
            for i in 0..<total where !(output[i] > 0) { gradient[i] *= output[i] + alpha }
        case .selu:
            let alpha: Float = 1.6732632423543772848170429916717
            let scale: Float = 1.0507009873554804934193349852946
            for i in 0..<total { gradient[i] *= output[i] > 0 ? scale : output[i] + scale * alpha }
        case .exponential:
            for i in 0..<total { gradient[i] *= output[i] }
        case .gelu:
            for i in 0..<total {
                let x = z[i]
                let cdf = 0.5 * (1 + Foundation.erf(x * 0.70710678118654752440))
                let pdf = Foundation.exp(-0.5 * x * x) * 0.39894228040143267794
                gradient[i] *= cdf + x * pdf
            }
        case .swish:
            for i in 0..<total {
                let s = 1 / (1 + Foundation.exp(-z[i]))
                gradient[i] *= s * (1 + z[i] * (1 - s))
            }
        case let .generalizedReLU(maxValue, negativeSlope, threshold):
            for i in 0..<total {
                let x = z[i]
                if let maxValue, x >= maxValue { gradient[i] = 0 } else if x < threshold { gradient[i] *= negativeSlope }
            }
        case let .leakyReLU(slope):
            for i in 0..<total where output[i] < 0 { gradient[i] *= slope }
        case .softmax:
            let rows = total / max(rowLength, 1)
            for row in 0..<rows {
                let g = gradient + row * rowLength, y = output + row * rowLength
                var dot: Float = 0
                for j in 0..<rowLength { dot += g[j] * y[j] }
                for j in 0..<rowLength { g[j] = y[j] * (g[j] - dot) }
            }
        }
    }
}
