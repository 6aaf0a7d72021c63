import Foundation
import HTTPServer
import MAXFramework
import TestSupport
import XCTest

/// Routes added by adapters beside MAX's, several models, labels and the catalogue.
final class RoutingTests: XCTestCase {
    let log = LogCapture()

    func registry() -> ModelRegistry {
        ModelRegistry([
            ServedModel(id: "classifier", pluginName: "batching", model: AnyModel(BatchingClassifier())),
            ServedModel(id: "mean", pluginName: "mean", model: AnyModel(MeanModel())),
        ])
    }

    func application(extraRoutes: [Route] = []) -> MAXApplication {
        MAXApplication(registry: registry(), api: APIDescription(title: "t", description: "d", version: "1"),
                       corsEnabled: false, extraRoutes: extraRoutes, logger: log.logger())
    }

    func get(_ path: String, _ app: MAXApplication) -> HTTPResponse {
        app.handle(HTTPRequest(method: "GET", target: path, path: path))
    }

    func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    func testAdapterRoutesCaptureParametersAndRaiseStatuses() throws {
        let echo = Route("GET", "/v2/models/{name}/ready", doc: nil) { request in
            guard request.pathParameter("name") == "classifier" else { throw ModelError.notFound("unknown model '\(request.pathParameter("name")!)'") }
            return .json(.ok, #"{"ready": true}"#)
        }
        let literal = Route("GET", "/v2/models/special/ready", doc: nil) { _ in .json(.ok, #"{"special": true}"#) }
        let app = application(extraRoutes: [echo, literal])
        XCTAssertEqual(body(get("/v2/models/classifier/ready", app)), #"{"ready": true}"#)
        XCTAssertEqual(body(get("/v2/models/special/ready", app)), #"{"special": true}"#, "a literal path outranks a capture")
        let missing = get("/v2/models/other/ready", app)
        XCTAssertEqual(missing.status, .notFound)
        XCTAssertEqual(body(missing), #"{"status": "error", "message": "unknown model 'other'"}"#)
        let post = app.handle(HTTPRequest(method: "POST", target: "/v2/models/x/ready", path: "/v2/models/x/ready"))
        XCTAssertEqual(post.status, .methodNotAllowed)
        XCTAssertEqual(post.headers["Allow"], "GET, HEAD, OPTIONS")
    }

    func testTheDefaultModelServesMAXRoutesAndEveryModelItsOwn() throws {
        let app = application()
        XCTAssertEqual(try JSONValue.parse(get("/model/metadata", app).body)["id"], .string("classifier"))
        XCTAssertEqual(try JSONValue.parse(get("/models/mean/metadata", app).body)["id"], .string("mean"))
        let mean = app.handle(HTTPRequest(method: "POST", target: "/models/mean/predict", path: "/models/mean/predict",
                                          headers: ["Content-Type": "application/json"], body: Array(#"{"numbers": [2]}"#.utf8)))
        XCTAssertEqual(body(mean), #"{"status": "ok", "predictions": [{"mean": 2.0, "count": 1}]}"#)
        let unknown = get("/models/nope/metadata", app)
        XCTAssertEqual(unknown.status, .notFound)
        XCTAssertTrue(body(unknown).contains("no model 'nope'; served: 'classifier', 'mean'"), body(unknown))
    }

    func testLabelsInMAXShapeOnlyForClassifiers() throws {
        let app = application()
        XCTAssertEqual(body(get("/model/labels", app)), """
            {"count": 3, "labels": [{"id": "0", "name": "zero"}, {"id": "1", "name": "one"}, {"id": "2", "name": "two"}]}
            """)
        XCTAssertEqual(get("/models/classifier/labels", app).status, .ok)
        XCTAssertEqual(get("/models/mean/labels", app).status, .notFound, "the mean model has no labels")
    }

    func testCatalogueListsEveryModelDefaultFirst() throws {
        let list = try JSONValue.parse(get("/models", application()).body)
        let models = list["models"]?.arrayValue ?? []
        XCTAssertEqual(models.map { $0["id"]?.stringValue }, ["classifier", "mean"])
        XCTAssertEqual(models.map { $0["default"]?.boolValue }, [true, false])
        XCTAssertEqual(models[0]["links"]?["labels"], .string("/models/classifier/labels"))
        XCTAssertNil(models[1]["links"]?["labels"])
        XCTAssertEqual(models[1]["metadata"]?["name"], .string("Mean"))
    }

    func testOneDocumentCoversEveryModelWithItsOwnSchemas() throws {
        let swagger = try JSONValue.parse(get("/swagger.json", application()).body)
        let paths = swagger["paths"]?.objectMembers?.map(\.key) ?? []
        for path in ["/model/predict", "/model/labels", "/models", "/models/classifier/predict", "/models/mean/predict",
                     "/models/mean/metadata", "/models/classifier/labels"] {
            XCTAssertTrue(paths.contains(path), path)
        }
        XCTAssertFalse(paths.contains("/models/{id}/predict"), "the fallback for unknown ids is not documented")
        let meanBody = swagger["paths"]?["/models/mean/predict"]?["post"]?["parameters"]?.arrayValue?.first
        XCTAssertEqual(meanBody?["in"], .string("body"), "a JSON model documents a body, not a file")
        XCTAssertEqual(swagger["paths"]?["/models/mean/predict"]?["post"]?["consumes"], .array([.string("application/json")]))
        XCTAssertNotNil(swagger["definitions"]?["MeanPrediction"])
        XCTAssertNotNil(swagger["definitions"]?["Prediction"], "the default model's schema keeps MAX's name")
        let ids = paths.flatMap { path in (swagger["paths"]?[path]?.objectMembers ?? []).compactMap { $0.value["operationId"]?.stringValue } }
        XCTAssertEqual(ids.count, Set(ids).count, "operationIds are unique: \(ids)")
    }

    func testAReplacedModelServesNewRequests() throws {
        let registry = registry()
        let app = MAXApplication(registry: registry, api: APIDescription(title: "t", description: "d", version: "1"),
                                 corsEnabled: false, logger: log.logger())
        registry.model(id: "classifier")!.replace(with: AnyModel(BatchingClassifier()).withMetadata(["name": "Retrained"]))
        XCTAssertEqual(try JSONValue.parse(get("/model/metadata", app).body)["name"], .string("Retrained"))
    }
}
