import Foundation
import HTTPServer
import Logging
import MAXFramework
import MNIST
import TestSupport
import TrainingService
import XCTest

/// The train routes over real sockets: a service with the MNIST plugin, training on synthetic
/// 28x28 digits; submit, poll, cancel, save, deploy, auth, limits and every 4xx.
final class TrainingRoutesTests: XCTestCase {
    let log = LogCapture()
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try digits(300).write(to: folder.appendingPathComponent("train.csv"))
        try digits(60).write(to: folder.appendingPathComponent("test.csv"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Kaggle CSV: class k lights row 4 + 2k.
    func digits(_ count: Int, columns: Int = 784, label: (Int) -> Int = { $0 % 10 }) -> Data {
        var lines = ["label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",")]
        for index in 0..<count {
            var pixels = [Int](repeating: 0, count: 784)
            for x in 4..<24 { pixels[(4 + 2 * (index % 10)) * 28 + x] = 180 + index % 70 }
            lines.append("\(label(index)),\(pixels.prefix(columns).map(String.init).joined(separator: ","))")
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    func start(_ adjust: (inout TrainingSettings) -> Void = { _ in }) throws -> (RunningService, HTTPTestClient) {
        var configuration = MAXConfiguration(baseDirectory: folder)
        configuration.port = 0
        configuration.host = "127.0.0.1"
        configuration.training.enabled = true
        configuration.training.data = "train.csv"
        configuration.training.testData = "test.csv"
        configuration.training.threads = 2
        adjust(&configuration.training)
        let service = try MAXService.start(configuration, plugins: [MNISTModel.plugin],
                                           providers: [TrainingRoutes.provider(plugins: [MNISTModel.plugin])], logger: log.logger())
        return (service, HTTPTestClient(port: service.port))
    }

    func post(_ client: HTTPTestClient, _ body: String, path: String = "/model/train", token: String? = nil) throws -> HTTPTestClient.Response {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try client.send("POST", path, headers: headers, body: Array(body.utf8))
    }

    /// Polls until the job is no longer queued or training (at most 120 s).
    func waitForEnd(_ client: HTTPTestClient, _ key: String, path: String = "/model/train", token: String? = nil) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let response = try client.send("GET", "\(path)/\(key)", headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
            XCTAssertEqual(response.status, 200, response.text)
            let status = try JSONValue.parse(response.body)
            if !["queued", "training_in_progress"].contains(status["status"]?.stringValue ?? "") { return status }
            usleep(100_000)
        }
        XCTFail("job \(key) did not finish")
        return .null
    }

    func testImagiaTrainingOverHTTP() throws {
        let (service, client) = try start()
        defer { service.shutdown() }
        let accepted = try post(client, #"{"dataset": "MnistDataset", "model": "DigitModel", "network": "mlp", "network_args": {"layer_sizes": [32]}, "train_args": {"batch_size": 30, "epochs": 3}}"#,
                                path: "/api/v1/train")
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let body = try JSONValue.parse(accepted.body)
        let key = try XCTUnwrap(body["key"]?.stringValue)
        XCTAssertTrue(["queued", "training_in_progress"].contains(body["status"]?.stringValue ?? ""), accepted.text)
        XCTAssertEqual(accepted.header("Location"), "/api/v1/train/\(key)")
        let status = try waitForEnd(client, key, path: "/api/v1/train")
        XCTAssertEqual(status["status"]?.stringValue, "succeeded", status.serialized)
        XCTAssertEqual(status["current_epoch"]?.intValue, 3)
        XCTAssertEqual(status["history"]?.arrayValue?.count, 3)
        XCTAssertNotNil(status["current_loss"]?.doubleValue)
        XCTAssertEqual(status["result"]?["status"]?.stringValue, "success")
        XCTAssertGreaterThan(status["result"]?["test"]?["accuracy"]?.doubleValue ?? 0, 0.5)
        XCTAssertNotNil(status["result"]?["train"]?["loss"]?.doubleValue)
        // The same job under /model/train, and in the list.
        XCTAssertEqual(try client.send("GET", "/model/train/\(key)").status, 200)
        let list = try JSONValue.parse(try client.send("GET", "/model/train").body)
        XCTAssertEqual(list["jobs"]?.arrayValue?.count, 1)
        // Finished jobs cannot be cancelled; unknown keys are 404.
        XCTAssertEqual(try client.send("DELETE", "/model/train/\(key)").status, 409)
        XCTAssertEqual(try client.send("GET", "/model/train/nope").status, 404)
        // The training metrics on /metrics: three epochs, one succeeded job.
        let metrics = try client.send("GET", "/metrics").text
        func sample(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        XCTAssertEqual(sample("maxswift_training_epochs_total"), 3, metrics)
        XCTAssertEqual(sample("maxswift_training_epoch_duration_seconds_count"), 3, metrics)
        XCTAssertEqual(sample(#"maxswift_training_jobs{state="succeeded"}"#), 1, metrics)
        XCTAssertNotNil(sample("maxswift_training_loss"), metrics)
        // The route is documented.
        let swagger = try JSONValue.parse(try client.send("GET", "/swagger.json").body)
        XCTAssertNotNil(swagger["paths"]?["/model/train"]?["post"])
    }

    /// A job whose model has a reject class: the Imagia result keeps its members and adds, per
    /// part, how the other classes' images are read as the server reads them.
    func testRejectClassJobReportsAccuracyAsServed() throws {
        let (service, client) = try start()
        defer { service.shutdown() }
        // Uploaded data with an eleventh class: rows labelled 10 are blank "not a digit" images.
        let blank = "10," + [String](repeating: "0", count: 784).joined(separator: ",") + "\n"
        let data = String(decoding: digits(200), as: UTF8.self) + String(repeating: blank, count: 20)
        let config = #"{"network": "mlp", "network_args": {"layer_sizes": [32]}, "dataset_args": {"class_names": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "not a digit"]}, "train_args": {"batch_size": 20, "epochs": 3, "outlier_class": "not a digit"}}"#
        let boundary = "reject-class-boundary"
        var body = ""
        for (name, content) in [("config", config), ("data", data), ("test_data", String(decoding: digits(60), as: UTF8.self))] {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(content)\r\n"
        }
        body += "--\(boundary)--\r\n"
        let accepted = try client.send("POST", "/model/train", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                                       body: Array(body.utf8))
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let key = try XCTUnwrap(try JSONValue.parse(accepted.body)["key"]?.stringValue)
        let status = try waitForEnd(client, key)
        XCTAssertEqual(status["status"]?.stringValue, "succeeded", status.serialized)
        let result = try XCTUnwrap(status["result"])
        XCTAssertEqual(result.objectMembers?.map(\.key), ["status", "train", "test"])
        for part in ["train", "test"] {
            let metrics = try XCTUnwrap(result[part])
            XCTAssertEqual(metrics.objectMembers?.map(\.key), ["accuracy", "loss", "reject_class", "accuracy_without_reject", "reject_rate"],
                           metrics.serialized)
            XCTAssertEqual(metrics["reject_class"]?.stringValue, "not a digit")
            let served = try XCTUnwrap(metrics["accuracy_without_reject"]?.doubleValue), rate = try XCTUnwrap(metrics["reject_rate"]?.doubleValue)
            XCTAssertTrue((0...1).contains(served) && (0...1).contains(rate), metrics.serialized)
        }
        // Test data holds no reject-labelled image, so the served reading is never below the plain one.
        XCTAssertGreaterThanOrEqual(result["test"]?["accuracy_without_reject"]?.doubleValue ?? -1, result["test"]?["accuracy"]?.doubleValue ?? 2)
        // A job without a reject class answers exactly Imagia's members.
        let plain = try post(client, #"{"network": "mlp", "network_args": {"layer_sizes": [16]}, "train_args": {"batch_size": 30, "epochs": 1}}"#)
        let plainStatus = try waitForEnd(client, try XCTUnwrap(try JSONValue.parse(plain.body)["key"]?.stringValue))
        XCTAssertEqual(plainStatus["result"]?["test"]?.objectMembers?.map(\.key), ["accuracy", "loss"], plainStatus.serialized)
    }

    func testBadRequestsAre422NamingTheKey() throws {
        let (service, client) = try start {
            $0.maxEpochs = 20
            $0.maxMemoryBytes = 64 << 20
        }
        defer { service.shutdown() }
        let cases: [(String, String)] = [
            (#"{"network": "resnet"}"#, "network 'resnet' is not a network"),
            (#"{"network": "mlp", "train_args": {"epochs": 50}}"#, "train_args.epochs must be a whole number from 1 to 20"),
            (#"{"network": "mlp", "train_args": {"epochs": -1}}"#, "train_args.epochs"),
            (#"{"train_args": {"epochs": 2}}"#, "network is missing"),
            ("{not json", "is not valid JSON"),
            (#"{"network": "file", "network_args": {"path": "/etc/passwd"}}"#, "network_args.path must name a model file inside"),
            (#"{"network": "mlp", "dataset_args": {"image_size": [14, 14]}}"#, "dataset_args.image_size is [14, 14, 1] but the service's data holds 28x28x1"),
            // 64 layers of 65536 units would be 2.7e11 weights: refused before any is allocated.
            ("{\"network\": \"mlp\", \"network_args\": {\"layer_sizes\": [\([Int](repeating: 65536, count: 64).map(String.init).joined(separator: ", "))]}}",
             "network is too large: layer 'dense' brings it to 51445760 weights, more than the 10000000 training.max_parameters allows"),
            (#"{"network": "mnist_cnn", "train_args": {"batch_size": 1000}}"#,
             "train_args.batch_size of 300 with this network needs about"),
        ]
        for (body, expected) in cases {
            let response = try post(client, body)
            XCTAssertEqual(response.status, 422, "\(body): \(response.text)")
            let message = try JSONValue.parse(response.body)["message"]?.stringValue ?? ""
            XCTAssertTrue(message.contains(expected), "\(body): '\(message)' lacks '\(expected)'")
        }
        // Uploaded data with a problem: each is a 422 naming it.
        for (data, expected) in [(digits(20, columns: 783), "line 2 has 784 values"), (digits(20, label: { $0 == 3 ? 12 : 1 }), "label 12"),
                                 (Data(), "the file is empty"), (Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]), "not a Kaggle CSV")] {
            var form = MultipartBody()
            form.addField("config", #"{"network": "mlp", "train_args": {"epochs": 1}}"#)
            form.addFile(field: "data", fileName: "data.csv", contentType: "text/csv", [UInt8](data))
            let response = try client.send("POST", "/model/train", headers: [("Content-Type", form.contentType)], body: form.finished())
            XCTAssertEqual(response.status, 422, response.text)
            XCTAssertTrue(response.text.contains(expected), "\(response.text) lacks \(expected)")
        }
        XCTAssertTrue(FileManager.default.subpaths(atPath: folder.path)!.allSatisfy { !$0.hasSuffix(".h5") }, "nothing written")
    }

    func testTokenIsRequiredWhenConfigured() throws {
        let (service, client) = try start { $0.token = "s3cret" }
        defer { service.shutdown() }
        let body = #"{"network": "mlp", "network_args": {"layer_sizes": [8]}, "train_args": {"epochs": 1}}"#
        let missing = try post(client, body)
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.header("WWW-Authenticate"), "Bearer realm=\"training\"")
        XCTAssertEqual(try post(client, body, token: "wrong").status, 403)
        XCTAssertEqual(try client.send("GET", "/model/train").status, 401)
        let accepted = try post(client, body, token: "s3cret")
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let key = try XCTUnwrap(try JSONValue.parse(accepted.body)["key"]?.stringValue)
        XCTAssertEqual(try waitForEnd(client, key, token: "s3cret")["status"]?.stringValue, "succeeded")
    }

    func testQueueIsBoundedAndJobsCanBeCancelled() throws {
        let (service, client) = try start { $0.maxQueue = 1 }
        defer { service.shutdown() }
        let long = #"{"network": "mnist_cnn", "train_args": {"epochs": 50, "batch_size": 10}}"#
        let first = try JSONValue.parse(try post(client, long).body)["key"]?.stringValue ?? ""
        // Once the first job runs, one more may wait; a third finds the queue full.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
              try JSONValue.parse(try client.send("GET", "/model/train/\(first)").body)["status"]?.stringValue == "queued" {
            usleep(20_000)
        }
        let second = try JSONValue.parse(try post(client, long).body)["key"]?.stringValue ?? ""
        let full = try post(client, long)
        XCTAssertEqual(full.status, 503, full.text)
        XCTAssertEqual(full.header("Retry-After"), "60")
        // The waiting job is cancelled at once; the running one stops after its current batch.
        let cancelWaiting = try client.send("DELETE", "/model/train/\(second)")
        XCTAssertEqual(cancelWaiting.status, 200, cancelWaiting.text)
        XCTAssertEqual(try JSONValue.parse(cancelWaiting.body)["status"]?.stringValue, "cancelled")
        XCTAssertEqual(try client.send("DELETE", "/model/train/\(first)").status, 200)
        XCTAssertEqual(try waitForEnd(client, first)["status"]?.stringValue, "cancelled")
    }

    func testSavedWeightsAndDeployment() throws {
        let (service, client) = try start { $0.outputDirectory = "kept" }
        defer { service.shutdown() }
        XCTAssertEqual(service.registry.defaultModel.version, 1)
        // Predictions keep answering while the model is swapped.
        let png = try XCTUnwrap(FileManager.default.contents(atPath: TestPaths.packageRoot.appendingPathComponent("samples/digit-8.png").path))
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "8.png", contentType: "image/png", [UInt8](png))
        let upload = form.finished(), uploadType = form.contentType
        /// What the predicting thread and the test share, behind one lock.
        final class PredictorState: @unchecked Sendable {
            let lock = NSLock()
            var running = true
            var statuses: [Int] = []
        }
        let shared = PredictorState()
        let predictor = Thread {
            let predictClient = HTTPTestClient(port: service.port)
            while shared.lock.withLock({ shared.running }) {
                let status = (try? predictClient.send("POST", "/model/predict", headers: [("Content-Type", uploadType)], body: upload))?.status ?? -1
                shared.lock.withLock { shared.statuses.append(status) }
            }
        }
        predictor.start()
        let accepted = try post(client, #"{"network": "mlp", "network_args": {"layer_sizes": [16]}, "train_args": {"epochs": 2}, "save_weights": true, "deploy": true}"#)
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let status = try waitForEnd(client, try XCTUnwrap(try JSONValue.parse(accepted.body)["key"]?.stringValue))
        usleep(300_000)
        shared.lock.withLock { shared.running = false }
        while predictor.isExecuting { usleep(10_000) }
        XCTAssertEqual(status["status"]?.stringValue, "succeeded", status.serialized)
        XCTAssertEqual(status["deployed"]?.boolValue, true, status.serialized)
        XCTAssertEqual(service.registry.defaultModel.version, 2)
        let counts = shared.lock.withLock { shared.statuses }
        XCTAssertGreaterThan(counts.count, 0)
        XCTAssertTrue(counts.allSatisfy { $0 == 200 }, "a prediction failed during the swap: \(Set(counts))")
        // The kept file and its md5sum line.
        let path = try XCTUnwrap(status["asset"]?["path"]?.stringValue)
        let md5 = try XCTUnwrap(status["asset"]?["md5"]?.stringValue)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(MD5.hex(of: bytes), md5)
        XCTAssertTrue(path.hasPrefix(folder.appendingPathComponent("kept").path))
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path + ".md5")), as: UTF8.self),
                       "\(md5)  \(URL(fileURLWithPath: path).lastPathComponent)\n")
        // The new model answers.
        let predicted = try client.send("POST", "/model/predict", headers: [("Content-Type", form.contentType)], body: upload)
        XCTAssertEqual(predicted.status, 200, predicted.text)
    }

    func testOffUnlessEnabled() throws {
        var configuration = MAXConfiguration(baseDirectory: folder)
        configuration.port = 0
        configuration.host = "127.0.0.1"
        let service = try MAXService.start(configuration, plugins: [MNISTModel.plugin],
                                           providers: [TrainingRoutes.provider(plugins: [MNISTModel.plugin])], logger: log.logger())
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)
        XCTAssertEqual(try post(client, #"{"network": "mlp"}"#).status, 404)
    }
}
