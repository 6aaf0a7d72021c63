import Foundation
import ImageStats
import Logging
import MAXFramework
import TestSupport
import XCTest

/// The image-statistics plugin served for real (assets, HTTPServer) on a loopback port: real
/// images in every accepted form, and the errors an image plugin raises.
final class ImageStatsServiceTests: XCTestCase {
    let log = LogCapture()

    func start() throws -> HTTPTestClient {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "image-stats"
        let service = try MAXService.start(configuration, plugins: [ImageStatsModel.plugin], logger: log.logger(.info))
        addTeardownBlock { service.shutdown() }
        return HTTPTestClient(port: service.port)
    }

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(name, target: "ImageStatsTests")))
    }

    func upload(_ client: HTTPTestClient, field: String = "file", name: String, contentType: String = "application/octet-stream",
                _ bytes: [UInt8]) throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: field, fileName: name, contentType: contentType, bytes)
        return try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func testPredictOnRealImagesInEveryField() throws {
        let client = try start()
        let expected = try JSONValue.parse(try fixture("expected.json"))
        for field in ["file", "image"] {
            let response = try upload(client, field: field, name: "gray.png", contentType: "image/png", try fixture("gray.png"))
            XCTAssertEqual(response.status, 200, response.text)
            let body = try JSONValue.parse(response.body)
            XCTAssertEqual(body.objectMembers?.map(\.key), ["status", "predictions"])
            let statistics = body["predictions"]?.arrayValue?.first
            XCTAssertEqual(statistics?.objectMembers?.map(\.key), ["width", "height", "channels", "mean_intensity"])
            XCTAssertEqual(statistics?["width"], expected["gray.png"]?["width"])
            XCTAssertEqual(statistics?["mean_intensity"]?.doubleValue ?? -1,
                           expected["gray.png"]?["mean_intensity"]?.doubleValue ?? 0, accuracy: 0.0001)
        }
        let raw = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/bmp")], body: try fixture("rgb.bmp"))
        XCTAssertEqual(raw.status, 200, raw.text)
        XCTAssertEqual(try JSONValue.parse(raw.body)["predictions"]?.arrayValue?.first?["channels"], .int(3))
    }

    func testUnreadableImagesAre400AndOtherTypes415() throws {
        let client = try start()
        let text = try upload(client, name: "notes.txt", try fixture("not-an-image.txt"))
        XCTAssertEqual(text.status, 400)
        XCTAssertTrue(text.text.contains("not a readable image"), text.text)

        let corrupt = try upload(client, name: "truncated.png", contentType: "image/png", try fixture("truncated.png"))
        XCTAssertEqual(corrupt.status, 400, corrupt.text)

        let declaredText = try upload(client, name: "notes.txt", contentType: "text/plain", try fixture("not-an-image.txt"))
        XCTAssertEqual(declaredText.status, 415, declaredText.text)
        XCTAssertTrue(declaredText.text.contains("text/plain"), declaredText.text)

        let rawText = try client.send("POST", "/model/predict", headers: [("Content-Type", "text/plain")], body: Array("hello".utf8))
        XCTAssertEqual(rawText.status, 415)
        XCTAssertEqual(try JSONValue.parse(rawText.body)["message"]?.stringValue, "Content-Type 'text/plain' is not accepted: send multipart/form-data with an image (PNG, JPEG, BMP, GIF, TIFF or PNM) in the field 'file' (or 'image'), or the file as the raw body")
    }
}
