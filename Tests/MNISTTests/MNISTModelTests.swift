import Foundation
import Keras
import Logging
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// The plugin end to end: accuracy through our engine, the samples over real HTTP, the MAX
/// response shape, top_k, and the upstream MAX-MNIST model served unchanged.
final class MNISTModelTests: XCTestCase {
    let log = LogCapture()

    func assetPath(_ relative: String) -> String { MNISTFixtures.root.appendingPathComponent(relative).path }

    func testAccuracyOnTheThousandTestDigits() throws {
        guard let url = TestPaths.shared(MNISTFixtures.testSetPath) else {
            throw XCTSkip(TestPaths.sharedMissingMessage(MNISTFixtures.testSetPath))
        }
        let digits = try MNISTFixtures.testSet(url)
        XCTAssertEqual(digits.count, 1000)
        let model = try MNISTModel(path: assetPath(MNISTModel.defaultAsset))
        let outputs = try model.classify(digits.flatMap(\.pixels))
        XCTAssertEqual(outputs.count, digits.count)
        let readings = outputs.map { DigitReading(box: nil, output: $0, classes: model.digits) }
        let correct = zip(readings, digits).filter { $0.0.prediction == $0.1.label }.count
        let refused = readings.filter { $0.digitScore < model.threshold }.count
        let accuracy = Double(correct) / Double(digits.count)
        print("MNIST accuracy through the Swift engine: \(correct)/\(digits.count) = \(accuracy * 100)%; "
              + "refused as not a digit at the default threshold: \(refused)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.98)
        XCTAssertLessThanOrEqual(refused, 30, "real digits refused as not a digit")
    }

    func upload(_ client: HTTPTestClient, field: String, _ url: URL, query: String = "") throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        let type = url.pathExtension.lowercased() == "png" ? "image/png" : "image/jpeg"
        form.addFile(field: field, fileName: url.lastPathComponent, contentType: type, [UInt8](try Data(contentsOf: url)))
        return try client.send("POST", "/model/predict" + query, headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func testEverySamplePredictsItsLabelOverHTTP() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        let samples = try MNISTFixtures.labelledSamples()
        XCTAssertGreaterThanOrEqual(samples.count, 33)
        var right = 0
        for field in ["file", "image"] {
            for sample in samples {
                let response = try upload(client, field: field, sample.url)
                XCTAssertEqual(response.status, 200, "\(sample.url.lastPathComponent): \(response.text)")
                let body = try JSONValue.parse(response.body)
                XCTAssertEqual(body.objectMembers?.map(\.key), ["status", "predictions"])
                XCTAssertEqual(body["status"], .string("ok"))
                let predictions = try XCTUnwrap(body["predictions"]?.arrayValue)
                XCTAssertEqual(predictions.count, 1, "\(sample.url.lastPathComponent): \(response.text)")
                // A 28x28 grayscale upload is read whole, as MAX-MNIST does: no box.
                let image = try MNISTFixtures.image(sample.url)
                let whole = image.width == 28 && image.height == 28 && image.layout == .gray
                XCTAssertEqual(predictions.first?.objectMembers?.map(\.key),
                               ["prediction", "probability", "digit_score"] + (whole ? [] : ["box"]), sample.url.lastPathComponent)
                XCTAssertGreaterThanOrEqual(predictions.first?["digit_score"]?.doubleValue ?? 0, Double(DigitScoring.rejectClass.defaultThreshold),
                                            "\(sample.url.lastPathComponent): \(response.text)")
                XCTAssertEqual(predictions.first?["prediction"], .int(sample.label), "\(sample.url.lastPathComponent) via '\(field)': \(response.text)")
                if predictions.first?["prediction"] == .int(sample.label) { right += 1 }
            }
        }
        print("samples predicted right over HTTP: \(right) of \(samples.count * 2) (\(samples.count) files, fields file and image)")
    }

    /// With dynamic batching on, concurrent uploads share model calls and each still reads its own digit.
    func testConcurrentUploadsShareBatchesAndEachGetsItsOwnDigit() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning),
                                                     batching: BatchingSettings(maxBatchSize: 16, maxQueueDelayMicroseconds: 3_000))
        defer { service.shutdown() }
        let samples = try MNISTFixtures.labelledSamples()
        let threads = 12, rounds = 3
        final class Wrong: @unchecked Sendable {
            let lock = NSLock()
            var answers: [String] = []
            func add(_ answer: String) { lock.lock(); answers.append(answer); lock.unlock() }
        }
        let wrong = Wrong()
        let done = DispatchSemaphore(value: 0)
        for thread in 0..<threads {
            Thread {
                let client = HTTPTestClient(port: service.port)
                for round in 0..<rounds {
                    let sample = samples[(thread * rounds + round) % samples.count]
                    let response = try? self.upload(client, field: "file", sample.url)
                    let body = response.flatMap { try? JSONValue.parse($0.body) }
                    if body?["predictions"]?.arrayValue?.first?["prediction"] != .int(sample.label) {
                        wrong.add("\(sample.url.lastPathComponent): \(response?.text ?? "no answer")")
                    }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        XCTAssertEqual(wrong.answers, [])
        let metrics = try HTTPTestClient(port: service.port).send("GET", "/metrics").text
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        XCTAssertEqual(value(#"maxswift_model_batch_size_sum{model="mnist"}"#), Double(threads * rounds))
        XCTAssertLessThan(try XCTUnwrap(value(#"maxswift_model_batch_size_count{model="mnist"}"#)), Double(threads * rounds),
                          "uploads were batched")
        XCTAssertEqual(value(#"maxswift_model_queue_duration_seconds_count{model="mnist"}"#), Double(threads * rounds))
    }

    func testSwaggerMetadataTopKAndErrors() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)

        let swagger = try JSONValue.parse(try client.send("GET", "/swagger.json").body)
        XCTAssertNotNil(swagger["swagger"])
        XCTAssertEqual(swagger["info"]?["title"], .string("MAX MNIST"))
        XCTAssertTrue(String(decoding: try client.send("GET", "/swagger.json").body, as: UTF8.self).contains("top_k"))

        let metadata = try JSONValue.parse(try client.send("GET", "/model/metadata").body)
        XCTAssertEqual(metadata["id"], .string("max-mnist-swift"))
        XCTAssertEqual(metadata["type"], .string("Keras model"))

        let sample = MNISTFixtures.root.appendingPathComponent("samples/8_mnist_0.png")
        let ten = try upload(client, field: "file", sample, query: "?top_k=10")
        XCTAssertEqual(ten.status, 200, ten.text)
        let predictions = try XCTUnwrap(try JSONValue.parse(ten.body)["predictions"]?.arrayValue)
        XCTAssertEqual(predictions.count, 10)
        let probabilities = predictions.compactMap { $0["probability"]?.doubleValue }
        XCTAssertEqual(probabilities.count, 10)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-3)
        XCTAssertEqual(probabilities, probabilities.sorted(by: >))
        XCTAssertEqual(Set(predictions.compactMap { $0["prediction"]?.intValue }), Set(0..<10))
        XCTAssertEqual(predictions.first?["prediction"], .int(8))

        for bad in ["0", "11", "x", "-1", "2.5"] {
            let response = try upload(client, field: "file", sample, query: "?top_k=\(bad)")
            XCTAssertEqual(response.status, 400, "top_k=\(bad): \(response.text)")
            XCTAssertTrue(response.text.contains("top_k"), response.text)
        }

        var blank = MultipartBody()
        blank.addFile(field: "file", fileName: "blank.pnm", contentType: "image/x-portable-anymap",
                      Array("P5\n40 40\n255\n".utf8) + [UInt8](repeating: 255, count: 1600))
        let none = try client.send("POST", "/model/predict", headers: [("Content-Type", blank.contentType)], body: blank.finished())
        XCTAssertEqual(none.status, 200, none.text)
        let noneBody = try JSONValue.parse(none.body)
        XCTAssertEqual(noneBody.objectMembers?.map(\.key), ["status", "predictions", "message"])
        XCTAssertEqual(noneBody["predictions"], .array([]))
        XCTAssertTrue(noneBody["message"]?.stringValue?.contains("no digit found") == true, none.text)

        for bad in ["threshold=2", "threshold=-0.1", "threshold=x", "digits=some"] {
            let response = try upload(client, field: "file", sample, query: "?\(bad)")
            XCTAssertEqual(response.status, 400, "\(bad): \(response.text)")
            XCTAssertTrue(response.text.contains(String(bad.prefix { $0 != "=" })), response.text)
        }

        var garbage = MultipartBody()
        garbage.addFile(field: "file", fileName: "x.png", contentType: "image/png", Array("not an image".utf8))
        let unreadable = try client.send("POST", "/model/predict", headers: [("Content-Type", garbage.contentType)], body: garbage.finished())
        XCTAssertEqual(unreadable.status, 400, unreadable.text)
    }

    /// The MAX-MNIST architecture as upstream saves it (Conv-Pool-Conv-Pool-Dense, softmax, raw
    /// (28,28,1) input) loads as the plugin's model and answers as Keras does. The corpus file
    /// has perturbed, untrained weights, so agreement with Keras's outputs (reference.json) is
    /// what is checked, not the digits it names.
    func testUpstreamMAXMNISTModelServesUnchanged() throws {
        let relative = "conformance/keras/k2_mnist_cnn.h5"
        guard let url = TestPaths.shared(relative),
              let referenceURL = TestPaths.shared("conformance/keras/reference.json") else {
            throw XCTSkip(TestPaths.sharedMissingMessage(relative))
        }
        let served = try MNISTModel.plugin.make(PluginContext(modelAsset: url, logger: log.logger(.warning)))
        XCTAssertEqual(served.metadata.id, "max-mnist-swift")
        for sample in try MNISTFixtures.labelledSamples() where sample.url.lastPathComponent.contains("_mnist_") {
            let predictions = try served.run(ModelInput(bytes: [UInt8](try Data(contentsOf: sample.url)),
                                                        query: [("top_k", "10"), ("threshold", "0")])).predictions
            XCTAssertEqual(predictions.count, 10, sample.url.lastPathComponent)
            let total = predictions.compactMap { $0["probability"]?.doubleValue }.reduce(0, +)
            XCTAssertEqual(total, 1, accuracy: 1e-3, sample.url.lastPathComponent)
        }

        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: referenceURL)) as? [String: Any])
        let entry = try XCTUnwrap(reference["k2_mnist_cnn"] as? [String: Any])
        func flatten(_ value: Any) -> [Float] {
            if let number = value as? NSNumber { return [number.floatValue] }
            return (value as? [Any] ?? []).flatMap(flatten)
        }
        let inputs = try XCTUnwrap(entry["inputs"] as? [Any]).map(flatten)
        let outputs = try XCTUnwrap(entry["outputs"] as? [Any]).map(flatten)
        XCTAssertEqual(inputs.count, 3)
        XCTAssertEqual(outputs.count, inputs.count, "reference.json gives an output for every input")
        let model = try MNISTModel(path: url.path)
        for (input, expected) in zip(inputs, outputs) {
            XCTAssertEqual(input.count, 784)
            let probabilities = try XCTUnwrap(try model.classify(input).first)
            XCTAssertEqual(expected.count, 10, "reference.json gives ten scores per input")
            XCTAssertEqual(probabilities.count, expected.count)
            for (got, want) in zip(probabilities, expected) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        }
    }

    /// A Keras Sequential model, in the JSON `model.to_json()` writes, made of weightless layers.
    func weightlessModel(inputShape: [Int], layers: String) throws -> KerasModel {
        let shape = inputShape.map(String.init).joined(separator: ", ")
        let json = """
        {"class_name": "Sequential", "config": {"name": "probe", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, \(shape)], "dtype": "float32", "name": "input"}},
          \(layers)]}, "keras_version": "2.15.0", "backend": "tensorflow"}
        """
        return try KerasModel(configurationJSON: Array(json.utf8), weights: [:], kerasVersion: "2.15.0")
    }

    /// Models whose input is not one 28x28 image or whose output is not ten scores are refused
    /// with the shape named; a file that is not a model is refused naming the file.
    func testModelsThatAreNotDigitClassifiersAreRefusedAtStartUp() throws {
        let flatten = #"{"class_name": "Flatten", "config": {"name": "flatten"}}"#
        let softmax = #"{"class_name": "Activation", "config": {"name": "act", "activation": "softmax"}}"#
        let wrongOutput = try weightlessModel(inputShape: [28, 28, 1], layers: flatten)
        let wrongInput = try weightlessModel(inputShape: [32, 32, 3], layers: flatten)
        let flatInput = try weightlessModel(inputShape: [784], layers: softmax)
        XCTAssertEqual(wrongOutput.outputSize, 784)
        for (keras, field) in [(wrongOutput, "output shape"), (wrongInput, "input shape")] {
            XCTAssertThrowsError(try MNISTModel(keras: keras)) { error in
                XCTAssertTrue("\(error)".contains(field), "\(error)")
            }
        }
        XCTAssertEqual(flatInput.inputShape, [784])
        XCTAssertThrowsError(try MNISTModel(keras: flatInput), "784 in, 784 out is not ten classes")
        XCTAssertThrowsError(try MNISTModel(path: assetPath("assets/README.md"))) { error in
            XCTAssertTrue("\(error)".contains("cannot load the Keras model"), "\(error)")
        }
    }
}

/// The model compiled into the binary is the shipped asset, and serves without any file.
final class BuiltInModelTests: XCTestCase {
    func testBuiltInBytesAreTheAssetListedInMD5Sums() throws {
        let bytes = MNISTModel.builtInModelBytes()
        let sums = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("md5sums.txt"), encoding: .utf8)
        let line = try XCTUnwrap(sums.split(separator: "\n").first { $0.hasSuffix("  assets/mnist_cnn.h5") })
        XCTAssertEqual(MD5.hex(of: bytes), String(line.prefix(32)),
                       "Sources/MNIST/BuiltInModel.swift is stale: run scripts/embed-default-model.sh")
        let asset = [UInt8](try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("assets/mnist_cnn.h5")))
        XCTAssertEqual(bytes, asset)
    }

    func testWithoutAModelFileThePluginServesTheBuiltInModel() throws {
        let log = LogCapture()
        let model = try MNISTModel.plugin.make(PluginContext(logger: log.logger()))
        XCTAssertTrue(log.contains("built in"), "the log says where the model came from")
        XCTAssertEqual(model.labels?.map(\.name), (0...9).map(String.init))
        for sample in try MNISTFixtures.labelledSamples().prefix(6) {
            let answer = try model.run(ModelInput(bytes: [UInt8](try Data(contentsOf: sample.url))))
            XCTAssertEqual(answer.predictions.first?["prediction"], .int(sample.label), sample.url.lastPathComponent)
        }
    }
}

/// `Digit` writes its own JSON (the request path skips `Encodable`'s containers): it must be
/// exactly what its `Encodable` conformance gives, with a box and without.
final class DigitJSONTests: XCTestCase {
    private struct Nested: Encodable { let digit: MNISTModel.Digit }

    func testDigitJSONIsWhatEncodingGives() throws {
        let model = try MNISTModel(path: MNISTFixtures.root.appendingPathComponent(MNISTModel.defaultAsset).path)
        // A 28x28 digit (read whole: no box) and a sheet (its ten digits found: with boxes).
        var sawBox = false, sawNoBox = false
        for sample in ["samples/8_mnist_2.jpg", "samples/sheet_ten_digits.png"] {
            let bytes = try [UInt8](Data(contentsOf: MNISTFixtures.root.appendingPathComponent(sample)))
            let input = ModelInput(.file(UploadedFile(bytes: bytes, contentType: nil)))
            let digits = try model.postProcess(try model.predict(try model.preProcess(input)), for: input)
            XCTAssertFalse(digits.isEmpty, sample)
            for digit in digits {
                let encoded = try JSONValueEncoder().encode(Nested(digit: digit))["digit"]
                XCTAssertEqual(digit.jsonValue, encoded, sample)
                XCTAssertEqual(digit.jsonValue.serialized, encoded?.serialized, sample)
                if digit.box == nil { sawNoBox = true } else { sawBox = true }
            }
        }
        XCTAssertTrue(sawBox && sawNoBox, "both shapes of the answer should have been compared")
    }
}
