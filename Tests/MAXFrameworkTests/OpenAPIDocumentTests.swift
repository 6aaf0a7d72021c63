import TestSupport
import HTTPServer
import Logging
import MAXFramework
import XCTest

/// /openapi.json: OpenAPI 3.0 from the same declarations as /swagger.json.
final class OpenAPIDocumentTests: XCTestCase {
    func documents<Wrapper: ModelWrapper>(_ wrapper: Wrapper) throws -> (openAPI: JSONValue, swagger: JSONValue) {
        let application = MAXApplication(model: AnyModel(wrapper),
                                         api: APIDescription(title: "Both", description: "two documents", version: "4.5"),
                                         corsEnabled: false, logger: LogCapture().logger())
        func get(_ path: String) throws -> JSONValue {
            let response = application.handle(HTTPRequest(method: "GET", target: path, path: path))
            XCTAssertEqual(response.status, .ok, path)
            XCTAssertEqual(response.headers["Content-Type"], "application/json")
            return try JSONValue.parse(response.body)
        }
        return (try get("/openapi.json"), try get("/swagger.json"))
    }

    func operations(_ document: JSONValue) -> [String: JSONValue] {
        var found: [String: JSONValue] = [:]
        for (path, item) in document["paths"]?.objectMembers ?? [] {
            for (method, operation) in item.objectMembers ?? [] { found["\(method.uppercased()) \(path)"] = operation }
        }
        return found
    }

    func testSameRoutesAndOperationIdsAsSwagger() throws {
        let (openAPI, swagger) = try documents(ByteStatsModel())
        XCTAssertEqual(openAPI["openapi"], .string("3.0.3"))
        XCTAssertEqual(openAPI["info"], swagger["info"])
        XCTAssertEqual(openAPI["servers"], .array([.object([("url", .string("/"))])]))
        let ours = operations(openAPI), theirs = operations(swagger)
        XCTAssertEqual(Set(ours.keys), Set(theirs.keys))
        XCTAssertTrue(ours.keys.contains("GET /openapi.json") && ours.keys.contains("GET /app"))
        for (route, operation) in ours {
            XCTAssertEqual(operation["operationId"], theirs[route]?["operationId"], route)
            XCTAssertEqual(operation["summary"], theirs[route]?["summary"], route)
            XCTAssertEqual(Set(operation["responses"]?.objectMembers?.map(\.key) ?? []),
                           Set(theirs[route]?["responses"]?.objectMembers?.map(\.key) ?? []), route)
        }
        // flask-restx's names for MAX's routes.
        XCTAssertEqual(ours["GET /model/metadata"]?["operationId"], .string("get_model_metadata_api"))
        XCTAssertEqual(ours["POST /model/predict"]?["operationId"], .string("predict"))
    }

    func testFileUploadBodyAsFormAndRawTypes() throws {
        let predict = try XCTUnwrap(operations(try documents(ByteStatsModel()).openAPI)["POST /model/predict"])
        let body = try XCTUnwrap(predict["requestBody"])
        XCTAssertEqual(body["required"], .bool(true))
        let form = try XCTUnwrap(body["content"]?["multipart/form-data"])
        XCTAssertEqual(form["schema"]?["required"], .array([.string("file")]))
        XCTAssertEqual(form["schema"]?["properties"]?["file"]?["items"]?["format"], .string("binary"), "up to 4 files")
        XCTAssertEqual(form["schema"]?["properties"]?["file"]?["maxItems"], .int(4))
        XCTAssertTrue(form["schema"]?["properties"]?["file"]?["description"]?.stringValue?.contains("'image'") == true)
        XCTAssertEqual(body["content"]?["image/png"]?["schema"]?["format"], .string("binary"))
        let parameters = predict["parameters"]?.arrayValue ?? []
        let topK = try XCTUnwrap(parameters.first { $0["name"] == .string("top_k") })
        XCTAssertEqual(topK["schema"], .object([("type", .string("integer")), ("default", .int(1))]))
        XCTAssertEqual(predict["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["$ref"],
                       .string("#/components/schemas/ModelPredictResponse"))
    }

    /// Swagger 2 can say "files" or "JSON" but not both; OpenAPI 3 says both.
    func testAModelTakingFilesOrJSONShowsBoth() throws {
        let (openAPI, swagger) = try documents(BatchingClassifier())
        let content = try XCTUnwrap(operations(openAPI)["POST /model/predict"]?["requestBody"]?["content"]?.objectMembers?.map(\.key))
        XCTAssertEqual(content, ["multipart/form-data", "application/octet-stream", "application/json"])
        let form = operations(openAPI)["POST /model/predict"]?["requestBody"]?["content"]?["multipart/form-data"]
        XCTAssertEqual(form?["schema"]?["properties"]?["file"]?["type"], .string("array"), "up to 3 files")
        XCTAssertEqual(form?["schema"]?["properties"]?["file"]?["maxItems"], .int(3))
        XCTAssertNil(operations(swagger)["POST /model/predict"]?["requestBody"])
        let json = operations(try documents(MeanModel()).openAPI)["POST /model/predict"]?["requestBody"]?["content"]?["application/json"]
        XCTAssertEqual(json?["example"], .object([("numbers", .array([.int(1), .int(2)]))]))
        XCTAssertEqual(json?["schema"]?["required"], .array([.string("numbers")]), "optional members are not required")
    }

    /// Every object schema with members lists the required ones; every $ref resolves.
    func testEverySchemaListsItsRequiredMembersAndEveryReferenceResolves() throws {
        for (openAPI, swagger) in [try documents(ByteStatsModel()), try documents(MeanModel()), try documents(BatchingClassifier())] {
            for (document, prefix, container) in [(openAPI, "#/components/schemas/", openAPI["components"]?["schemas"]),
                                                  (swagger, "#/definitions/", swagger["definitions"])] {
                var objects = 0
                func walk(_ value: JSONValue, _ place: String) {
                    switch value {
                    case .object(let members):
                        if value["type"] == .string("object"), let properties = value["properties"]?.objectMembers, !properties.isEmpty,
                           place.contains("schema") || place.contains("definitions") {
                            objects += 1
                            XCTAssertNotNil(value["required"]?.arrayValue, "\(place) lists its required members")
                        }
                        for (key, member) in members {
                            if key == "$ref", let reference = member.stringValue {
                                XCTAssertTrue(reference.hasPrefix(prefix), reference)
                                XCTAssertNotNil(container?[String(reference.dropFirst(prefix.count))], "\(reference) resolves")
                            }
                            walk(member, place + "/" + key)
                        }
                    case .array(let items): items.forEach { walk($0, place) }
                    default: break
                    }
                }
                walk(document, "")
                XCTAssertGreaterThan(objects, 2)
            }
        }
    }

    func testXFieldsIsDocumentedOnMetadataAndPredictAsFlaskRestxDoes() throws {
        let (openAPI, swagger) = try documents(ByteStatsModel())
        for route in ["GET /model/metadata", "POST /model/predict", "GET /models/byte-stats/metadata", "POST /models/byte-stats/predict"] {
            let header = operations(swagger)[route]?["parameters"]?.arrayValue?.first { $0["name"] == .string("X-Fields") }
            XCTAssertEqual(header?["in"], .string("header"), route)
            XCTAssertEqual(header?["type"], .string("string"), route)
            XCTAssertEqual(header?["format"], .string("mask"), route)
            XCTAssertEqual(header?["required"], .bool(false), route)
            let openHeader = operations(openAPI)[route]?["parameters"]?.arrayValue?.first { $0["name"] == .string("X-Fields") }
            XCTAssertEqual(openHeader?["schema"], .object([("type", .string("string")), ("format", .string("mask"))]), route)
        }
        XCTAssertNil(operations(swagger)["GET /models"]?["parameters"], "only MAX's marshalled routes take a mask")
        let classifier = try documents(BatchingClassifier())
        for route in ["GET /model/labels", "GET /models/classifier/labels"] {
            XCTAssertEqual(operations(classifier.swagger)[route]?["parameters"]?.arrayValue?.first?["name"], .string("X-Fields"), route)
        }
        XCTAssertEqual(operations(classifier.openAPI)["GET /model/labels"]?["operationId"], .string("get_labels"),
                       "as MAX's classifiers name it")
    }
}
