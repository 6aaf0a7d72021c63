import Foundation
import ImageCodecs
import Keras
import KerasClassifier
import MAXFramework
import TestSupport
import XCTest

/// The no-code classifier: two models made by scripts/make-classifier-fixtures.py, served from a
/// configuration alone, against the probabilities Keras gave on the same pixels.
final class KerasClassifierTests: XCTestCase {
    let log = LogCapture()

    func fixture(_ name: String) -> URL { TestPaths.fixture(name, target: "KerasClassifierTests") }
    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixture(name))) }

    func make(_ file: String, _ options: JSONValue) throws -> AnyModel {
        var warnings: [String] = []
        let checked = try KerasClassifierModel.plugin.checkedOptions(options, place: "test", warnings: &warnings)
        XCTAssertEqual(warnings, [])
        return try KerasClassifierModel.plugin.make(PluginContext(options: checked, modelAsset: fixture(file),
                                                                  baseDirectory: fixture(file).deletingLastPathComponent(),
                                                                  logger: log.logger()))
    }

    func testBothModelsMatchKerasWithinTolerance() throws {
        let expected = try JSONValue.parse(try bytes("expected.json"))
        var checked = 0
        for (which, file) in [("fashion", "fashion.h5"), ("colour", "colour.keras")] {
            for case_ in expected[which]?.arrayValue ?? [] {
                let options = case_["options"] ?? .object([])
                let model = try make(file, .object((options.objectMembers ?? []) + [("top_k", .int(100))]))
                let name = case_["file"]?.stringValue ?? ""
                let answer = try model.run(ModelInput(bytes: try bytes(name)))
                let reference = case_["probabilities"]?.arrayValue?.compactMap(\.doubleValue) ?? []
                XCTAssertEqual(answer.predictions.count, reference.count, "\(which) \(name)")
                for prediction in answer.predictions {
                    let index = Int(prediction["label_id"]?.stringValue ?? "") ?? -1
                    let probability = prediction["probability"]?.doubleValue ?? -1
                    XCTAssertEqual(probability, reference[index], accuracy: 1e-5, "\(which) \(name) \(options.serialized) class \(index)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 10, "every recorded case was compared")
    }

    func testLabelsFileTopKAndThresholdShapeTheAnswer() throws {
        let model = try make("fashion.h5", .object([("labels_file", .string("fashion-labels.txt"))]))
        XCTAssertEqual(model.labels?.count, 10)
        XCTAssertEqual(model.labels?[9], ModelLabel(id: "9", name: "Ankle boot"))
        let all = try model.run(ModelInput(bytes: try bytes("shirt-28.png"), query: [("top_k", "10")])).predictions
        XCTAssertEqual(all.count, 10)
        XCTAssertEqual(all.first?.objectMembers?.map(\.key), ["label_id", "label", "probability"])
        let probabilities = all.compactMap { $0["probability"]?.doubleValue }
        XCTAssertEqual(probabilities, probabilities.sorted(by: >), "most probable first")
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(try model.run(ModelInput(bytes: try bytes("shirt-28.png"))).predictions.count, 5, "top_k defaults to 5")
        let cut = probabilities[2]
        let above = try model.run(ModelInput(bytes: try bytes("shirt-28.png"), query: [("top_k", "10"), ("threshold", String(cut))]))
        XCTAssertEqual(above.predictions.count, 3)
        for bad in [("top_k", "0"), ("top_k", "11"), ("threshold", "1.5"), ("threshold", "x")] {
            XCTAssertThrowsError(try model.run(ModelInput(bytes: try bytes("shirt-28.png"), query: [bad]))) { error in
                XCTAssertEqual((error as? ModelError)?.status, .badRequest, "\(bad)")
            }
        }
    }

    func testResizeModesBringAnyPictureToTheModelsSize() throws {
        let keras = try KerasModel.load(path: fixture("colour.keras").path)
        // A 64x32 picture: left half white, right half black.
        var samples = [UInt8](repeating: 0, count: 64 * 32 * 3)
        for y in 0..<32 { for x in 0..<32 { for c in 0..<3 { samples[(y * 64 + x) * 3 + c] = 255 } } }
        let wide = try XCTUnwrap(Image(width: 64, height: 32, layout: .rgb, samples: samples))
        func tensor(_ resize: KerasClassifierModel.Resize) throws -> [Float] {
            var preprocessing = KerasClassifierModel.Preprocessing()
            preprocessing.resize = resize
            preprocessing.scale = 1
            preprocessing.pad = 7
            return try KerasClassifierModel(keras: keras, preprocessing: preprocessing).tensor(from: wide)
        }
        func pixel(_ values: [Float], _ x: Int, _ y: Int) -> Float { values[(y * 32 + x) * 3] }
        let stretched = try tensor(.stretch)
        XCTAssertEqual(stretched.count, 32 * 32 * 3)
        XCTAssertEqual(pixel(stretched, 0, 0), 255)
        XCTAssertEqual(pixel(stretched, 31, 31), 0)
        let fitted = try tensor(.fit)
        XCTAssertEqual(pixel(fitted, 0, 0), 7, "fit pads above and below with the pad value")
        XCTAssertEqual(pixel(fitted, 0, 16), 255)
        XCTAssertEqual(pixel(fitted, 31, 16), 0)
        XCTAssertEqual(pixel(fitted, 16, 31), 7)
        let cropped = try tensor(.crop)
        XCTAssertEqual(pixel(cropped, 0, 0), 255, "crop keeps the centre: the left of it is white")
        XCTAssertEqual(pixel(cropped, 31, 0), 0)
        XCTAssertEqual(pixel(cropped, 0, 31), 255, "no padding")
    }

    func testModelsThatCannotBeClassifiersAreRefusedAtStartUp() throws {
        XCTAssertThrowsError(try make("fashion.h5", .object([("labels", .array([.string("a"), .string("b")]))]))) { error in
            XCTAssertTrue("\(error)".contains("2 labels were given for a model with 10 classes"), "\(error)")
        }
        XCTAssertThrowsError(try make("colour.keras", .object([("mean", .array([.number(0.1), .number(0.2)]))]))) { error in
            XCTAssertTrue("\(error)".contains("mean has 2 values for a model with 3 channel(s)"), "\(error)")
        }
        XCTAssertThrowsError(try KerasClassifierModel.plugin.make(PluginContext(logger: log.logger()))) { error in
            XCTAssertTrue("\(error)".contains("needs a model"), "\(error)")
        }
    }

    /// The whole no-code path: a config file naming the plugin, the model file and its labels
    /// file, read as the binary reads it, served over a real socket.
    func testServedFromAConfigFileAlone() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("classifier-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["fashion.h5", "fashion-labels.txt", "colour.keras"] {
            try FileManager.default.copyItem(at: fixture(name), to: folder.appendingPathComponent(name))
        }
        try Data("""
            {"server": {"host": "127.0.0.1", "port": 0},
             "models": [
               {"id": "fashion", "plugin": "keras-classifier", "file": "fashion.h5",
                "options": {"labels_file": "fashion-labels.txt", "top_k": 3}, "metadata": {"name": "Fashion-MNIST CNN"}},
               {"id": "colour", "plugin": "keras-classifier", "file": "colour.keras",
                "options": {"labels": ["sky", "sun", "sea", "sand", "night"], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}
             ]}
            """.utf8).write(to: folder.appendingPathComponent("config.json"))
        let loaded = try MAXConfiguration.load(file: folder.appendingPathComponent("config.json"))
        XCTAssertEqual(loaded.warnings, [])
        let service = try MAXService.start(loaded.configuration, plugins: [KerasClassifierModel.plugin], logger: log.logger())
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        var form = MultipartBody()
        form.addFile(field: "image", fileName: "shirt.png", contentType: "image/png", try bytes("shirt-28.png"))
        let response = try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished())
        XCTAssertEqual(response.status, 200, response.text)
        let predictions = try JSONValue.parse(response.body)["predictions"]?.arrayValue ?? []
        XCTAssertEqual(predictions.count, 3)
        XCTAssertTrue(FashionLabels.all.contains(predictions[0]["label"]?.stringValue ?? ""), response.text)
        let labels = try JSONValue.parse(try client.send("GET", "/models/colour/labels").body)
        XCTAssertEqual(labels["labels"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" }, ["sky", "sun", "sea", "sand", "night"])
        XCTAssertEqual(try JSONValue.parse(try client.send("GET", "/model/metadata").body)["name"], .string("Fashion-MNIST CNN"))
        let colour = try client.send("POST", "/models/colour/predict", headers: [("Content-Type", "image/png")], body: try bytes("sun-32.png"))
        XCTAssertEqual(colour.status, 200, colour.text)
    }
}

enum FashionLabels {
    static let all = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
}
