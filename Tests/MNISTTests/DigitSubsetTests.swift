import Foundation
import Keras
import Logging
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// A model of some digits (as `max-server train --numbers 0,1,7` writes one) is served
/// answering only those digits: predictions, top_k, /model/labels and metadata say so.
final class DigitSubsetTests: XCTestCase {
    let log = LogCapture()

    /// Flatten -> Dense(3, softmax) whose bias makes output 2 the most probable for any image,
    /// output 0 the next: a model whose answers are known without training.
    static func threeOutputModel(classNames: [String]?) throws -> [UInt8] {
        let json = """
        {"class_name": "Sequential", "config": {"name": "subset", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 28, 28, 1], "dtype": "float32", "name": "input"}},
          {"class_name": "Flatten", "config": {"name": "flatten"}},
          {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "softmax", "use_bias": true}}]},
         "keras_version": "2.15.0", "backend": "tensorflow"}
        """
        let kernel = WeightTensor(shape: [784, 3], values: [Float](repeating: 0, count: 784 * 3))
        let bias = WeightTensor(shape: [3], values: [1, 0, 3])
        let file = KerasModelFile(configuration: Array(json.utf8), layers: [
            NamedLayerWeights(layer: "flatten", weights: []),
            NamedLayerWeights(layer: "dense", weights: [("dense/kernel:0", kernel), ("dense/bias:0", bias)]),
        ], classNames: classNames)
        return try file.encode()
    }

    func start(_ model: [UInt8], options: JSONValue = .object([])) throws -> (RunningService, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("digit-subset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(model).write(to: folder.appendingPathComponent("model.h5"))
        var configuration = MAXConfiguration(baseDirectory: folder)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "mnist"
        configuration.modelFile = "model.h5"
        configuration.modelOptions = options
        return (try MAXService.start(configuration, plugins: [MNISTModel.plugin], logger: log.logger(.warning)), folder)
    }

    func predict(_ client: HTTPTestClient, query: String = "") throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        let sample = MNISTFixtures.root.appendingPathComponent("samples/8_mnist_0.png")
        form.addFile(field: "file", fileName: "8.png", contentType: "image/png", [UInt8](try Data(contentsOf: sample)))
        return try client.send("POST", "/model/predict" + query, headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func testAModelOfThreeDigitsAnswersThoseDigits() throws {
        let (service, folder) = try start(try Self.threeOutputModel(classNames: ["0", "1", "7"]))
        defer { service.shutdown(); try? FileManager.default.removeItem(at: folder) }
        let client = HTTPTestClient(port: service.port)

        let top = try JSONValue.parse(try predict(client).body)
        XCTAssertEqual(top["predictions"]?.arrayValue?.first?["prediction"], .int(7), "output 2 is the digit 7")
        let all = try JSONValue.parse(try predict(client, query: "?top_k=3").body)
        XCTAssertEqual(all["predictions"]?.arrayValue?.compactMap { $0["prediction"]?.intValue }, [7, 0, 1])
        let tooMany = try predict(client, query: "?top_k=4")
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertTrue(tooMany.text.contains("top_k must be an integer from 1 to 3"), tooMany.text)

        let labels = try JSONValue.parse(try client.send("GET", "/model/labels").body)
        XCTAssertEqual(labels["count"], .int(3))
        XCTAssertEqual(labels["labels"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["0", "1", "7"])
        XCTAssertEqual(labels["labels"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["0", "1", "7"])
        let metadata = try JSONValue.parse(try client.send("GET", "/model/metadata").body)
        XCTAssertTrue(metadata["description"]?.stringValue?.contains("digits 0, 1, 7") == true, "\(metadata)")
    }

    func testTheDigitsOptionNamesThemForAFileThatDoesNot() throws {
        let (service, folder) = try start(try Self.threeOutputModel(classNames: nil), options: .object([("digits", .array([.int(2), .int(4), .int(6)]))]))
        defer { service.shutdown(); try? FileManager.default.removeItem(at: folder) }
        let top = try JSONValue.parse(try predict(HTTPTestClient(port: service.port)).body)
        XCTAssertEqual(top["predictions"]?.arrayValue?.first?["prediction"], .int(6))
    }

    func testUnnamedOrMisnamedOutputsStopStartUp() throws {
        let cases: [([String]?, JSONValue, String)] = [
            (nil, .object([]), "does not say which digits they are"),
            (["0", "1", "x"], .object([]), "names the class 'x', which is not a digit 0-9"),
            (["0", "1"], .object([]), "names 2 digits (0, 1), the model has 3 outputs"),
            (["0", "1", "1"], .object([]), "twice"),
            (nil, .object([("digits", .array([.int(1), .int(2)]))]), "the digits option names 2 digits"),
        ]
        for (names, options, message) in cases {
            XCTAssertThrowsError(try start(try Self.threeOutputModel(classNames: names), options: options)) { error in
                XCTAssertTrue("\(error)".contains(message), "expected '\(message)': \(error)")
            }
        }
    }
}
