import Foundation

/// The optimizers of tf-keras 2.x (`keras.optimizers.*`, the post-2.11 implementations) with
/// their defaults and update rules, applied in float32 as TensorFlow applies them:
///
/// - SGD (lr 0.01): m = momentum·m - lr·g; w += m, or w += momentum·m - lr·g with Nesterov.
/// - Adam (lr 0.001, β1 0.9, β2 0.999, ε 1e-7): m += (g - m)(1 - β1); v += (g² - v)(1 - β2);
///   w -= lr·√(1 - β2ᵗ)/(1 - β1ᵗ) · m / (√v + ε); with amsgrad, v is its running maximum.
/// - RMSprop (lr 0.001, ρ 0.9, ε 1e-7): v = ρv + (1 - ρ)g²; w -= lr·g/√(v + ε) (centred:
///   v - ḡ² under the root; with momentum, the step goes through a momentum buffer).
/// - Adadelta (lr 0.001, ρ 0.95, ε 1e-7): a = ρa + (1 - ρ)g²; d = -√(u + ε)/√(a + ε)·g;
///   u = ρu + (1 - ρ)d²; w += lr·d.
public struct OptimizerSettings: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case sgd = "SGD", adam = "Adam", rmsprop = "RMSprop", adadelta = "Adadelta"

        /// Keras's spellings: "sgd", "Adam", "rmsprop", "RMSProp", ...
        public init?(name: String) {
            guard let kind = Kind.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
            self = kind
        }

        public var defaultLearningRate: Double { self == .sgd ? 0.01 : 0.001 }
    }

    public var kind: Kind
    public var learningRate: LearningRateSchedule
    public var momentum: Double
    public var nesterov: Bool
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var rho: Double
    public var amsgrad: Bool
    public var centered: Bool

    /// Keras's defaults for `kind`.
    public init(_ kind: Kind, learningRate: LearningRateSchedule? = nil) {
        self.kind = kind
        self.learningRate = learningRate ?? .constant(kind.defaultLearningRate)
        momentum = 0
        nesterov = false
        beta1 = 0.9
        beta2 = 0.999
        epsilon = 1e-7
        rho = kind == .adadelta ? 0.95 : 0.9
        amsgrad = false
        centered = false
    }

    /// Buffers the size of the weights the optimizer keeps (moments, velocities, accumulators).
    public var slotCount: Int {
        switch kind {
        case .sgd: return momentum > 0 ? 1 : 0
        case .adam: return amsgrad ? 3 : 2
        case .rmsprop: return 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0)
        case .adadelta: return 2
        }
    }
}

/// Holds the optimizer's slots (moments, velocities) for each trainable parameter.
final class Optimizer {
    let settings: OptimizerSettings
    let parameters: [Parameter]
    private var slots: [[FloatBuffer]]
    /// Updates applied so far (Keras's `optimizer.iterations`).
    private(set) var iterations = 0

    init(_ settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        self.parameters = parameters
        slots = parameters.map { parameter in (0..<settings.slotCount).map { _ in FloatBuffer(count: parameter.count) } }
    }

    /// The learning rate the next update uses.
    var currentLearningRate: Double { settings.learningRate.rate(at: iterations) }

    /// One update of every parameter from its gradient.
    func step() {
        let lr = Float(currentLearningRate)
        let s = settings
        let t = Double(iterations + 1)
        for (index, parameter) in parameters.enumerated() {
            let w = parameter.value.pointer, g = parameter.gradient.pointer
            let slot = slots[index].map(\.pointer)
            let count = parameter.count
            switch s.kind {
            case .sgd:
                if s.momentum > 0 {
                    let momentum = Float(s.momentum), m = slot[0]
                    for i in 0..<count {
                        m[i] = -g[i] * lr + m[i] * momentum
                        w[i] += s.nesterov ? -g[i] * lr + m[i] * momentum : m[i]
                    }
                } else {
                    for i in 0..<count { w[i] += -g[i] * lr }
                }
            case .adam:
                let beta1 = Float(s.beta1), beta2 = Float(s.beta2), epsilon = Float(s.epsilon)
                let alpha = lr * Float((1 - Foundation.pow(s.beta2, t)).squareRoot() / (1 - Foundation.pow(s.beta1, t)))
                let m = slot[0], v = slot[1]
                // One loop per form, with no test inside, so each vectorises.
                if s.amsgrad {
                    let maximum = slot[2]
                    for i in 0..<count {
                        m[i] += (g[i] - m[i]) * (1 - beta1)
                        v[i] += (g[i] * g[i] - v[i]) * (1 - beta2)
                        maximum[i] = max(maximum[i], v[i])
                        w[i] -= (m[i] * alpha) / (maximum[i].squareRoot() + epsilon)
                    }
                } else {
                    for i in 0..<count {
                        m[i] += (g[i] - m[i]) * (1 - beta1)
                        v[i] += (g[i] * g[i] - v[i]) * (1 - beta2)
                        w[i] -= (m[i] * alpha) / (v[i].squareRoot() + epsilon)
                    }
                }
            case .rmsprop:
                let rho = Float(s.rho), epsilon = Float(s.epsilon), momentum = Float(s.momentum)
                let velocity = slot[0]
                let momentumSlot = s.momentum > 0 ? slot[1] : nil
                let average = s.centered ? slot[s.momentum > 0 ? 2 : 1] : nil
                if average == nil && momentumSlot == nil {
                    // The common form (Imagia's default optimizer), as one loop with no test inside.
                    for i in 0..<count {
                        velocity[i] = rho * velocity[i] + (1 - rho) * g[i] * g[i]
                        w[i] -= lr * g[i] / (velocity[i] + epsilon).squareRoot()
                    }
                    continue
                }
                for i in 0..<count {
                    velocity[i] = rho * velocity[i] + (1 - rho) * g[i] * g[i]
                    var denominator = velocity[i] + epsilon
                    if let average {
                        average[i] = rho * average[i] + (1 - rho) * g[i]
                        denominator = velocity[i] - average[i] * average[i] + epsilon
                    }
                    let increment = lr * g[i] / denominator.squareRoot()
                    if let momentumSlot {
                        momentumSlot[i] = momentum * momentumSlot[i] + increment
                        w[i] -= momentumSlot[i]
                    } else {
                        w[i] -= increment
                    }
                }
            case .adadelta:
                let rho = Float(s.rho), epsilon = Float(s.epsilon)
                let accumulatedGradient = slot[0], accumulatedDelta = slot[1]
                for i in 0..<count {
                    accumulatedGradient[i] = rho * accumulatedGradient[i] + (1 - rho) * g[i] * g[i]
                    let delta = -(accumulatedDelta[i] + epsilon).squareRoot() * g[i] / (accumulatedGradient[i] + epsilon).squareRoot()
                    accumulatedDelta[i] = rho * accumulatedDelta[i] + (1 - rho) * delta * delta
                    w[i] += lr * delta
                }
            }
        }
        iterations += 1
    }
}
