import Foundation
import Logging
import MAXFramework
import TestSupport
import XCTest

/// The real service (assets, plugin, HTTPServer) on an ephemeral loopback port, exercised over
/// real sockets: every route and every error path.
final class ServiceTests: XCTestCase {
    let log = LogCapture()
    let plugins = [ByteStatsModel.plugin]

    func start(plugin: String = "byte-stats", cors: Bool = false, maxUploadBytes: Int = 1 << 20) throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = plugin
        configuration.corsEnabled = cors
        configuration.maxUploadBytes = maxUploadBytes
        configuration.apiTitle = "Integration API"
        let service = try MAXService.start(configuration, plugins: plugins, logger: log.logger(.info))
        addTeardownBlock { service.shutdown() }
        return (service, HTTPTestClient(port: service.port))
    }

    func upload(_ client: HTTPTestClient, field: String = "file", name: String, _ bytes: [UInt8],
                target: String = "/model/predict") throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: field, fileName: name, contentType: "application/octet-stream", bytes)
        return try client.send("POST", target, headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func errorMessage(_ response: HTTPTestClient.Response) throws -> String {
        XCTAssertEqual(response.header("Content-Type"), "application/json")
        let body = try JSONValue.parse(response.body)
        XCTAssertEqual(body["status"], .string("error"), response.text)
        return body["message"]?.stringValue ?? ""
    }

    func testMetadataSwaggerAndDocs() throws {
        let (_, client) = try start()
        let metadata = try client.send("GET", "/model/metadata")
        XCTAssertEqual(metadata.status, 200)
        XCTAssertEqual(try JSONValue.parse(metadata.body)["id"], .string("byte-stats"))

        let swagger = try client.send("GET", "/swagger.json")
        XCTAssertEqual(swagger.status, 200)
        XCTAssertEqual(try JSONValue.parse(swagger.body)["info"]?["title"], .string("Integration API"))

        let docs = try client.send("GET", "/")
        XCTAssertEqual(docs.status, 200)
        XCTAssertTrue(docs.text.contains(#"data-spec="openapi.json""#))
        XCTAssertEqual(try client.send("GET", "/static/docs.js").status, 200)

        let head = try client.send("HEAD", "/model/metadata")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Length"), String(metadata.body.count))
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertTrue(log.contains("/model/metadata"), "the server writes an access log line")
    }

    func testClientErrorsOverTheWire() throws {
        let (_, client) = try start()
        var noFile = MultipartBody()
        noFile.addField("note", "no file here")
        let missing = try client.send("POST", "/model/predict", headers: [("Content-Type", noFile.contentType)], body: noFile.finished())
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(try errorMessage(missing).contains("no file uploaded"))

        let empty = try upload(client, name: "empty.png", [])
        XCTAssertEqual(empty.status, 400)
        XCTAssertTrue(try errorMessage(empty).contains("empty"))

        let refused = try upload(client, name: "bad.bin", Array("BAD bytes".utf8))
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(try errorMessage(refused), "the upload starts with BAD")

        let wrongType = try client.send("POST", "/model/predict", headers: [("Content-Type", "text/plain")], body: Array("hello".utf8))
        XCTAssertEqual(wrongType.status, 415)
        _ = try errorMessage(wrongType)

        let noBody = try client.send("POST", "/model/predict")
        XCTAssertEqual(noBody.status, 400)
        _ = try errorMessage(noBody)
    }

    func testRoutingErrors() throws {
        let (_, client) = try start()
        let missing = try client.send("GET", "/model/labels")
        XCTAssertEqual(missing.status, 404)
        _ = try errorMessage(missing)
        let wrongMethod = try client.send("GET", "/model/predict")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "POST, OPTIONS")
        _ = try errorMessage(wrongMethod)
        let putMetadata = try client.send("PUT", "/model/metadata", body: Array("x".utf8))
        XCTAssertEqual(putMetadata.status, 405)
    }

    func testUploadOverTheLimitIs413() throws {
        let (_, client) = try start(maxUploadBytes: 10_000)
        let response = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")],
                                       body: [UInt8](repeating: 7, count: 50_000))
        XCTAssertEqual(response.status, 413)
        _ = try errorMessage(response)
    }

    /// `limits.max_upload_bytes` reaches the server and is inclusive: a body of exactly that
    /// many bytes is served, one byte more is refused with 413 before the plugin sees it.
    func testUploadLimitIsInclusive() throws {
        let (_, client) = try start(maxUploadBytes: 10_000)
        let exact = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")],
                                    body: [UInt8](repeating: 7, count: 10_000))
        XCTAssertEqual(exact.status, 200, exact.text)
        XCTAssertEqual(try JSONValue.parse(exact.body)["predictions"]?.arrayValue?.first?["length"], .int(10_000))
        let over = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")],
                                   body: [UInt8](repeating: 7, count: 10_001))
        XCTAssertEqual(over.status, 413)
        _ = try errorMessage(over)
    }

    func testModelFaultIs500AndServerKeepsServing() throws {
        let (_, client) = try start(plugin: "byte-stats")
        let crash = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")], body: Array("CRASH".utf8))
        XCTAssertEqual(crash.status, 500)
        XCTAssertFalse(try errorMessage(crash).contains("secret"))
        let next = try client.send("POST", "/model/predict?top_k=2", headers: [("Content-Type", "image/png")], body: [1, 2])
        XCTAssertEqual(next.status, 200)
        XCTAssertEqual(try JSONValue.parse(next.body)["predictions"]?.arrayValue?.first?["top_k"], .int(2), "query reaches the plugin")
    }

    /// As flask-cors answers: the Origin echoed, and on pre-flight the requested headers.
    func testCORSWhenEnabled() throws {
        let (_, client) = try start(cors: true)
        let response = try client.send("GET", "/model/metadata", headers: [("Origin", "http://example.com")])
        XCTAssertEqual(response.header("Access-Control-Allow-Origin"), "http://example.com")
        XCTAssertEqual(response.header("Vary"), "Origin")
        let preflight = try client.send("OPTIONS", "/model/predict", headers: [
            ("Origin", "http://example.com"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type, x-fields, authorization"),
        ])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("Access-Control-Allow-Origin"), "http://example.com")
        XCTAssertEqual(preflight.header("Access-Control-Allow-Headers"), "content-type, x-fields, authorization")
        XCTAssertEqual(preflight.header("Access-Control-Allow-Methods"), "POST, OPTIONS")

        let refusedByPlugin = try client.send("POST", "/model/predict", headers: [("Content-Type", "text/plain"), ("Origin", "http://a.test")],
                                              body: [1])
        XCTAssertEqual(refusedByPlugin.status, 415)
        XCTAssertEqual(refusedByPlugin.header("Access-Control-Allow-Origin"), "http://a.test")
    }

    /// Errors the HTTP layer answers itself (here 413, before any handler runs) carry CORS too.
    func testServerErrorsCarryCORSWhenEnabled() throws {
        let (_, client) = try start(cors: true, maxUploadBytes: 100)
        let response = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png"), ("Origin", "http://a.test")],
                                       body: [UInt8](repeating: 1, count: 1000))
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.header("Access-Control-Allow-Origin"), "*")
        XCTAssertEqual(try JSONValue.parse(response.body)["status"], .string("error"))
    }

    /// One model instance shared by concurrent requests gives every client its own right answer.
    func testConcurrentRequestsShareOneModel() throws {
        let (_, client) = try start(plugin: "byte-stats")
        let failures = LogCapture()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<10 {
                let bytes = [UInt8](repeating: UInt8(worker + 1), count: round + 1)
                do {
                    let response = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")], body: bytes)
                    let sum = try JSONValue.parse(response.body)["predictions"]?.arrayValue?.first?["sum"]
                    if sum != .int((worker + 1) * (round + 1)) { failures.logger().error("worker \(worker) round \(round): \(response.text)") }
                } catch {
                    failures.logger().error("worker \(worker) round \(round): \(error)")
                }
            }
        }
        XCTAssertEqual(failures.lines, [])
    }

    func testStartFailsOnABadAssetAndShutdownStopsServing() throws {
        let folder = try TemporaryFolder()
        try folder.write("md5sums.txt", "\(MD5.hex(of: [1, 2, 3]))  assets/model.bin\n")
        try folder.write("assets/model.bin", [9, 9, 9])
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.modelPlugin = "byte-stats"
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.assets = [AssetSpec(path: "assets/model.bin")]
        XCTAssertThrowsError(try MAXService.start(configuration, plugins: plugins, logger: log.logger())) { error in
            XCTAssertTrue("\(error)".contains("MD5 mismatch"), "\(error)")
        }

        let (service, client) = try start()
        XCTAssertEqual(try client.send("GET", "/model/metadata").status, 200)
        service.shutdown()
        XCTAssertThrowsError(try client.send("GET", "/model/metadata"), "nothing listens after shutdown")
    }

    /// Every status a plugin raises reaches the client over the wire, with its headers.
    func testPluginStatusesOverTheWire() throws {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "mean"
        let service = try MAXService.start(configuration, plugins: [ModelPlugin(name: "mean") { _ in MeanModel() }], logger: log.logger())
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        for code in [400, 404, 413, 415, 422, 503] {
            let response = try client.send("POST", "/model/predict", headers: [("Content-Type", "application/json")],
                                           body: Array(#"{"numbers": [1], "status": \#(code)}"#.utf8))
            XCTAssertEqual(response.status, code)
            XCTAssertEqual(try errorMessage(response), "raised \(code) on request")
            XCTAssertEqual(response.header("Retry-After"), code == 503 ? "3" : nil)
        }
        let invalid = try client.send("POST", "/model/predict", headers: [("Content-Type", "application/json")],
                                      body: Array(#"{"numbers": "1"}"#.utf8))
        XCTAssertEqual(invalid.status, 422)
        XCTAssertEqual(try errorMessage(invalid), "body.numbers: expected an array, got a string")
    }

    /// Repeated file fields over the wire: one batch, one entry per file, in order.
    func testSeveralFilesOverTheWire() throws {
        let (_, client) = try start()
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "one.bin", contentType: "application/octet-stream", [1, 1])
        form.addFile(field: "image", fileName: "two.bin", contentType: "application/octet-stream", [2])
        form.addFile(field: "file", fileName: "bad.bin", contentType: "application/octet-stream", Array("BAD".utf8))
        let response = try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished())
        XCTAssertEqual(response.status, 200, response.text)
        let results = try JSONValue.parse(response.body)["results"]?.arrayValue ?? []
        XCTAssertEqual(results.map { $0["file"]?.stringValue ?? "" }, ["one.bin", "two.bin", "bad.bin"])
        XCTAssertEqual(results.map { $0["status"]?.stringValue ?? "" }, ["ok", "ok", "error"])
        XCTAssertEqual(results[0]["predictions"]?.arrayValue?.first?["sum"], .int(2))
        XCTAssertEqual(results[2]["message"], .string("the upload starts with BAD"))
    }
}
