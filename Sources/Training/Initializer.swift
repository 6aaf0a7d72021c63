import Datasets
import Foundation

/// Keras's weight initialisers, by the names and classes its configurations use, drawing from
/// the run's seeded generator (the values differ from TensorFlow's, the distributions do not).
enum Initializer: Equatable {
    case zeros, ones
    case constant(Float)
    /// Keras's VarianceScaling family: glorot_* (fan average, scale 1), he_* (fan in, scale 2),
    /// lecun_* (fan in, scale 1); normal draws are truncated at two standard deviations.
    case varianceScaling(scale: Double, mode: FanMode, normal: Bool)
    case randomNormal(mean: Double, standardDeviation: Double)
    case randomUniform(minimum: Double, maximum: Double)
    case truncatedNormal(mean: Double, standardDeviation: Double)

    enum FanMode: String { case fanIn = "fan_in", fanOut = "fan_out", fanAverage = "fan_avg" }

    static let glorotUniform = Initializer.varianceScaling(scale: 1, mode: .fanAverage, normal: false)

    /// A configuration value: a name ("glorot_uniform"), or {"class_name": "GlorotUniform", "config": {...}}.
    static func parse(_ value: Any?, default fallback: Initializer, what: String) throws -> Initializer {
        var name: String
        var config: [String: Any] = [:]
        switch value {
        case nil, is NSNull: return fallback
        case let text as String: name = text
        case let object as [String: Any]:
            guard let className = object["class_name"] as? String else { throw TrainingError.invalidSetting(what, "has no class_name") }
            name = className
            config = object["config"] as? [String: Any] ?? [:]
        default: throw TrainingError.invalidSetting(what, "is neither a name nor an initializer object")
        }
        func number(_ key: String, _ fallback: Double) -> Double { (config[key] as? NSNumber)?.doubleValue ?? fallback }
        switch name.lowercased().replacingOccurrences(of: "_", with: "") {
        case "zeros", "zero": return .zeros
        case "ones", "one": return .ones
        case "constant": return .constant(Float(number("value", 0)))
        case "glorotuniform": return .varianceScaling(scale: 1, mode: .fanAverage, normal: false)
        case "glorotnormal": return .varianceScaling(scale: 1, mode: .fanAverage, normal: true)
        case "henormal": return .varianceScaling(scale: 2, mode: .fanIn, normal: true)
        case "heuniform": return .varianceScaling(scale: 2, mode: .fanIn, normal: false)
        case "lecunnormal": return .varianceScaling(scale: 1, mode: .fanIn, normal: true)
        case "lecununiform": return .varianceScaling(scale: 1, mode: .fanIn, normal: false)
        case "variancescaling":
            let mode = FanMode(rawValue: config["mode"] as? String ?? "fan_in") ?? .fanIn
            let distribution = config["distribution"] as? String ?? "truncated_normal"
            return .varianceScaling(scale: number("scale", 1), mode: mode, normal: distribution != "uniform")
        case "randomnormal": return .randomNormal(mean: number("mean", 0), standardDeviation: number("stddev", 0.05))
        case "randomuniform": return .randomUniform(minimum: number("minval", -0.05), maximum: number("maxval", 0.05))
        case "truncatednormal": return .truncatedNormal(mean: number("mean", 0), standardDeviation: number("stddev", 0.05))
        default: throw TrainingError.unsupported("\(what) '\(name)' (supported: zeros, ones, constant, glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, VarianceScaling, RandomNormal, RandomUniform, TruncatedNormal)")
        }
    }

    /// The configuration Keras writes for it.
    var kerasConfig: [String: Any] {
        switch self {
        case .zeros: return ["class_name": "Zeros", "config": [String: Any]()]
        case .ones: return ["class_name": "Ones", "config": [String: Any]()]
        case let .constant(value): return ["class_name": "Constant", "config": ["value": Double(value)]]
        case let .varianceScaling(scale, mode, normal):
            switch (scale, mode, normal) {
            case (1, .fanAverage, false): return ["class_name": "GlorotUniform", "config": ["seed": jsonNull]]
            case (1, .fanAverage, true): return ["class_name": "GlorotNormal", "config": ["seed": jsonNull]]
            case (2, .fanIn, true): return ["class_name": "HeNormal", "config": ["seed": jsonNull]]
            case (2, .fanIn, false): return ["class_name": "HeUniform", "config": ["seed": jsonNull]]
            case (1, .fanIn, true): return ["class_name": "LecunNormal", "config": ["seed": jsonNull]]
            case (1, .fanIn, false): return ["class_name": "LecunUniform", "config": ["seed": jsonNull]]
            default:
                return ["class_name": "VarianceScaling", "config": ["scale": scale, "mode": mode.rawValue,
                                                                    "distribution": normal ? "truncated_normal" : "uniform", "seed": jsonNull]]
            }
        case let .randomNormal(mean, deviation):
            return ["class_name": "RandomNormal", "config": ["mean": mean, "stddev": deviation, "seed": jsonNull]]
        case let .randomUniform(minimum, maximum):
            return ["class_name": "RandomUniform", "config": ["minval": minimum, "maxval": maximum, "seed": jsonNull]]
        case let .truncatedNormal(mean, deviation):
            return ["class_name": "TruncatedNormal", "config": ["mean": mean, "stddev": deviation, "seed": jsonNull]]
        }
    }

    /// Keras's `_compute_fans`: for kernels of rank > 2 (Conv2D's kh x kw x in x out) the
    /// receptive field multiplies both fans.
    static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Double(shape[0]), Double(shape[0]))
        case 2: return (Double(shape[0]), Double(shape[1]))
        default:
            let receptive = Double(shape.dropLast(2).reduce(1, *))
            return (Double(shape[shape.count - 2]) * receptive, Double(shape[shape.count - 1]) * receptive)
        }
    }

    func values(shape: [Int], random: inout SeededRandom) -> [Float] {
        let count = shape.reduce(1, *)
        switch self {
        case .zeros: return [Float](repeating: 0, count: count)
        case .ones: return [Float](repeating: 1, count: count)
        case let .constant(value): return [Float](repeating: value, count: count)
        case let .varianceScaling(scale, mode, normal):
            let (fanIn, fanOut) = Initializer.fans(shape)
            let fan = mode == .fanIn ? fanIn : mode == .fanOut ? fanOut : (fanIn + fanOut) / 2
            let variance = scale / max(1, fan)
            if normal {
                // Keras divides by the standard deviation of a unit normal truncated at +-2.
                let deviation = variance.squareRoot() / 0.87962566103423978
                return (0..<count).map { _ in Float(Initializer.truncated(&random) * deviation) }
            }
            let limit = (3 * variance).squareRoot()
            return (0..<count).map { _ in Float(random.uniform(-limit, limit)) }
        case let .randomNormal(mean, deviation):
            return (0..<count).map { _ in Float(mean + deviation * random.normal()) }
        case let .randomUniform(minimum, maximum):
            return (0..<count).map { _ in Float(random.uniform(minimum, maximum)) }
        case let .truncatedNormal(mean, deviation):
            return (0..<count).map { _ in Float(mean + deviation * Initializer.truncated(&random)) }
        }
    }

    /// A unit normal redrawn until it lies within two standard deviations.
    private static func truncated(_ random: inout SeededRandom) -> Double {
        while true {
            let value = random.normal()
            if abs(value) <= 2 { return value }
        }
    }
}

/// JSON's null in configurations built for JSONSerialization.
let jsonNull: Any = NSNull()

/// JSONSerialization gives true/false as NSNumbers that also cast to numbers (and numbers cast
/// to Bool); the boolean ones report the C type "c".
func isJSONBoolean(_ value: Any?) -> Bool {
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
}

/// A JSON number that is not a boolean.
func jsonNumber(_ value: Any?) -> Double? {
    guard let number = value as? NSNumber, !isJSONBoolean(number) else { return nil }
    return number.doubleValue
}
