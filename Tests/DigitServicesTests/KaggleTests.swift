import DigitServices
import Foundation
import MAXFramework
import TestSupport
import XCTest

/// The Kaggle recognizer's POST /predict and Kaggle CSV on the predict routes, over real sockets.
final class KaggleTests: XCTestCase {
    let log = LogCapture()

    func start() throws -> HTTPTestClient {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "toy"
        let service = try MAXService.start(configuration, plugins: [ToyDigitModel.plugin],
                                           providers: [DigitServices.kaggle], logger: log.logger(.info))
        addTeardownBlock { service.shutdown() }
        return HTTPTestClient(port: service.port)
    }

    func testPredictTakesOneRowAndAnswersTheBestPrediction() throws {
        let client = try start()
        let answer = try client.send("POST", "/predict", headers: [("Content-Type", "application/json")],
                                     body: Array(#"{"pixel0": 3, "pixel1": 4}"#.utf8))
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.text, #"{"prediction": 7, "probability": 0.5}"#)
        let list = try client.send("POST", "/predict", headers: [("Content-Type", "application/json")], body: Array("[{}]".utf8))
        XCTAssertEqual(list.status, 422)
        XCTAssertTrue(list.text.contains("POST /predict takes one row"), list.text)
        let bad = try client.send("POST", "/predict", headers: [("Content-Type", "application/json")],
                                  body: Array(#"{"pixel0": 3, "pixel1": 400}"#.utf8))
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(try JSONValue.parse(bad.body)["message"], .string("body.pixel1: 400 is above the maximum 255"))
        XCTAssertEqual(try client.send("POST", "/predict", headers: [("Content-Type", "application/json")], body: Array("{".utf8)).status, 400)
    }

    func testCSVIsAnsweredWithASubmission() throws {
        let client = try start()
        let csv = "pixel0,pixel1,pixel2\r\n1,2,3\r\n9,9,9\r\n\r\n0,0,5\n"
        for path in ["/model/predict", "/models/toy/predict"] {
            let answer = try client.send("POST", path, headers: [("Content-Type", "text/csv")], body: Array(csv.utf8))
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.header("Content-Type"), "text/csv; charset=utf-8")
            XCTAssertEqual(answer.text, "ImageId,Label\n1,6\n2,7\n3,5\n")
        }
        // A train.csv-like label column is one more member the model is given.
        let labelled = try client.send("POST", "/model/predict", headers: [("Content-Type", "text/csv")],
                                       body: Array("label,pixel0\n5,1\n".utf8))
        XCTAssertEqual(labelled.text, "ImageId,Label\n1,6\n")
        // JSON still reaches the model's own input, as a list too.
        let json = try client.send("POST", "/model/predict", headers: [("Content-Type", "application/json")],
                                   body: Array(#"[{"a": 1}, {"a": 12}]"#.utf8))
        XCTAssertEqual(try JSONValue.parse(json.body)["results"]?.arrayValue?.count, 2)
    }

    func testCSVErrorsNameTheLineAndColumn() throws {
        let client = try start()
        let cases: [(String, Int, String)] = [
            ("", 422, "the CSV is empty"),
            ("pixel0,pixel1\n", 422, "a header but no rows"),
            ("1,2\n3,4\n", 422, "line 1, column 1: the first line must be a header"),
            ("pixel0,pixel0\n1,2\n", 422, "the column 'pixel0' appears twice"),
            ("pixel0,pixel1\n1,2\n3\n", 422, "line 3: 1 values; the header has 2 columns"),
            ("pixel0,pixel1\n1,2\n3,abc\n", 422, "line 3, pixel1: 'abc' is not a number"),
            ("pixel0,pixel1\n1,2\n3,300\n", 422, "line 3: body.pixel1: 300 is above the maximum 255"),
            ("pixel0,boom\n1,2\n", 422, "line 2: body.boom: not a pixel"),
        ]
        for (csv, status, message) in cases {
            let answer = try client.send("POST", "/model/predict", headers: [("Content-Type", "text/csv")], body: Array(csv.utf8))
            XCTAssertEqual(answer.status, status, csv)
            XCTAssertTrue((try JSONValue.parse(answer.body)["message"]?.stringValue ?? "").contains(message), "\(csv): \(answer.text)")
        }
    }

    func testOtherMediaTypesStillReachTheFrameworksRoute() throws {
        let client = try start()
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "x.bin", contentType: "application/octet-stream", [23])
        let answer = try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished())
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(try JSONValue.parse(answer.body)["predictions"]?.arrayValue?.first?["prediction"], .int(3))
    }
}
