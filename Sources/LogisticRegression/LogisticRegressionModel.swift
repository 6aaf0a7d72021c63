import Foundation
import MAXFramework

/// A model that takes JSON, not images: logistic regression over named numeric features, its
/// coefficients read from a JSON model file, e.g. samples/models/exam-pass.json:
/// `{"features": ["hours"], "weights": [1.5046], "bias": -4.0777, "classes": ["fail", "pass"]}`.
public struct LogisticRegressionModel: ModelWrapper {
    /// The model file's contents.
    public struct Coefficients: Decodable, Sendable {
        public let features: [String]
        public let weights: [Double]
        public let bias: Double
        public let classes: [String]
    }

    /// One element of `predictions`: `{"label": "pass", "probability": 0.61}`.
    public struct Prediction: Encodable {
        public let label: String
        public let probability: Double
    }

    public static let plugin = ModelPlugin(name: "logistic-regression") { context in
        guard let file = context.modelAsset else { throw PluginSetupError("logistic-regression needs a model file") }
        return try LogisticRegressionModel(coefficients: JSONDecoder().decode(Coefficients.self, from: Data(contentsOf: file)))
    }

    public let coefficients: Coefficients

    public init(coefficients: Coefficients) throws {
        guard coefficients.weights.count == coefficients.features.count, coefficients.classes.count == 2 else {
            throw PluginSetupError("a model file needs one weight per feature and two classes")
        }
        self.coefficients = coefficients
    }

    // 1. Metadata, served at GET /model/metadata.
    public var metadata: ModelMetadata {
        ModelMetadata(id: "logistic-regression", name: "Logistic regression",
                      description: "P(\(coefficients.classes[1])) from \(coefficients.features.joined(separator: ", "))",
                      type: "Tabular classification", source: "https://en.wikipedia.org/wiki/Logistic_regression", license: "Apache-2.0")
    }

    // 2. The input: a JSON object with one number per feature; the framework checks it (422).
    public var input: ModelInputSpec {
        let members = coefficients.features.map { SchemaProperty($0, .number, "the feature '\($0)'") }
        let example = JSONValue.object(coefficients.features.map { ($0, .number(2.0)) })
        return .json(JSONInputSpec(schema: .object(members), description: "The features", example: example))
    }

    public var output: ModelOutputSchema {
        ModelOutputSchema(properties: [SchemaProperty("label", .string, "The more probable class"),
                                       SchemaProperty("probability", .number, "Its probability")])
    }

    public var labels: [ModelLabel]? { ModelLabel.indexed(coefficients.classes) }

    // 3. Pre-process: the features in the model's order.
    public func preProcess(_ input: ModelInput) throws -> [Double] {
        coefficients.features.map { input.json?[$0]?.doubleValue ?? 0 }
    }

    // 4. Predict: the probability of the second class.
    public func predict(_ features: [Double]) throws -> Double {
        let z = zip(features, coefficients.weights).reduce(coefficients.bias) { $0 + $1.0 * $1.1 }
        return 1 / (1 + exp(-z))
    }

    // 5. Post-process: the answer clients see.
    public func postProcess(_ p: Double, for input: ModelInput) throws -> [Prediction] {
        p >= 0.5 ? [Prediction(label: coefficients.classes[1], probability: p)]
            : [Prediction(label: coefficients.classes[0], probability: 1 - p)]
    }
}
