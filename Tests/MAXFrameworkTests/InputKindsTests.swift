import Foundation
import HTTPServer
import MAXFramework
import TestSupport
import XCTest

/// Input kinds, statuses, several files and the response encoding, through the application
/// (no sockets; ServiceTests covers the wire).
final class InputKindsTests: XCTestCase {
    let log = LogCapture()

    func application<Wrapper: ModelWrapper>(_ wrapper: Wrapper) -> MAXApplication {
        MAXApplication(model: AnyModel(wrapper), api: APIDescription(title: "t", description: "d", version: "1"),
                       corsEnabled: false, logger: log.logger())
    }

    func post(_ body: [UInt8], contentType: String?, path: String = "/model/predict") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let contentType { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: "POST", target: path, path: path, headers: headers, body: body)
    }

    func postJSON(_ text: String) -> HTTPRequest { post(Array(text.utf8), contentType: "application/json") }

    func testJSONBodyReachesAJSONModel() throws {
        let response = application(MeanModel()).handle(postJSON(#"{"numbers": [1, 2, 4.5]}"#))
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"status": "ok", "predictions": [{"mean": 2.5, "count": 3}]}"#)
    }

    func testJSONThatDoesNotFitTheSchemaIs422NamingTheMember() throws {
        let app = application(MeanModel())
        let cases: [(String, String)] = [
            (#"{"numbers": [1, "two"]}"#, "body.numbers[1]: expected a number, got a string"),
            (#"{"numbers": []}"#, "body.numbers: expected 1 to 8 items, got 0"),
            (#"{"numbers": [1, 2000]}"#, "body.numbers[1]: 2000 is above the maximum 1000"),
            (#"{"count": 3}"#, "body: the member 'numbers' is missing"),
            (#"[1, 2]"#, "body: expected an object, got an array"),
            (#"{"numbers": [1], "status": 1.5}"#, "body.status: expected a whole number, got 1.5"),
        ]
        for (body, message) in cases {
            let response = app.handle(postJSON(body))
            XCTAssertEqual(response.status.code, 422, body)
            XCTAssertEqual(try JSONValue.parse(response.body)["message"]?.stringValue, message, body)
        }
        let malformed = app.handle(postJSON(#"{"numbers": [1,"#))
        XCTAssertEqual(malformed.status.code, 400)
        XCTAssertTrue(String(decoding: malformed.body, as: UTF8.self).contains("not valid JSON"))
    }

    func testAJSONModelRefusesFilesAndSaysWhatItTakes() throws {
        let app = application(MeanModel())
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "a.png", contentType: "image/png", [1])
        let multipart = app.handle(post(form.finished(), contentType: form.contentType))
        XCTAssertEqual(multipart.status.code, 415)
        XCTAssertEqual(try JSONValue.parse(multipart.body)["message"]?.stringValue,
                       "multipart/form-data is not accepted: send an application/json body", "nothing says image unless the plugin does")
        let raw = app.handle(post([1, 2], contentType: "image/png"))
        XCTAssertEqual(raw.status.code, 415)
        XCTAssertEqual(try JSONValue.parse(raw.body)["message"]?.stringValue,
                       "Content-Type 'image/png' is not accepted: send an application/json body")
    }

    func testEveryStatusAPluginRaisesReachesTheClient() throws {
        let app = application(MeanModel())
        for code in [400, 404, 413, 415, 422, 503] {
            let response = app.handle(postJSON(#"{"numbers": [1], "status": \#(code)}"#))
            XCTAssertEqual(response.status.code, code)
            XCTAssertEqual(try JSONValue.parse(response.body)["message"]?.stringValue, "raised \(code) on request")
            XCTAssertEqual(response.headers["Retry-After"], code == 503 ? "3" : nil)
        }
    }

    func testPluginResponseFieldsFollowPredictions() throws {
        let response = application(MeanModel()).handle(postJSON(#"{"numbers": [-1, 1]}"#))
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"status": "ok", "predictions": [{"mean": 0.0, "count": 2}], "message": "the mean is zero"}"#)
    }

    func testSeveralFilesAreOneBatchAnsweredInOrder() throws {
        let classifier = BatchingClassifier()
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "a.bin", contentType: "application/octet-stream", [4])
        form.addField("note", "ignored")
        form.addFile(field: "file", fileName: "b.bin", contentType: "application/octet-stream", [])
        form.addFile(field: "file", fileName: "c.bin", contentType: "application/octet-stream", [2])
        let response = application(classifier).handle(post(form.finished(), contentType: form.contentType))
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), """
            {"status": "ok", "results": [{"file": "a.bin", "status": "ok", "predictions": [{"label": "one", "probability": 1.0}]}, \
            {"file": "b.bin", "status": "error", "message": "the uploaded file is empty"}, \
            {"file": "c.bin", "status": "ok", "predictions": [{"label": "two", "probability": 1.0}]}]}
            """)
        XCTAssertEqual(classifier.batchSizes, [2], "the two usable files reached predictBatch together")
    }

    func testAFailingItemFailsOnlyItself() throws {
        let classifier = BatchingClassifier()
        var form = MultipartBody()
        for byte: UInt8 in [1, 0xFF, 2] {
            form.addFile(field: "file", fileName: "\(byte).bin", contentType: "application/octet-stream", [byte])
        }
        let body = try JSONValue.parse(application(classifier).handle(post(form.finished(), contentType: form.contentType)).body)
        let statuses = body["results"]?.arrayValue?.map { $0["status"]?.stringValue ?? "" }
        XCTAssertEqual(statuses, ["ok", "error", "ok"])
        XCTAssertEqual(body["results"]?.arrayValue?[1]["message"]?.stringValue,
                       "the model failed to process the request; the server log has details")
        XCTAssertTrue(log.contains("Poisoned"), "the failure is logged")
    }

    /// The file limit is inclusive: exactly `maxFiles` (3) files are one batch of three.
    func testExactlyTheMostFilesAreAccepted() throws {
        var form = MultipartBody()
        for byte: UInt8 in [1, 2, 1] { form.addFile(field: "file", fileName: "\(byte).bin", contentType: "application/octet-stream", [byte]) }
        let classifier = BatchingClassifier()
        let response = application(classifier).handle(post(form.finished(), contentType: form.contentType))
        XCTAssertEqual(response.status, .ok, String(decoding: response.body, as: UTF8.self))
        XCTAssertEqual(try JSONValue.parse(response.body)["results"]?.arrayValue?.count, 3)
        XCTAssertEqual(classifier.batchSizes, [3])
    }

    func testTooManyFilesIs413() throws {
        var form = MultipartBody()
        for index in 0..<4 { form.addFile(field: "file", fileName: "\(index)", contentType: "application/octet-stream", [1]) }
        let response = application(BatchingClassifier()).handle(post(form.finished(), contentType: form.contentType))
        XCTAssertEqual(response.status.code, 413)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("at most 3"))
    }

    func testAModelTakingEitherFormAcceptsBoth() throws {
        let app = application(BatchingClassifier())
        XCTAssertEqual(app.handle(post([5], contentType: "application/octet-stream")).status, .ok)
        let json = app.handle(postJSON(#"{"byte": 4}"#))
        XCTAssertEqual(String(decoding: json.body, as: UTF8.self), #"{"status": "ok", "predictions": [{"label": "one", "probability": 1.0}]}"#)
        XCTAssertEqual(app.handle(postJSON(#"{"byte": 300}"#)).status.code, 422)
    }

    func testProbabilitiesAreAlwaysFloats() throws {
        struct Row: Encodable { let prediction: Int; let probability: Double; let score: Float; let nested: [String: Double] }
        let value = try JSONValueEncoder().encode(Row(prediction: 8, probability: 1, score: 0, nested: ["p": 1]))
        XCTAssertEqual(value.serialized, #"{"prediction": 8, "probability": 1.0, "score": 0.0, "nested": {"p": 1.0}}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(value.serialized.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["probability"] as? Double, 1.0)
    }

    /// A prediction that builds its own JSON is taken as it is, at the top level; nested in
    /// another value it is encoded through `Encodable` like anything else.
    func testAConvertibleValueGivesItsOwnJSON() throws {
        struct Scored: Encodable, JSONValueConvertible {
            let score: Double
            var jsonValue: JSONValue { .object([("own", .number(score))]) }
        }
        struct Outer: Encodable { let inner: Scored }
        XCTAssertEqual(try JSONValueEncoder().encode(Scored(score: 0.5)).serialized, #"{"own": 0.5}"#)
        XCTAssertEqual(try JSONValueEncoder().encode(Outer(inner: Scored(score: 0.5))).serialized, #"{"inner": {"score": 0.5}}"#)
    }
}
