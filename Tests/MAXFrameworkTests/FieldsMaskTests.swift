import TestSupport
import HTTPServer
import MAXFramework
import XCTest

/// The X-Fields mask on /model/metadata and /model/predict, as flask-restx applies it.
/// (scripts/webtests/test_flask_restx_parity.py compares with flask-restx itself.)
final class FieldsMaskTests: XCTestCase {
    let application = MAXApplication(model: AnyModel(ByteStatsModel()),
                                     api: APIDescription(title: "t", description: "d", version: "1"),
                                     corsEnabled: false, logger: LogCapture().logger())

    func metadata(mask: String?) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let mask { headers.add("X-Fields", mask) }
        return application.handle(HTTPRequest(method: "GET", target: "/model/metadata", path: "/model/metadata", headers: headers))
    }

    func predict(mask: String?, path: String = "/model/predict") -> HTTPResponse {
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "x.bin", contentType: "application/octet-stream", [1, 2, 3])
        var headers: HTTPHeaders = ["Content-Type": form.contentType]
        if let mask { headers.add("X-Fields", mask) }
        return application.handle(HTTPRequest(method: "POST", target: path, path: path, headers: headers, body: form.finished()))
    }

    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    func testMetadataKeepsTheMaskedMembersInTheMasksOrder() {
        XCTAssertEqual(text(metadata(mask: "name,id")), #"{"name": "Byte Statistics", "id": "byte-stats"}"#)
        XCTAssertEqual(text(metadata(mask: "{license}")), #"{"license": "Apache-2.0"}"#, "outer braces optional")
        XCTAssertEqual(text(metadata(mask: " id , nope ")), #"{"id": "byte-stats"}"#, "members the model lacks are left out")
        XCTAssertEqual(text(metadata(mask: nil)), text(metadata(mask: "  ")), "a blank mask masks nothing")
    }

    func testPredictMasksNestedListsAndWildcards() {
        XCTAssertEqual(text(predict(mask: "predictions{sum}")), #"{"predictions": [{"sum": 6}]}"#)
        XCTAssertEqual(text(predict(mask: "predictions{sum,*},status")),
                       #"{"predictions": [{"sum": 6, "length": 3, "file_name": "x.bin"}], "status": "ok"}"#)
        XCTAssertEqual(text(predict(mask: "status")), #"{"status": "ok"}"#)
        XCTAssertEqual(text(predict(mask: "predictions{top_k,sum}")), #"{"predictions": [{"top_k": null, "sum": 6}]}"#,
                       "a declared member the answer lacks is null")
        XCTAssertEqual(text(predict(mask: "predictions{sum},predictions")), #"{"predictions": [{"length": 3, "sum": 6, "file_name": "x.bin"}]}"#,
                       "naming a member again drops its nested mask")
        XCTAssertEqual(text(predict(mask: "status", path: "/models/byte-stats/predict")), #"{"status": "ok"}"#)
    }

    func testLabelsOfAClassifierAreMasked() {
        let classifier = MAXApplication(model: AnyModel(BatchingClassifier()), api: APIDescription(title: "t", description: "d", version: "1"),
                                        corsEnabled: false, logger: LogCapture().logger())
        let response = classifier.handle(HTTPRequest(method: "GET", target: "/model/labels", path: "/model/labels",
                                                     headers: ["X-Fields": "labels{name}"]))
        XCTAssertEqual(text(response), #"{"labels": [{"name": "zero"}, {"name": "one"}, {"name": "two"}]}"#)
    }

    func testBadMasksAre400AsFlaskRestxAnswers() throws {
        let cases = [
            ("{status", "Mask parse error: Missing closing bracket"),
            ("status{", "Mask parse error: Missing closing bracket"),
            ("status}", "Mask parse error: Unexpected closing bracket"),
            ("{status}}", "Mask parse error: Unexpected closing bracket"),
            (",status", "Mask parse error: Unexpected comma"),
            ("status,,id", "Mask parse error: Unexpected comma"),
            ("{}id", "Mask parse error: Missing closing bracket"),
            ("{{id}}", "Mask parse error: Unexpected opening bracket"),
            ("id,{name}", "Mask parse error: Unexpected opening bracket"),
            ("status{x}", "Mask error: Mask is inconsistent with model"),
        ]
        for (mask, message) in cases {
            let response = mask == "status{x}" ? predict(mask: mask) : metadata(mask: mask)
            XCTAssertEqual(response.status, .badRequest, mask)
            XCTAssertEqual(try JSONValue.parse(response.body)["message"], .string(message), mask)
        }
    }

    func testErrorsAreNeverMasked() throws {
        let response = application.handle(HTTPRequest(method: "POST", target: "/model/predict", path: "/model/predict",
                                                       headers: ["X-Fields": "{broken"], body: []))
        XCTAssertEqual(response.status, .badRequest)
        XCTAssertEqual(try JSONValue.parse(response.body)["status"], .string("error"))
        XCTAssertFalse(text(response).contains("Mask"), "the route's own error, not the mask's")
    }
}
