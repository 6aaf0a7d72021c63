import Foundation
import Keras
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// A model's "not a digit" class (class_names as `max-server train` writes them with
/// dataset_args.class_names) gives the digit score and is never answered as a digit.
final class DigitClassesTests: XCTestCase {
    let log = LogCapture()
    func testTheRejectClassIsNamedAnywhereOnce() throws {
        let eleven = try DigitClasses(classNames: (0...9).map(String.init) + ["not a digit"], outputs: 11, source: "test")
        XCTAssertEqual(eleven, .allWithReject)
        XCTAssertEqual(eleven.scoring, .rejectClass)
        XCTAssertEqual(eleven.labels.map(\.name), (0...9).map(String.init))
        XCTAssertEqual(try DigitClasses.unnamed(outputs: 11), .allWithReject)
        XCTAssertEqual(try DigitClasses.unnamed(outputs: 10), .all)
        XCTAssertEqual(DigitClasses.all.scoring, .softmaxMaximum)

        let first = try DigitClasses(classNames: ["not a digit", "3", "5"], outputs: 3, source: "test")
        XCTAssertEqual(first.digits, [3, 5])
        XCTAssertEqual(first.rejectOutput, 0)
        XCTAssertEqual(first.names, ["not a digit", "3", "5"])

        let cases: [([String], Int, String)] = [
            (["0", "not a digit", "not a digit"], 3, "twice"),
            (["not a digit"], 1, "names no digit"),
            (["0", "1", "not a digit"], 4, "names 2 digits and 'not a digit' (0, 1, not a digit), the model has 4 outputs"),
            (["0", "Not a digit"], 2, "names the class 'Not a digit', which is not a digit 0-9 nor 'not a digit'"),
        ]
        for (names, outputs, message) in cases {
            XCTAssertThrowsError(try DigitClasses(classNames: names, outputs: outputs, source: "the file")) { error in
                XCTAssertTrue("\(error)".contains(message), "expected '\(message)': \(error)")
            }
        }
        XCTAssertThrowsError(try DigitClasses.unnamed(outputs: 12))
    }

    /// The reject output is taken out of the digits' probabilities (renormalised, indexed by
    /// digit) and gives the digit score.
    func testAReadingSplitsTheRejectOutputFromTheDigits() throws {
        let classes = try DigitClasses(classNames: ["0", "1", "7", "not a digit"], outputs: 4, source: "test")
        let reading = DigitReading(box: nil, output: [0.1, 0.2, 0.3, 0.4], classes: classes)
        XCTAssertEqual(reading.digitScore, 0.6, accuracy: 1e-6)
        XCTAssertEqual(reading.prediction, 7)
        XCTAssertEqual(reading.probabilities.count, 10)
        XCTAssertEqual(reading.probabilities[0], 0.1 / 0.6, accuracy: 1e-6)
        XCTAssertEqual(reading.probabilities[7], 0.5, accuracy: 1e-6)
        XCTAssertEqual(reading.probabilities[5], 0)

        let plain = DigitReading(box: nil, output: [0.2, 0.5, 0.3], classes: try DigitClasses(classNames: ["2", "4", "6"], outputs: 3, source: "test"))
        XCTAssertEqual(plain.prediction, 4)
        XCTAssertEqual(plain.digitScore, 0.5, accuracy: 1e-6)
    }

    /// Served: a file whose third class is "not a digit" answers its two digits, lists them
    /// as its labels, and refuses a mark the reject output is surest of.
    func testAServedModelWithARejectClassNeverAnswersIt() throws {
        // Output 2 (bias 3) is the most probable for any picture: here "not a digit".
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("digit-classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(try DigitSubsetTests.threeOutputModel(classNames: ["4", "9", "not a digit"])).write(to: folder.appendingPathComponent("model.h5"))
        var configuration = MAXConfiguration(baseDirectory: folder)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "mnist"
        configuration.modelFile = "model.h5"
        let service = try MAXService.start(configuration, plugins: [MNISTModel.plugin], logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        func predict(_ query: String) throws -> HTTPTestClient.Response {
            var form = MultipartBody()
            let sample = MNISTFixtures.root.appendingPathComponent("samples/8_mnist_0.png")
            form.addFile(field: "file", fileName: "8.png", contentType: "image/png", [UInt8](try Data(contentsOf: sample)))
            return try client.send("POST", "/model/predict" + query, headers: [("Content-Type", form.contentType)], body: form.finished())
        }

        // p(not a digit) = e^3 / (e + 1 + e^3) = 0.84: a digit score of 0.16.
        let refused = try JSONValue.parse(try predict("?threshold=0.5").body)
        XCTAssertEqual(refused["status"]?.stringValue, "ok")
        XCTAssertEqual(refused["predictions"]?.arrayValue?.count, 0)
        XCTAssertTrue(refused["message"]?.stringValue?.contains("no digit found") == true, "\(refused)")

        let answered = try JSONValue.parse(try predict("?threshold=0&top_k=2").body)
        XCTAssertEqual(answered["predictions"]?.arrayValue?.compactMap { $0["prediction"]?.intValue }, [4, 9])
        let probability = try XCTUnwrap(answered["predictions"]?.arrayValue?.first?["probability"]?.doubleValue)
        XCTAssertEqual(probability, exp(1) / (exp(1) + 1), accuracy: 1e-5, "the digits' probabilities without the reject class")
        XCTAssertEqual(try predict("?top_k=3").status, 400)

        let labels = try JSONValue.parse(try client.send("GET", "/model/labels").body)
        XCTAssertEqual(labels["labels"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["4", "9"])
    }
}
