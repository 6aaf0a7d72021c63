import Foundation
import Logging
import MAXFramework
import TestSupport
import XCTest

/// /metrics, /health/live and /health/ready on the real service over real sockets.
final class OperationsTests: XCTestCase {
    let log = LogCapture()

    func start(drainDelay: Double = 0) throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "byte-stats"
        configuration.drainDelay = drainDelay
        let service = try MAXService.start(configuration, plugins: [ByteStatsModel.plugin], logger: log.logger(.info))
        addTeardownBlock { service.shutdown() }
        return (service, HTTPTestClient(port: service.port))
    }

    func upload(_ client: HTTPTestClient, _ bytes: [UInt8], target: String = "/model/predict") throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "x.bin", contentType: "application/octet-stream", bytes)
        return try client.send("POST", target, headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    /// The value of the sample `line` names exactly (`name{labels}`), or nil.
    func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func testMetricsCountRequestsByRouteTemplateStagesAndOutcomes() throws {
        let (_, client) = try start()
        XCTAssertEqual(try upload(client, Array("hello".utf8)).status, 200)
        XCTAssertEqual(try upload(client, Array("BAD input".utf8)).status, 400)
        XCTAssertEqual(try upload(client, Array("CRASH".utf8)).status, 500)
        XCTAssertEqual(try upload(client, Array("hi".utf8), target: "/models/byte-stats/predict").status, 200)
        XCTAssertEqual(try client.send("GET", "/models/nobody/metadata").status, 404)
        XCTAssertEqual(try client.send("GET", "/no/such/thing").status, 404)
        XCTAssertEqual(try client.send("BREW", "/model/metadata").status, 405)
        _ = try client.exchange(Array("NOT HTTP AT ALL\r\n\r\n".utf8))

        let scrape = try client.send("GET", "/metrics")
        XCTAssertEqual(scrape.status, 200)
        XCTAssertEqual(scrape.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        let text = scrape.text
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/model/predict",method="POST",status="200"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/model/predict",method="POST",status="400"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/model/predict",method="POST",status="500"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/models/byte-stats/predict",method="POST",status="200"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/models/{id}/metadata",method="GET",status="404"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="(unmatched)",method="GET",status="404"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="/model/metadata",method="other",status="405"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_requests_total{route="(refused)",method="-",status="400"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_http_request_duration_seconds_count{route="/model/predict",method="POST"}"#), 3)
        // The scrape being answered is in flight while the text is made.
        XCTAssertEqual(sample(text, "maxswift_http_requests_in_flight"), 1)
        // Pre-processing ran for all four uploads, inference and post-processing for the three that got past it.
        XCTAssertEqual(sample(text, #"maxswift_model_stage_duration_seconds_count{model="byte-stats",stage="preprocess"}"#), 4)
        XCTAssertEqual(sample(text, #"maxswift_model_stage_duration_seconds_count{model="byte-stats",stage="inference"}"#), 3)
        XCTAssertEqual(sample(text, #"maxswift_model_stage_duration_seconds_count{model="byte-stats",stage="postprocess"}"#), 2)
        XCTAssertEqual(sample(text, #"maxswift_model_batch_size_bucket{model="byte-stats",le="1"}"#), 3)
        XCTAssertEqual(sample(text, #"maxswift_model_inputs_total{model="byte-stats",outcome="ok"}"#), 2)
        XCTAssertEqual(sample(text, #"maxswift_model_inputs_total{model="byte-stats",outcome="client_error"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_model_inputs_total{model="byte-stats",outcome="error"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_model_loaded{model="byte-stats",plugin="byte-stats",version="1"}"#), 1)
        XCTAssertEqual(sample(text, "maxswift_ready"), 1)
        XCTAssertGreaterThan(sample(text, "process_resident_memory_bytes") ?? 0, 1_000_000)
        XCTAssertGreaterThan(sample(text, "process_open_fds") ?? 0, 3)
        XCTAssertNotNil(sample(text, "process_cpu_seconds_total"))
        XCTAssertNotNil(sample(text, "process_start_time_seconds"))
    }

    func testSeveralFilesAreOneBatch() throws {
        let (_, client) = try start()
        var form = MultipartBody()
        for index in 0..<3 { form.addFile(field: "file", fileName: "\(index).bin", contentType: "application/octet-stream", [1, 2]) }
        XCTAssertEqual(try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: form.finished()).status, 200)
        let text = try client.send("GET", "/metrics").text
        XCTAssertEqual(sample(text, #"maxswift_model_batch_size_bucket{model="byte-stats",le="2"}"#), 0)
        XCTAssertEqual(sample(text, #"maxswift_model_batch_size_bucket{model="byte-stats",le="4"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_model_batch_size_sum{model="byte-stats"}"#), 3)
    }

    func testAReplacedModelIsExportedUnderItsNewVersion() throws {
        let (service, client) = try start()
        _ = service
        let served = try XCTUnwrap(service.registry.model(id: "byte-stats"))
        served.replace(with: served.model)
        XCTAssertEqual(served.version, 2)
        XCTAssertEqual(try upload(client, [7]).status, 200)
        let text = try client.send("GET", "/metrics").text
        XCTAssertNil(sample(text, #"maxswift_model_loaded{model="byte-stats",plugin="byte-stats",version="1"}"#))
        XCTAssertEqual(sample(text, #"maxswift_model_loaded{model="byte-stats",plugin="byte-stats",version="2"}"#), 1)
        XCTAssertEqual(sample(text, #"maxswift_model_inputs_total{model="byte-stats",outcome="ok"}"#), 1, "still observed")
    }

    func testHealthRoutesAndTheirDocuments() throws {
        let (_, client) = try start()
        let live = try client.send("GET", "/health/live")
        XCTAssertEqual(live.status, 200)
        XCTAssertEqual(try JSONValue.parse(live.body), .object([("live", .bool(true))]))
        let ready = try client.send("GET", "/health/ready")
        XCTAssertEqual(ready.status, 200)
        XCTAssertEqual(try JSONValue.parse(ready.body), .object([("ready", .bool(true))]))
        XCTAssertEqual(try client.send("HEAD", "/health/ready").status, 200)
        let swagger = try JSONValue.parse(try client.send("GET", "/swagger.json").body)
        for path in ["/metrics", "/health/live", "/health/ready"] {
            XCTAssertNotNil(swagger["paths"]?[path]?["get"], path)
        }
    }

    /// What SIGTERM does: readiness is 503 at once while every other route still answers; the
    /// listener closes only after the drain delay.
    func testDrainTurnsReadinessOffBeforeTheListenerCloses() throws {
        let (service, client) = try start()
        let drained = expectation(description: "drained")
        let started = Date()
        DispatchQueue.global().async {
            service.drain(delay: 1.0)
            drained.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let ready = try client.send("GET", "/health/ready")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(ready.header("Retry-After"), "1")
        XCTAssertEqual(try JSONValue.parse(ready.body)["state"], .string("draining"))
        XCTAssertEqual(try client.send("GET", "/health/live").status, 200)
        XCTAssertEqual(try upload(client, [1, 2, 3]).status, 200, "still serving during the delay")
        XCTAssertEqual(sample(try client.send("GET", "/metrics").text, "maxswift_ready"), 0)
        wait(for: [drained], timeout: 10)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.9)
        XCTAssertThrowsError(try client.send("GET", "/health/live"), "the listener is closed after the drain")
    }

    func testTheExpositionPassesPromtool() throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("promtool is not installed (apt-get install prometheus); scripts/check-operations.sh runs it in CI") }
        let (_, client) = try start()
        _ = try upload(client, [1])
        _ = try upload(client, Array("BAD".utf8))
        let text = try client.send("GET", "/metrics").text
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, said)
        XCTAssertEqual(said.trimmingCharacters(in: .whitespacesAndNewlines), "")
    }
}
