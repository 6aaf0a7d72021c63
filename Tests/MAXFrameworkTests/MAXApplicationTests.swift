import TestSupport
import HTTPServer
import Logging
import MAXFramework
import XCTest

/// The routes as a pure function: every route and every error path, no sockets.
final class MAXApplicationTests: XCTestCase {
    let log = LogCapture()

    func makeApplication(cors: Bool = false) -> MAXApplication {
        MAXApplication(model: AnyModel(ByteStatsModel()),
                       api: APIDescription(title: "Test <API>", description: "for tests", version: "9.1"),
                       corsEnabled: cors, logger: log.logger())
    }

    func json(_ response: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        XCTAssertEqual(response.headers["Content-Type"], "application/json", file: file, line: line)
        return try JSONValue.parse(response.body)
    }

    func post(_ body: [UInt8], contentType: String?, target: String = "/model/predict",
              query: [(name: String, value: String)] = []) -> HTTPRequest {
        var headers = HTTPHeaders()
        if let contentType { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: "POST", target: target, path: "/model/predict", query: query, headers: headers, body: body)
    }

    func testMetadataIsMAXShaped() throws {
        let response = makeApplication().handle(HTTPRequest(method: "GET", target: "/model/metadata", path: "/model/metadata"))
        XCTAssertEqual(response.status, .ok)
        let body = try json(response)
        XCTAssertEqual(body.objectMembers?.map(\.key), ["id", "name", "description", "type", "source", "license"])
        XCTAssertEqual(body["id"], .string("byte-stats"))
    }

    func testMetadataOverridesFromConfiguration() throws {
        let model = AnyModel(ByteStatsModel()).withMetadata(["name": "Renamed", "license": "MIT"])
        let application = MAXApplication(model: model, api: APIDescription(title: "t", description: "d", version: "1"),
                                         corsEnabled: false, logger: log.logger())
        let body = try json(application.handle(HTTPRequest(method: "GET", target: "/model/metadata", path: "/model/metadata")))
        XCTAssertEqual(body["name"], .string("Renamed"))
        XCTAssertEqual(body["license"], .string("MIT"))
        XCTAssertEqual(body["id"], .string("byte-stats"))
    }

    func testPredictWithMultipartFileField() throws {
        var form = MultipartBody()
        form.addField("comment", "ignored")
        form.addFile(field: "file", fileName: "eight.png", contentType: "image/png", [1, 2, 3, 250])
        let response = makeApplication().handle(post(form.finished(), contentType: form.contentType))
        XCTAssertEqual(response.status, .ok)
        let text = String(decoding: response.body, as: UTF8.self)
        XCTAssertEqual(text, #"{"status": "ok", "predictions": [{"length": 4, "sum": 256, "file_name": "eight.png"}]}"#,
                       "members in declaration order, an absent optional left out")
    }

    func testPredictWithImageFieldAndQueryParameter() throws {
        var form = MultipartBody()
        form.addFile(field: "image", fileName: "x.png", contentType: "image/png", [7, 7])
        let response = makeApplication().handle(post(form.finished(), contentType: form.contentType, query: [("top_k", "3")]))
        XCTAssertEqual(response.status, .ok)
        let prediction = try json(response)["predictions"]?.arrayValue?.first
        XCTAssertEqual(prediction?["sum"], .int(14))
        XCTAssertEqual(prediction?["top_k"], .int(3))
    }

    func testPredictWithRawImageBody() throws {
        let response = makeApplication().handle(post([9, 9, 9], contentType: "image/png"))
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(try json(response)["predictions"]?.arrayValue?.first?["length"], .int(3))
        let octets = makeApplication().handle(post([1], contentType: "application/octet-stream"))
        XCTAssertEqual(octets.status, .ok)
    }

    func testClientMistakesAre4xxWithMessages() throws {
        let application = makeApplication()
        var noFile = MultipartBody()
        noFile.addField("other", "value")
        var emptyFile = MultipartBody()
        emptyFile.addFile(field: "file", fileName: "empty.png", contentType: "image/png", [])
        var refused = MultipartBody()
        refused.addFile(field: "file", fileName: "bad.png", contentType: "image/png", Array("BAD data".utf8))
        var undeclaredPart = MultipartBody()
        undeclaredPart.addFile(field: "file", fileName: "x.jpg", contentType: "image/jpeg", [1, 2])
        let cases: [(HTTPRequest, Int, String)] = [
            (post(noFile.finished(), contentType: noFile.contentType), 400, "no file uploaded"),
            (post(emptyFile.finished(), contentType: emptyFile.contentType), 400, "empty"),
            (post([], contentType: nil), 400, "no input: send multipart/form-data with a file of type image/png, application/octet-stream in the field 'file' (or 'image'), or the file as the raw body"),
            (post([], contentType: "image/png"), 400, "the uploaded file is empty"),
            (post(Array("{}".utf8), contentType: "application/json"), 415, "application/json"),
            (post(Array("x".utf8), contentType: nil), 415, "a body without Content-Type"),
            (post([1], contentType: "image/jpeg"), 415, "Content-Type 'image/jpeg' is not accepted"),
            (post(undeclaredPart.finished(), contentType: undeclaredPart.contentType), 415, "'x.jpg' is image/jpeg"),
            (post(Array("garbage".utf8), contentType: "multipart/form-data; boundary=zzz"), 400, "multipart"),
            (post(refused.finished(), contentType: refused.contentType), 400, "the upload starts with BAD"),
            (post([1], contentType: "image/png", query: [("top_k", "many")]), 400, "top_k must be"),
        ]
        for (request, code, fragment) in cases {
            let response = application.handle(request)
            XCTAssertEqual(response.status.code, code, "\(fragment)")
            let body = try json(response)
            XCTAssertEqual(body["status"], .string("error"))
            XCTAssertTrue(body["message"]?.stringValue?.contains(fragment) == true,
                          "message \(body["message"]?.serialized ?? "nil") should mention \(fragment)")
        }
    }

    func testModelFaultIs500WithGenericMessageAndLoggedDetail() throws {
        let response = makeApplication().handle(post(Array("CRASH now".utf8), contentType: "image/png"))
        XCTAssertEqual(response.status.code, 500)
        let message = try json(response)["message"]?.stringValue ?? ""
        XCTAssertFalse(message.contains("secret"), "internal details must not reach the client")
        XCTAssertTrue(log.contains("secret internal detail"), "the detail belongs in the log")
    }

    func testUnknownRouteAndWrongMethod() throws {
        let application = makeApplication()
        let missing = application.handle(HTTPRequest(method: "GET", target: "/nope", path: "/nope"))
        XCTAssertEqual(missing.status, .notFound)
        XCTAssertEqual(try json(missing)["status"], .string("error"))

        let wrong = application.handle(HTTPRequest(method: "GET", target: "/model/predict", path: "/model/predict"))
        XCTAssertEqual(wrong.status, .methodNotAllowed)
        XCTAssertEqual(wrong.headers["Allow"], "POST, OPTIONS")
        let deleteMetadata = application.handle(HTTPRequest(method: "DELETE", target: "/model/metadata", path: "/model/metadata"))
        XCTAssertEqual(deleteMetadata.status, .methodNotAllowed)
        XCTAssertEqual(deleteMetadata.headers["Allow"], "GET, HEAD, OPTIONS")
    }

    func testHeadIsAnsweredLikeGet() {
        let application = makeApplication()
        for path in ["/", "/app", "/static/docs.js", "/swagger.json", "/model/metadata"] {
            let get = application.handle(HTTPRequest(method: "GET", target: path, path: path))
            let head = application.handle(HTTPRequest(method: "HEAD", target: path, path: path))
            XCTAssertEqual(head.status, .ok, path)
            XCTAssertEqual(head.headers, get.headers, path)
            XCTAssertEqual(head.body, get.body, "the server drops HEAD bodies after measuring them")
        }
    }

    func testCORSHeadersOnlyWhenEnabled() {
        let request = HTTPRequest(method: "GET", target: "/model/metadata", path: "/model/metadata")
        XCTAssertNil(makeApplication(cors: false).handle(request).headers["Access-Control-Allow-Origin"])
        XCTAssertEqual(makeApplication(cors: true).handle(request).headers["Access-Control-Allow-Origin"], "*",
                       "no Origin sent: any origin")
        let preflight = makeApplication(cors: true).handle(HTTPRequest(method: "OPTIONS", target: "/model/predict", path: "/model/predict"))
        XCTAssertEqual(preflight.status, .noContent)
        XCTAssertEqual(preflight.headers["Access-Control-Allow-Methods"], "POST, OPTIONS")
        XCTAssertEqual(preflight.headers["Access-Control-Allow-Headers"], "Content-Type")
        XCTAssertEqual(preflight.headers["Access-Control-Allow-Origin"], "*")
    }
}
