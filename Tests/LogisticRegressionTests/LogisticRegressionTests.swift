import Foundation
import LogisticRegression
import MAXFramework
import TestSupport
import XCTest

/// The JSON-input example plugin, served with its sample model file over a real socket; and the
/// README's "Wrapping a model" sample, which is this plugin's source.
final class LogisticRegressionTests: XCTestCase {
    let log = LogCapture()

    func start() throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: TestPaths.packageRoot)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.models = [ModelConfiguration(id: "exam", plugin: "logistic-regression", file: "samples/models/exam-pass.json")]
        let service = try MAXService.start(configuration, plugins: [LogisticRegressionModel.plugin], logger: log.logger())
        addTeardownBlock { service.shutdown() }
        return (service, HTTPTestClient(port: service.port))
    }

    func post(_ client: HTTPTestClient, _ json: String) throws -> HTTPTestClient.Response {
        try client.send("POST", "/model/predict", headers: [("Content-Type", "application/json")], body: Array(json.utf8))
    }

    /// The exam example's published fit: 2 hours of study give P(pass) 0.26, 4 hours 0.87.
    func testPredictionsMatchTheLogisticFunction() throws {
        let (_, client) = try start()
        for (hours, label, probability) in [(2.0, "fail", 1 - 0.2557), (4.0, "pass", 0.8744), (2.72, "pass", 0.5037)] {
            let response = try post(client, #"{"hours": \#(hours)}"#)
            XCTAssertEqual(response.status, 200, response.text)
            let prediction = try JSONValue.parse(response.body)["predictions"]?.arrayValue?.first
            XCTAssertEqual(prediction?.objectMembers?.map(\.key), ["label", "probability"])
            XCTAssertEqual(prediction?["label"], .string(label), "\(hours) h")
            XCTAssertEqual(prediction?["probability"]?.doubleValue ?? -1, probability, accuracy: 5e-3, "\(hours) h")
        }
    }

    func testTheSchemaIsEnforcedAndImagesRefused() throws {
        let (_, client) = try start()
        let missing = try post(client, #"{"hour": 3}"#)
        XCTAssertEqual(missing.status, 422)
        XCTAssertEqual(try JSONValue.parse(missing.body)["message"], .string("body: the member 'hours' is missing"))
        let text = try post(client, #"{"hours": "three"}"#)
        XCTAssertEqual(text.status, 422)
        let image = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")], body: [0x89, 0x50])
        XCTAssertEqual(image.status, 415)
        XCTAssertEqual(try JSONValue.parse(image.body)["message"], .string("Content-Type 'image/png' is not accepted: send an application/json body"))
    }

    func testDocumentsAndLabelsDescribeAJSONModel() throws {
        let (_, client) = try start()
        let swagger = try JSONValue.parse(try client.send("GET", "/swagger.json").body)
        let predict = swagger["paths"]?["/model/predict"]?["post"]
        XCTAssertEqual(predict?["consumes"], .array([.string("application/json")]))
        let body = predict?["parameters"]?.arrayValue?.first { $0["in"] == .string("body") }
        XCTAssertEqual(body?["schema"]?["required"], .array([.string("hours")]))
        XCTAssertEqual(body?["schema"]?["example"], .object([("hours", .number(2))]))
        XCTAssertFalse(try client.send("GET", "/swagger.json").text.contains("formData"), "no file upload is documented")
        let labels = try JSONValue.parse(try client.send("GET", "/model/labels").body)
        XCTAssertEqual(labels["labels"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" }, ["fail", "pass"])
    }

    /// README.md shows this plugin's source as the wrap-a-model sample: it must be the very file
    /// that compiles here, so the sample never rots.
    func testTheReadmeSampleIsThePluginSourceVerbatim() throws {
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent(
            "Sources/LogisticRegression/LogisticRegressionModel.swift"), encoding: .utf8)
        let marker = "<!-- sample: Sources/LogisticRegression/LogisticRegressionModel.swift -->\n```swift\n"
        let start = try XCTUnwrap(readme.range(of: marker), "README.md marks the sample")
        let end = try XCTUnwrap(readme.range(of: "```\n", range: start.upperBound..<readme.endIndex))
        XCTAssertEqual(String(readme[start.upperBound..<end.lowerBound]), source,
                       "README.md's sample differs from the plugin's source; copy the file into README.md")
    }
}
