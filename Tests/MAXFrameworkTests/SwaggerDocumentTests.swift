import TestSupport
import HTTPServer
import Logging
import MAXFramework
import XCTest

/// /swagger.json is a Swagger 2.0 document generated from the plugin alone.
final class SwaggerDocumentTests: XCTestCase {
    func document() throws -> JSONValue {
        let application = MAXApplication(model: AnyModel(ByteStatsModel()),
                                         api: APIDescription(title: "Bytes API", description: "counts bytes", version: "2.3.4"),
                                         corsEnabled: false, logger: LogCapture().logger())
        let response = application.handle(HTTPRequest(method: "GET", target: "/swagger.json", path: "/swagger.json"))
        XCTAssertEqual(response.status, .ok)
        return try JSONValue.parse(response.body)
    }

    func testInfoComesFromConfiguration() throws {
        let swagger = try document()
        XCTAssertEqual(swagger["swagger"], .string("2.0"))
        XCTAssertEqual(swagger["info"]?["title"], .string("Bytes API"))
        XCTAssertEqual(swagger["info"]?["description"], .string("counts bytes"))
        XCTAssertEqual(swagger["info"]?["version"], .string("2.3.4"))
    }

    func testEveryRouteIsDescribedWithResponses() throws {
        let swagger = try document()
        let paths = swagger["paths"]?.objectMembers?.map(\.key) ?? []
        XCTAssertEqual(Set(paths), ["/", "/app", "/openapi.json", "/swagger.json", "/model/metadata", "/model/predict", "/models",
                                    "/models/byte-stats/metadata", "/models/byte-stats/predict"])
        for path in paths {
            let operations = swagger["paths"]?[path]?.objectMembers ?? []
            XCTAssertFalse(operations.isEmpty, path)
            for (_, operation) in operations {
                XCTAssertNotNil(operation["responses"]?["200"]?["description"]?.stringValue, path)
            }
        }
        XCTAssertEqual(swagger["paths"]?["/model/metadata"]?["get"]?["responses"]?["200"]?["schema"]?["$ref"],
                       .string("#/definitions/ModelMetadata"))
    }

    func testPredictParametersComeFromTheInputSpec() throws {
        let predict = try XCTUnwrap(try document()["paths"]?["/model/predict"]?["post"])
        let parameters = predict["parameters"]?.arrayValue ?? []
        let file = try XCTUnwrap(parameters.first { $0["name"] == .string("file") })
        XCTAssertEqual(file["in"], .string("formData"))
        XCTAssertEqual(file["type"], .string("file"))
        XCTAssertEqual(file["required"], .bool(true))
        XCTAssertTrue(file["description"]?.stringValue?.contains("'image'") == true)
        let topK = try XCTUnwrap(parameters.first { $0["name"] == .string("top_k") })
        XCTAssertEqual(topK["in"], .string("query"))
        XCTAssertEqual(topK["type"], .string("integer"))
        XCTAssertEqual(topK["default"], .int(1))
        XCTAssertEqual(predict["consumes"], .array([.string("multipart/form-data"), .string("image/png"), .string("application/octet-stream")]))
        for code in ["200", "400", "413", "415", "500"] {
            XCTAssertNotNil(predict["responses"]?[code], "response \(code) documented")
        }
    }

    func testEveryReferenceResolvesAndPredictionMatchesOutputSchema() throws {
        let swagger = try document()
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if key == "$ref", let text = member.stringValue { references.append(text) }
                    collect(member)
                }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(swagger)
        XCTAssertFalse(references.isEmpty)
        for reference in references {
            let name = String(reference.dropFirst("#/definitions/".count))
            XCTAssertNotNil(swagger["definitions"]?[name], "\(reference) resolves")
        }
        let properties = swagger["definitions"]?["Prediction"]?["properties"]?.objectMembers?.map(\.key)
        XCTAssertEqual(properties, ["length", "sum", "top_k", "file_name"])
    }
}
