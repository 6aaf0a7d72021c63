import Foundation
import KServe
import MAXFramework
import TestSupport
import XCTest

/// The v2 routes on the real service over real sockets: metadata, readiness, JSON and binary
/// tensors, BYTES, classification, the pipeline fallback and every error path.
final class KServeTests: XCTestCase {
    let log = LogCapture()

    func start(plugin: String = "pair") throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = plugin
        let service = try MAXService.start(configuration, plugins: [PairModel.plugin, CountModel.plugin],
                                           providers: [KServe.provider], logger: log.logger(.info))
        addTeardownBlock { service.shutdown() }
        return (service, HTTPTestClient(port: service.port))
    }

    func json(_ response: HTTPTestClient.Response) throws -> JSONValue { try JSONValue.parse(response.body) }

    func infer(_ client: HTTPTestClient, _ body: String, model: String = "pair") throws -> HTTPTestClient.Response {
        try client.send("POST", "/v2/models/\(model)/infer", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    func testServerAndModelMetadataAndReadiness() throws {
        let (_, client) = try start()
        XCTAssertEqual(try json(client.send("GET", "/v2"))["name"], .string("max-swift"))
        XCTAssertEqual(try json(client.send("GET", "/v2/health/live")), .object([("live", .bool(true))]))
        XCTAssertEqual(try client.send("GET", "/v2/health/ready").status, 200)
        XCTAssertEqual(try client.send("GET", "/v2/models/pair/ready").status, 200)
        XCTAssertEqual(try client.send("GET", "/v2/models/pair/versions/1/ready").status, 200)
        let wrongVersion = try client.send("GET", "/v2/models/pair/versions/2/ready")
        XCTAssertEqual(wrongVersion.status, 404)
        XCTAssertEqual(try json(wrongVersion)["error"], .string("model 'pair' has no version '2'; version 1 is served"))
        let metadata = try client.send("GET", "/v2/models/pair")
        XCTAssertEqual(metadata.text, #"{"name": "pair", "versions": ["1"], "platform": "max-swift/pair", "inputs": [{"name": "pair", "datatype": "FP32", "shape": [-1, 2]}, {"name": "file", "datatype": "BYTES", "shape": [-1, 1]}], "outputs": [{"name": "sum_product", "datatype": "FP32", "shape": [-1, 2]}]}"#)
        XCTAssertEqual(try client.send("GET", "/v2/models/pair/versions/1").text, metadata.text)
        let unknown = try client.send("GET", "/v2/models/nope")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(try json(unknown)["error"], .string("unknown model 'nope'; served: 'pair'"))
    }

    func testJSONTensorsFlatOrNestedAnyNumericType() throws {
        let (_, client) = try start()
        let answer = try infer(client, #"{"id": "a1", "inputs": [{"name": "pair", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2], [3, 4]]}]}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.text, #"{"model_name": "pair", "model_version": "1", "id": "a1", "outputs": [{"name": "sum_product", "datatype": "FP32", "shape": [2, 2], "data": [3.0, 2.0, 7.0, 12.0]}]}"#)
        let flat = try infer(client, #"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP64", "data": [0.5, 4]}]}"#)
        XCTAssertEqual(try json(flat)["outputs"]?.arrayValue?.first?["data"], .array([.number(4.5), .number(2)]))
        // Without an id the HTTP request id is answered.
        XCTAssertEqual(try json(flat)["id"]?.stringValue, flat.header("X-Request-ID"))
    }

    /// Triton's binary extension by hand: the JSON header, then little-endian FP32 input data;
    /// the answer's outputs in binary after its own header.
    func testBinaryTensorsInAndOut() throws {
        let (_, client) = try start()
        let header = #"{"inputs": [{"name": "pair", "shape": [2, 2], "datatype": "FP32", "parameters": {"binary_data_size": 16}}], "outputs": [{"name": "sum_product", "parameters": {"binary_data": true}}]}"#
        var body = Array(header.utf8)
        for value: Float in [1, 2, 3, 4] { withUnsafeBytes(of: value.bitPattern.littleEndian) { body += $0 } }
        let answer = try client.send("POST", "/v2/models/pair/infer",
                                     headers: [("Inference-Header-Content-Length", String(header.utf8.count))], body: body)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.header("Content-Type"), "application/octet-stream")
        let headerLength = try XCTUnwrap(answer.header("Inference-Header-Content-Length").flatMap(Int.init))
        let answerHeader = try JSONValue.parse(Array(answer.body[0..<headerLength]))
        XCTAssertEqual(answerHeader["outputs"]?.arrayValue?.first?["parameters"]?["binary_data_size"], .int(16))
        XCTAssertNil(answerHeader["outputs"]?.arrayValue?.first?["data"])
        let floats = stride(from: headerLength, to: answer.body.count, by: 4).map { offset in
            Float(bitPattern: UInt32(answer.body[offset]) | UInt32(answer.body[offset + 1]) << 8
                  | UInt32(answer.body[offset + 2]) << 16 | UInt32(answer.body[offset + 3]) << 24)
        }
        XCTAssertEqual(floats, [3, 2, 7, 12])
    }

    func testBytesInputGoesThroughThePluginsPreprocessing() throws {
        let (_, client) = try start()
        let files: [[UInt8]] = [[9, 1, 1], Array("hello".utf8)]
        var blob: [UInt8] = []
        for file in files { blob += [UInt8(file.count), 0, 0, 0] + file }
        let header = #"{"inputs": [{"name": "file", "shape": [2, 1], "datatype": "BYTES", "parameters": {"binary_data_size": \#(blob.count)}}], "outputs": [{"name": "sum_product", "parameters": {"binary_data": false}}]}"#
        let answer = try client.send("POST", "/v2/models/pair/infer",
                                     headers: [("Inference-Header-Content-Length", String(header.utf8.count))],
                                     body: Array(header.utf8) + blob)
        XCTAssertEqual(answer.status, 200, answer.text)
        // [3, 9] -> [12, 27]; [5, 104] -> [109, 520]
        XCTAssertEqual(try json(answer)["outputs"]?.arrayValue?.first?["data"],
                       .array([.number(12), .number(27), .number(109), .number(520)]))
        // In JSON, BYTES are base64.
        let base64 = try infer(client, #"{"inputs": [{"name": "file", "shape": [1], "datatype": "BYTES", "data": ["\#(Data([7, 7]).base64EncodedString())"]}]}"#)
        XCTAssertEqual(try json(base64)["outputs"]?.arrayValue?.first?["data"], .array([.number(9), .number(14)]))
        let refused = try infer(client, #"{"inputs": [{"name": "file", "shape": [1], "datatype": "BYTES", "data": ["\#(Data("BADx".utf8).base64EncodedString())"]}]}"#)
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(try json(refused)["error"], .string("input 'file' item 0: the bytes start with BAD"))
    }

    func testClassificationAnswersTopClassesAsText() throws {
        let (_, client) = try start()
        let answer = try infer(client, #"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "data": [3, 5]}], "outputs": [{"name": "sum_product", "parameters": {"classification": 2, "binary_data": false}}]}"#)
        XCTAssertEqual(try json(answer)["outputs"]?.arrayValue?.first?["data"], .array([.string("15.0:1:product"), .string("8.0:0:sum")]))
        XCTAssertEqual(try json(answer)["outputs"]?.arrayValue?.first?["shape"], .array([.int(1), .int(2)]))
    }

    func testLargeBatchesRunInChunks() throws {
        let (_, client) = try start()
        let count = 200
        let data = (0..<(2 * count)).map { String($0 % 7) }.joined(separator: ", ")
        let answer = try infer(client, #"{"inputs": [{"name": "pair", "shape": [\#(count), 2], "datatype": "UINT8", "data": [\#(data)]}]}"#)
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(try json(answer)["outputs"]?.arrayValue?.first?["shape"], .array([.int(count), .int(2)]))
        XCTAssertEqual(PairModel.shared.largestBatch, 64)
        let metrics = try client.send("GET", "/metrics").text
        XCTAssertTrue(metrics.contains(#"maxswift_model_stage_duration_seconds_count{model="pair",stage="inference"} 4"#), metrics)
        XCTAssertTrue(metrics.contains(#"maxswift_model_inputs_total{model="pair",outcome="ok"} 200"#))
        XCTAssertTrue(metrics.contains(#"maxswift_http_requests_total{route="/v2/models/{name}/infer",method="POST",status="200"} 1"#))
    }

    func testAModelWithoutTensorsIsServedThroughItsPipeline() throws {
        let (_, client) = try start(plugin: "count")
        XCTAssertEqual(try client.send("GET", "/v2/models/count").text,
                       #"{"name": "count", "versions": ["1"], "platform": "max-swift/count", "inputs": [{"name": "input", "datatype": "BYTES", "shape": [-1, 1]}], "outputs": [{"name": "predictions", "datatype": "BYTES", "shape": [-1, 1]}]}"#)
        let documents = [#"{"items": [1, 2, 3]}"#, #"{"items": []}"#].map { Data($0.utf8).base64EncodedString() }
        let answer = try infer(client, #"{"inputs": [{"name": "input", "shape": [2, 1], "datatype": "BYTES", "data": ["\#(documents[0])", "\#(documents[1])"]}]}"#, model: "count")
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(try json(answer)["outputs"]?.arrayValue?.first?["data"],
                       .array([.string(#"[{"count": 3}]"#), .string(#"[{"count": 0}]"#)]))
        let bad = try infer(client, #"{"inputs": [{"name": "input", "shape": [1], "datatype": "BYTES", "data": ["\#(Data(#"{"items": 5}"#.utf8).base64EncodedString())"]}]}"#, model: "count")
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(try json(bad)["error"]?.stringValue?.hasPrefix("input 'input' item 0: body.items") ?? false, bad.text)
    }

    func testMalformedRequestsAreErrorBodiesNamingTheProblem() throws {
        let (_, client) = try start()
        let cases: [(String, String)] = [
            ("not json", "the inference request is not valid JSON"),
            ("[]", "the inference request must be a JSON object"),
            (#"{"inputs": []}"#, "needs a non-empty 'inputs' array"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32"}]}"#, "has neither 'data' nor parameters.binary_data_size"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "data": [1]}]}"#, "its shape holds 2 element(s) but 'data' has 1"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "data": [1, "x"]}]}"#, "element 1: expected a number, got a string"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "UINT8", "data": [1, 256]}]}"#, "element 1: 256.0 is not a UINT8 value"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "INT8", "data": [1.5, 2]}]}"#, "element 0: 1.5 is not a INT8 value"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "BOOL", "data": [true, false]}]}"#, "BOOL tensors are not taken"),
            (#"{"inputs": [{"name": "pair", "shape": [1, -2], "datatype": "FP32", "data": []}]}"#, "must hold whole numbers >= 0"),
            (#"{"inputs": [{"name": "pair", "shape": [100000, 100000], "datatype": "FP32", "data": []}]}"#, "at most 67108864 are taken"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#, "has shape [1, 3]; the model takes [-1, 2]"),
            (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#, "unknown input 'x'; this model takes 'pair' or 'file'"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}, {"name": "file", "shape": [1], "datatype": "BYTES", "data": ["AA=="]}]}"#, "takes one input"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}], "outputs": [{"name": "nope"}]}"#, "unknown output 'nope'"),
            (#"{"inputs": [{"name": "file", "shape": [1], "datatype": "BYTES", "data": ["%%%"]}]}"#, "must be base64"),
            (#"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}"#, "has no Inference-Header-Content-Length header"),
        ]
        for (body, message) in cases {
            let answer = try infer(client, body)
            XCTAssertEqual(answer.status, 400, body)
            let error = try json(answer)["error"]?.stringValue ?? ""
            XCTAssertTrue(error.contains(message), "\(body): \(error)")
        }
        // Binary framing errors.
        let binaryHeader = #"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}"#
        for (length, message) in [("99999", "is not a length within"), ("x", "is not a length"),
                                  (String(binaryHeader.utf8.count), "exceeds the 0 byte(s) of binary data left")] {
            let answer = try client.send("POST", "/v2/models/pair/infer", headers: [("Inference-Header-Content-Length", length)],
                                         body: Array(binaryHeader.utf8))
            XCTAssertEqual(answer.status, 400)
            XCTAssertTrue((try json(answer)["error"]?.stringValue ?? "").contains(message), answer.text)
        }
        let header = #"{"inputs": [{"name": "pair", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}"#
        let compressed = try client.send("POST", "/v2/models/pair/infer", headers: [("Content-Encoding", "gzip")], body: [0x1f, 0x8b])
        XCTAssertEqual(compressed.status, 415)
        XCTAssertEqual(try json(compressed)["error"], .string("Content-Encoding 'gzip' is not supported; send the request uncompressed"))
        let leftover = try client.send("POST", "/v2/models/pair/infer", headers: [("Inference-Header-Content-Length", String(header.utf8.count))],
                                       body: Array(header.utf8) + [UInt8](repeating: 0, count: 12))
        XCTAssertEqual(try json(leftover)["error"], .string("4 byte(s) of binary data follow the inputs' binary_data_size"))
    }

    func testReadinessFollowsTheDrain() throws {
        let (service, client) = try start()
        service.health.beginDraining()
        let ready = try client.send("GET", "/v2/health/ready")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(try json(ready)["error"], .string("the server is draining"))
        XCTAssertEqual(try client.send("GET", "/v2/models/pair/ready").status, 503)
        XCTAssertEqual(try client.send("GET", "/v2/health/live").status, 200)
    }
}
