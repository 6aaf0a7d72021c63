import Foundation

/// Keras's learning-rate schedules (`keras.optimizers.schedules`), evaluated at the optimizer's
/// iteration count before each update, with Keras's formulas.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant(Double)
    /// initial · rate^(step / decaySteps), the exponent floored with `staircase`.
    case exponentialDecay(initial: Double, decaySteps: Int, decayRate: Double, staircase: Bool)
    /// initial / (1 + rate · step / decaySteps), the quotient floored with `staircase`.
    case inverseTimeDecay(initial: Double, decaySteps: Int, decayRate: Double, staircase: Bool)
    /// Cosine from initial to initial · alpha over decaySteps; with a warm-up target, first a
    /// linear rise from initial to the target over warmupSteps, then the cosine from the target.
    case cosineDecay(initial: Double, decaySteps: Int, alpha: Double, warmupTarget: Double?, warmupSteps: Int)
    /// values[i] while step <= boundaries[i] (values has one more entry than boundaries).
    case piecewiseConstant(boundaries: [Int], values: [Double])

    public func rate(at step: Int) -> Double {
        let step = Double(step)
        switch self {
        case let .constant(value):
            return value
        case let .exponentialDecay(initial, decaySteps, decayRate, staircase):
            var p = step / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return initial * Foundation.pow(decayRate, p)
        case let .inverseTimeDecay(initial, decaySteps, decayRate, staircase):
            var p = step / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return initial / (1 + decayRate * p)
        case let .cosineDecay(initial, decaySteps, alpha, warmupTarget, warmupSteps):
            func decay(_ step: Double, from start: Double) -> Double {
                let completed = step / Double(decaySteps)
                let cosine = 0.5 * (1 + Foundation.cos(Double.pi * completed))
                return start * ((1 - alpha) * cosine + alpha)
            }
            guard let warmupTarget else { return decay(min(step, Double(decaySteps)), from: initial) }
            let clipped = min(step, Double(decaySteps + warmupSteps))
            if clipped < Double(warmupSteps) {
                return initial + (warmupTarget - initial) * clipped / Double(warmupSteps)
            }
            return decay(clipped - Double(warmupSteps), from: warmupTarget)
        case let .piecewiseConstant(boundaries, values):
            for (index, boundary) in boundaries.enumerated() where step <= Double(boundary) { return values[index] }
            return values.last ?? 0
        }
    }

    /// Checks the schedule can be evaluated, naming the first bad field.
    public func validate(key base: String = "learning_rate") throws {
        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else { throw TrainingError.invalidSetting("\(base).\(key)", "must be a positive whole number") }
        }
        func rate(_ value: Double, _ key: String) throws {
            let name = key.isEmpty ? base : "\(base).\(key)"
            guard value.isFinite, value >= 0 else { throw TrainingError.invalidSetting(name, "must be a finite number >= 0, got \(value)") }
        }
        switch self {
        case let .constant(value): try rate(value, "")
        case let .exponentialDecay(initial, steps, decayRate, _), let .inverseTimeDecay(initial, steps, decayRate, _):
            try rate(initial, "initial_learning_rate")
            try positive(steps, "decay_steps")
            try rate(decayRate, "decay_rate")
        case let .cosineDecay(initial, steps, alpha, target, warmup):
            try rate(initial, "initial_learning_rate")
            try positive(steps, "decay_steps")
            try rate(alpha, "alpha")
            if let target { try rate(target, "warmup_target"); try positive(warmup, "warmup_steps") }
        case let .piecewiseConstant(boundaries, values):
            guard values.count == boundaries.count + 1 else {
                throw TrainingError.invalidSetting("\(base).values", "must have one more entry than boundaries")
            }
            for value in values { try rate(value, "values") }
        }
    }
}
