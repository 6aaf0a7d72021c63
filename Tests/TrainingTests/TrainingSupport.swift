import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// A Sequential model configuration from a list of (class, config) layers after an input.
func sequential(_ inputShape: [Int], _ layers: [(String, [String: Any])], name: String = "test") -> [UInt8] {
    var entries: [[String: Any]] = [["class_name": "InputLayer",
                                     "config": ["batch_input_shape": [NSNull()] + inputShape.map { $0 as Any }, "name": "input"]]]
    for (index, (className, config)) in layers.enumerated() {
        var config = config
        if config["name"] == nil { config["name"] = "\(className.lowercased())_\(index)" }
        entries.append(["class_name": className, "config": config])
    }
    let root: [String: Any] = ["class_name": "Sequential", "config": ["name": name, "layers": entries]]
    return Array(try! JSONSerialization.data(withJSONObject: root))
}

/// Seeded values in [low, high).
func randomValues(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in Float(random.uniform(Double(low), Double(high))) }
}

extension Trainer {
    /// The loss (mean over the batch) for `input`, gradients left in every parameter.
    func loss(_ input: [Float], labels: [Int]) -> Double {
        var copy = input
        return copy.withUnsafeMutableBufferPointer { lossAndGradients($0.baseAddress!, labels: labels).meanLoss }
    }
}
