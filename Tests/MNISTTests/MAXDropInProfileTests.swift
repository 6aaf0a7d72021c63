import Foundation
import HTTPServer
import Logging
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// profiles/max-mnist reproduces the upstream MAX-MNIST service. These machines have no internet,
/// so a loopback server stands in for the model's original URL, serving a stand-in model (the
/// project's own, with its digest written into a copied md5sums.txt); everything else is the
/// profile as shipped. The checks are those upstream's own test suite makes.
final class MAXDropInProfileTests: XCTestCase {
    let log = LogCapture()
    let upstreamURL = "https://github.com/SSaishruthi/max_mnist/raw/master/samples/model_structure.h5"
    let upstreamMD5 = "097e9629cb300eb40ac29743cc668f37"

    func profile(_ name: String) -> URL { TestPaths.packageRoot.appendingPathComponent("profiles/max-mnist/\(name)") }

    func testTheProfileNamesTheUpstreamModelAndIdentity() throws {
        let config = try JSONValue.parse([UInt8](try Data(contentsOf: profile("config.json"))))
        XCTAssertEqual(config["assets"]?["files"]?.arrayValue?.first?["url"], .string(upstreamURL))
        XCTAssertEqual(config["api"]?["title"], .string("MAX MNIST-Digit Recognition"))
        XCTAssertEqual(config["api"]?["version"], .string("0.1"))
        let sums = try String(contentsOf: profile("md5sums.txt"), encoding: .utf8)
        XCTAssertEqual(sums, "\(upstreamMD5)  assets/model_structure.h5\n")
    }

    func testServedFromALoopbackStandInItAnswersAsUpstreamDoes() throws {
        let standIn = [UInt8](try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("assets/mnist_cnn.h5")))
        let fileServer = try Self.serve(standIn)
        defer { fileServer.shutdown() }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("max-mnist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let shipped = try String(contentsOf: profile("config.json"), encoding: .utf8)
        XCTAssertTrue(shipped.contains(upstreamURL))
        try Data(shipped.replacingOccurrences(of: upstreamURL, with: "http://127.0.0.1:\(fileServer.localPort)/model_structure.h5").utf8)
            .write(to: folder.appendingPathComponent("config.json"))
        try Data("\(MD5.hex(of: standIn))  assets/model_structure.h5\n".utf8).write(to: folder.appendingPathComponent("md5sums.txt"))

        let loaded = try MAXConfiguration.load(file: folder.appendingPathComponent("config.json"), overrides: ["server.port": "0"])
        XCTAssertEqual(loaded.warnings, [])
        let service = try MAXService.start(loaded.configuration, plugins: [MNISTModel.plugin], logger: log.logger())
        defer { service.shutdown() }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("assets/model_structure.h5").path),
                      "the model was downloaded beside the profile")
        let client = HTTPTestClient(port: service.port)

        // upstream test_swagger
        let swagger = try client.send("GET", "/swagger.json")
        XCTAssertEqual(swagger.status, 200)
        XCTAssertEqual(swagger.header("Content-Type"), "application/json")
        let document = try JSONValue.parse(swagger.body)
        XCTAssertNotNil(document["swagger"])
        XCTAssertEqual(document["info"]?["title"], .string("MAX MNIST-Digit Recognition"))

        // upstream test_metadata
        let metadata = try client.send("GET", "/model/metadata")
        XCTAssertEqual(metadata.status, 200)
        let fields = try JSONValue.parse(metadata.body)
        XCTAssertEqual(fields["id"], .string("Image Classification"))
        XCTAssertEqual(fields["name"], .string("MAX-MNIST"))
        XCTAssertEqual(fields["description"], .string("Classify digits"))
        XCTAssertEqual(fields["license"], .string("Apache 2.0"))

        // upstream test_response: a JPEG of an 8 in the field `file`, sent as image/jpeg
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "samples/image0.jpeg", contentType: "image/jpeg",
                     [UInt8](try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("samples/8_mnist_2.jpg"))))
        let response = try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished())
        XCTAssertEqual(response.status, 200, response.text)
        let answer = try JSONValue.parse(response.body)
        XCTAssertEqual(answer["status"], .string("ok"))
        XCTAssertEqual(answer["predictions"]?.arrayValue?.first?["prediction"], .int(8))
    }

    /// A loopback HTTP server answering every GET with `bytes`.
    static func serve(_ bytes: [UInt8]) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, logger: Logger(label: "files", level: .error)) { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: bytes)
        }
        try server.start()
        return server
    }
}
