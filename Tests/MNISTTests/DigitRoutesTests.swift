import Foundation
import ImageCodecs
import Logging
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// Digits-Recognition's routes with exactly its shapes and errors, and our /model/annotate.
final class DigitRoutesTests: XCTestCase {
    let log = LogCapture()

    func sheet() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: MNISTFixtures.root.appendingPathComponent("samples/sheet_ten_digits.png")))
    }

    func post(_ client: HTTPTestClient, _ path: String, field: String = "file", type: String? = "image/png",
              _ bytes: [UInt8]) throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: field, fileName: "sheet.png", contentType: type, bytes)
        return try client.send("POST", path, headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func testPredictionsAndProbabilitiesHaveDigitsRecognitionsShapes() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        let bytes = try sheet()
        let reference = try MNISTModel(path: MNISTFixtures.root.appendingPathComponent(MNISTModel.defaultAsset).path)
            .read(try ImageDecoder.decode(bytes), query: { _ in nil }).accepted

        let predictions = try post(client, "/predictions", bytes)
        XCTAssertEqual(predictions.status, 200, predictions.text)
        let body = try JSONValue.parse(predictions.body)
        XCTAssertEqual(body.objectMembers?.map(\.key), ["predictions"])
        let pairs = try XCTUnwrap(body["predictions"]?.arrayValue)
        XCTAssertEqual(pairs.count, reference.count)
        XCTAssertGreaterThanOrEqual(pairs.count, 10)
        for (pair, digit) in zip(pairs, reference) {
            // [[x, y], label]: the top-left corner, then the digit.
            XCTAssertEqual(pair, .array([.array([.int(digit.box?.x ?? -1), .int(digit.box?.y ?? -1)]), .int(digit.prediction)]))
        }

        let probabilities = try JSONValue.parse(try post(client, "/probabilities", bytes).body)
        XCTAssertEqual(probabilities.objectMembers?.map(\.key), ["probabilities"])
        let rows = try XCTUnwrap(probabilities["probabilities"]?.arrayValue)
        XCTAssertEqual(rows.count, pairs.count)
        for (row, pair) in zip(rows, pairs) {
            XCTAssertEqual(row.arrayValue?.first, pair.arrayValue?.first)
            let values = try XCTUnwrap(row.arrayValue?.last?.arrayValue?.compactMap(\.doubleValue))
            XCTAssertEqual(values.count, 10)
            XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-3)
            XCTAssertEqual(values.indices.max { values[$0] < values[$1] }, pair.arrayValue?.last?.intValue)
        }
    }

    func testItsErrorsAreItsOwn() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        let bytes = try sheet()
        for path in ["/predictions", "/probabilities", "/annotations"] {
            for type in ["image/gif", "text/plain", nil] as [String?] {
                let response = try post(client, path, type: type, bytes)
                XCTAssertEqual(response.status, 400, "\(path) \(type ?? "none")")
                XCTAssertEqual(try JSONValue.parse(response.body), .object([("detail", .string("Invalid file type"))]))
            }
            let missing = try post(client, path, field: "image", bytes)
            XCTAssertEqual(missing.status, 422, missing.text)
            XCTAssertEqual(try JSONValue.parse(missing.body)["detail"]?.arrayValue?.first?["loc"],
                           .array([.string("body"), .string("file")]))
            let garbage = try post(client, path, Array("not a picture".utf8))
            XCTAssertEqual(garbage.status, 400, garbage.text)
            XCTAssertNotNil(try JSONValue.parse(garbage.body)["detail"]?.stringValue)
        }
    }

    /// Both PNG answers decode to the input's size with red drawn on it; our annotate boxes the digits.
    func testAnnotatedPicturesArePNGsWithTheDigitsMarked() throws {
        let service = try MNISTFixtures.startService(logger: log.logger(.warning))
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        let bytes = try sheet()
        let input = try ImageDecoder.decode(bytes)
        func redPixels(_ image: Image) -> Int {
            stride(from: 0, to: image.samples.count, by: image.channels).filter { image.samples[$0] > 200 && image.samples[$0 + 1] < 60 }.count
        }
        for path in ["/annotations", "/model/annotate"] {
            let response = try post(client, path, bytes)
            XCTAssertEqual(response.status, 200, path)
            XCTAssertEqual(response.headers.first { $0.0.lowercased() == "content-type" }?.1, "image/png")
            let picture = try ImageDecoder.decode(response.body)
            XCTAssertEqual(picture.width, input.width)
            XCTAssertEqual(picture.height, input.height)
            XCTAssertGreaterThan(redPixels(picture), 10 * 20, path)
        }
        // The box of the first digit is outlined one pixel outside it.
        let annotated = try ImageDecoder.decode(try post(client, "/model/annotate", bytes).body)
        let first = try XCTUnwrap(try MNISTModel(path: MNISTFixtures.root.appendingPathComponent(MNISTModel.defaultAsset).path)
            .read(input, query: { _ in nil }).accepted.first?.box)
        let at = ((first.y + first.height) * annotated.width + first.x + first.width / 2) * annotated.channels
        XCTAssertEqual(Array(annotated.samples[at..<(at + 3)]), [230, 30, 30])
        let refused = try post(client, "/model/annotate?threshold=7", bytes)
        XCTAssertEqual(refused.status, 400, refused.text)
    }
}
