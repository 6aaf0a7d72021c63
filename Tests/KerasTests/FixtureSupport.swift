import Foundation
import TestSupport
import XCTest
@testable import Keras

/// A fixture written by scripts/make-keras-fixtures.py: a model's configuration and weights as
/// JSON, inputs, and the outputs Keras computed for them.
struct KerasFixture {
    let name: String
    /// Ways the model is stored: one file, or an architecture JSON and its weights.
    let fileSets: [[String]]
    let totalParameters: Int
    let trainableParameters: Int
    let inputShape: [Int]
    let batch: Int
    let inputs: [Float]
    let outputs: [Float]
    let configJSON: [UInt8]
    let weights: LayerWeights
    let kerasVersion: String

    init(_ name: String) throws {
        let url = TestPaths.fixture(name + ".json", target: "KerasTests")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let document = object as? [String: Any] else { throw FixtureError("\(name).json is not an object") }
        self.name = name
        fileSets = document["files"] as? [[String]] ?? []
        let parameters = document["params"] as? [String: NSNumber] ?? [:]
        totalParameters = parameters["total"]?.intValue ?? -1
        trainableParameters = parameters["trainable"]?.intValue ?? -1
        inputShape = (document["input_shape"] as? [NSNumber] ?? []).map(\.intValue)
        let inputList = document["inputs"] as? [Any] ?? []
        batch = inputList.count
        inputs = flatten(inputList)
        outputs = flatten(document["outputs"] as? [Any] ?? [])
        configJSON = Array(try JSONSerialization.data(withJSONObject: document["config"] ?? [:]))
        kerasVersion = (document["keras"] as? String) == "3" ? "3.0" : "2.0"
        var weights: LayerWeights = [:]
        for (layer, list) in document["weights"] as? [String: [[String: Any]]] ?? [:] {
            weights[layer] = list.map { entry in
                WeightTensor(shape: (entry["shape"] as? [NSNumber] ?? []).map(\.intValue),
                             values: (entry["values"] as? [NSNumber] ?? []).map(\.floatValue))
            }
        }
        self.weights = weights
    }

    func url(_ file: String) -> URL { TestPaths.fixture(file, target: "KerasTests") }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Nested JSON lists of numbers, row-major, as float32.
func flatten(_ value: Any) -> [Float] {
    if let number = value as? NSNumber { return [number.floatValue] }
    if let list = value as? [Any] { return list.flatMap { flatten($0) } }
    return []
}

/// Fails with the worst element when any differs by more than `tolerance`.
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message): output size", file: file, line: line)
    guard actual.count == expected.count else { return }
    var worst: Float = 0
    var worstIndex = 0
    for index in actual.indices {
        let difference = abs(actual[index] - expected[index])
        if !(difference <= worst) { worst = difference; worstIndex = index }
    }
    XCTAssert(worst <= tolerance,
              "\(message): element \(worstIndex) is \(actual[worstIndex]), Keras gives \(expected[worstIndex]) (difference \(worst))",
              file: file, line: line)
}
