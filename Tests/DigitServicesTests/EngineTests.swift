import DigitServices
import Foundation
import MAXFramework
import TestSupport
import XCTest

/// The orchestration engine's contract against a fake engine on loopback that records what it
/// receives: announcements, and the results of /compute posted to its callback.
final class EngineTests: XCTestCase {
    let log = LogCapture()

    func start(engine: FakeEngine?, service: String = "http://digits.example:8080", interval: Double = 0.3) throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "toy"
        configuration.engineURL = engine?.url
        configuration.engineServiceURL = engine == nil ? nil : service
        configuration.engineNotifyInterval = interval
        let running = try MAXService.start(configuration, plugins: [ToyDigitModel.plugin],
                                           providers: [DigitServices.engine], logger: log.logger(.info))
        addTeardownBlock { running.shutdown() }
        return (running, HTTPTestClient(port: running.port))
    }

    func compute(_ client: HTTPTestClient, _ bytes: [UInt8], query: String, field: String = "image") throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: field, fileName: "digit.png", contentType: "image/png", bytes)
        return try client.send("POST", "/compute?\(query)", headers: [("Content-Type", form.contentType)], body: form.finished())
    }

    func testTheServiceAnnouncesItselfEveryIntervalWithExactlyTheEnginesBody() throws {
        let engine = try FakeEngine()
        let started = Date()
        _ = try start(engine: engine)
        let announcements = engine.wait(for: 3) { $0.target == "/services" }
        XCTAssertEqual(announcements.count, 3)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5, "one at start-up, then one per interval")
        for announcement in announcements {
            XCTAssertEqual(announcement.method, "POST")
            XCTAssertEqual(announcement.body?.serialized,
                           #"{"url": "http://digits.example:8080/compute", "api": {"route": "digit-recognition", "body": ["image"], "bodyType": ["[image/png, image/jpeg]"], "resultType": ["[application/json]"], "summary": "Recognizes a digit in an image using mnist trained model"}, "type": "service"}"#)
        }
    }

    func testAFailingEngineIsAWarningAndAnnouncingGoesOn() throws {
        let engine = try FakeEngine()
        engine.answer(with: 503)
        let (_, client) = try start(engine: engine)
        XCTAssertEqual(engine.wait(for: 2) { $0.target == "/services" }.count, 2)
        XCTAssertTrue(log.contains("answered 503; retrying in 0.3 s"), "\(log.lines)")
        XCTAssertEqual(try client.send("GET", "/health/live").status, 200, "the service keeps serving")
        engine.answer(with: 200)
        XCTAssertGreaterThanOrEqual(engine.wait(for: 3) { $0.target == "/services" }.count, 3)
    }

    func testAnUnreachableEngineNeverStopsTheService() throws {
        var configuration = MAXConfiguration(baseDirectory: FileManager.default.temporaryDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPlugin = "toy"
        configuration.engineURL = "http://127.0.0.1:1"
        configuration.engineServiceURL = "http://svc"
        configuration.engineNotifyInterval = 0.2
        let running = try MAXService.start(configuration, plugins: [ToyDigitModel.plugin], providers: [DigitServices.engine],
                                           logger: log.logger(.info))
        defer { running.shutdown() }
        let deadline = Date().addingTimeInterval(5)
        while !log.contains("announcing to the engine failed") && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(log.contains("announcing to the engine failed"), "\(log.lines)")
        XCTAssertEqual(try HTTPTestClient(port: running.port).send("GET", "/health/ready").status, 200)
    }

    func testComputeAnswersAtOnceAndPostsTheDigitToTheCallback() throws {
        let engine = try FakeEngine()
        let (_, client) = try start(engine: engine, interval: 60)
        let answer = try compute(client, [47, 1, 2], query: "callback_url=\(engine.url)/results&task_id=abc%201")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.text, #"{"task_id": "abc 1"}"#)
        let callbacks = engine.wait(for: 1) { $0.target.hasPrefix("/results") }
        XCTAssertEqual(callbacks.first?.target, "/results?task_id=abc%201")
        XCTAssertEqual(callbacks.first?.body?.serialized, #"{"digit": 7}"#)

        // Without task_id a counter supplies one; an unusable image is reported to the callback.
        let counted = try compute(client, Array("BAD".utf8), query: "callback_url=\(engine.url)/results?x=1", field: "image")
        let id = try XCTUnwrap(try JSONValue.parse(counted.body)["task_id"]?.stringValue)
        XCTAssertEqual(Int(id), 2)
        let failures = engine.wait(for: 1) { $0.target == "/results?x=1&task_id=2" }
        XCTAssertEqual(failures.first?.body?.serialized, #"{"type": "error", "message": "Failed to process image: not an image"}"#)
    }

    func testComputeRefusesWhatItCannotUse() throws {
        let (running, client) = try start(engine: nil)
        XCTAssertEqual(try compute(client, [1], query: "task_id=1").status, 400)
        XCTAssertTrue(try compute(client, [1], query: "callback_url=ftp://x/y").text.contains("http or https URL"))
        let noImage = try compute(client, [1], query: "callback_url=http://127.0.0.1:9/x", field: "other")
        XCTAssertEqual(noImage.status, 400)
        XCTAssertTrue(noImage.text.contains("no image: send it in the multipart field 'image'"), noImage.text)
        running.health.beginDraining()
        let draining = try compute(client, [1], query: "callback_url=http://127.0.0.1:9/x")
        XCTAssertEqual(draining.status, 503)
        XCTAssertEqual(draining.header("Retry-After"), "5")
    }

    func testAnnouncingStopsWhenTheServiceDrains() throws {
        let engine = try FakeEngine()
        let (running, _) = try start(engine: engine, interval: 0.2)
        XCTAssertEqual(engine.wait(for: 1) { $0.target == "/services" }.count, 1)
        running.health.beginDraining()
        Thread.sleep(forTimeInterval: 0.3)
        let before = engine.wait(for: 0) { $0.target == "/services" }.count
        Thread.sleep(forTimeInterval: 0.6)
        XCTAssertEqual(engine.wait(for: 0) { $0.target == "/services" }.count, before)
        XCTAssertTrue(log.contains("stopped announcing"))
    }
}
