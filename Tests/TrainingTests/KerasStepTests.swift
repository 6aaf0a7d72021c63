import Datasets
import Foundation
import Keras
import TestSupport
import XCTest
@testable import Training

/// What tf-keras's `fit` does, step by step: the same model, weights and batch, each optimizer
/// configuration, three updates; every weight (and BatchNormalization's moving statistics)
/// after each must match Keras's (scripts/make-keras-fixtures.py recorded them).
final class KerasStepTests: XCTestCase {
    struct Fixture {
        let document: [String: Any]
        init() throws {
            let url = TestPaths.fixture("keras_steps.json", target: "TrainingTests")
            document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }
        var configuration: [UInt8] { Array(try! JSONSerialization.data(withJSONObject: document["config"]!)) }
        func weights(_ object: Any?) -> LayerWeights {
            var result: LayerWeights = [:]
            for (layer, list) in object as? [String: [[NSNumber]]] ?? [:] {
                result[layer] = list.map { WeightTensor(shape: [$0.count], values: $0.map(\.floatValue)) }
            }
            return result
        }
        var images: LabelledImages {
            let pixels = KerasStepTests.flatten(document["inputs"]!)
            let labels = (document["labels"] as! [NSNumber]).map(\.intValue)
            return try! LabelledImages(shape: ImageShape(height: 8, width: 8), pixels: .floats(pixels), labels: labels,
                                       classNames: LabelledImages.digitClassNames(5))
        }
    }

    static func flatten(_ value: Any) -> [Float] {
        if let number = value as? NSNumber { return [number.floatValue] }
        return (value as? [Any] ?? []).flatMap { KerasStepTests.flatten($0) }
    }

    func testEveryOptimizerMatchesKerasStepByStep() throws {
        let fixture = try Fixture()
        let runs = try XCTUnwrap(fixture.document["runs"] as? [String: [String: Any]])
        XCTAssertEqual(runs.count, 9)
        let initial = fixture.weights(fixture.document["initial"])
        for (name, run) in runs.sorted(by: { $0.key < $1.key }) {
            let network = try Network(configuration: fixture.configuration, weights: initial, kerasVersion: "2.21.0", seed: 1)
            var settings = TrainingConfiguration()
            settings.optimizer = try OptimizerSettings.parse(run["optimizer"])
            settings.batchSize = 8
            settings.epochs = 1
            settings.shuffle = false
            let trainer = try Trainer(network: network, configuration: settings)
            let steps = try XCTUnwrap(run["steps"] as? [[String: Any]])
            var worstRelative: Float = 0
            for (index, step) in steps.enumerated() {
                let before = network.weights
                let report = try trainer.fit(fixture.images)
                XCTAssertEqual(report[0].loss, (step["loss"] as! NSNumber).doubleValue, accuracy: 2e-5, "\(name) step \(index + 1) loss")
                let expected = fixture.weights(step["weights"])
                for (layer, tensors) in expected {
                    let ours = try XCTUnwrap(network.weights[layer], "\(name): no weights for \(layer)")
                    for (weightIndex, tensor) in tensors.enumerated() {
                        let old = before[layer]![weightIndex].values
                        let new = ours[weightIndex].values
                        // Compare the updates, relative to the largest update Keras made to this weight.
                        let scale = zip(tensor.values, old).map { abs($0 - $1) }.max() ?? 0
                        let worst = zip(new, tensor.values).map { abs($0 - $1) }.max() ?? 0
                        let relative = worst / max(scale, 1e-6)
                        worstRelative = max(worstRelative, relative)
                        XCTAssertLessThan(relative, 2e-3, "\(name) step \(index + 1) \(layer) weight \(weightIndex): off by \(worst), updates up to \(scale)")
                    }
                }
            }
            print("KerasStepTests: \(name): worst update error \(worstRelative) of the update")
        }
    }

    func testSchedulesMatchKeras() throws {
        let fixture = try Fixture()
        let expected = try XCTUnwrap(fixture.document["schedules"] as? [String: [NSNumber]])
        let schedules: [String: LearningRateSchedule] = [
            "exponential": .exponentialDecay(initial: 0.1, decaySteps: 3, decayRate: 0.5, staircase: false),
            "exponential_staircase": .exponentialDecay(initial: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true),
            "inverse_time": .inverseTimeDecay(initial: 0.1, decaySteps: 2, decayRate: 0.7, staircase: false),
            "cosine": .cosineDecay(initial: 0.1, decaySteps: 8, alpha: 0.2, warmupTarget: nil, warmupSteps: 0),
            "cosine_warmup": .cosineDecay(initial: 0, decaySteps: 6, alpha: 0.1, warmupTarget: 0.05, warmupSteps: 3),
            "piecewise": .piecewiseConstant(boundaries: [2, 5], values: [0.1, 0.05, 0.01]),
        ]
        XCTAssertEqual(Set(schedules.keys), Set(expected.keys))
        for (name, schedule) in schedules {
            for (step, value) in expected[name]!.enumerated() {
                XCTAssertEqual(schedule.rate(at: step), value.doubleValue, accuracy: 1e-7 + 1e-6 * value.doubleValue, "\(name) step \(step)")
            }
        }
    }
}
