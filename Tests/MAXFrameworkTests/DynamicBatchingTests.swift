import Foundation
import MAXFramework
import XCTest

/// A test plugin that batches: each upload is a decimal number; the answer is the number
/// doubled. It records the size of every `predictBatch` call and counts `predict` calls (a batch
/// of one, or the retry of a failed batch); a negative number makes the whole batch throw and
/// then fails alone when predicted by itself ("a poisoned input").
final class DoublingModel: ModelWrapper, @unchecked Sendable {
    struct Doubled: Encodable, Equatable { let value: Int }
    struct Poisoned: Error {}

    let limit: Int
    let batchDelay: Double
    private let lock = NSLock()
    private var sizes: [Int] = []
    private var poisonedBatches = 0
    private var singles = 0

    /// `limit` is the plugin's maxBatchSize; `batchDelay` seconds of pretend work per batch.
    init(limit: Int = 8, batchDelay: Double = 0) {
        self.limit = limit
        self.batchDelay = batchDelay
    }

    var metadata: ModelMetadata {
        ModelMetadata(id: "doubling", name: "Doubling", description: "Doubles numbers", type: "Test", source: "tests",
                      license: "Apache-2.0")
    }
    var input: ModelInputSpec { .files(FileInputSpec(description: "a decimal number", maxFiles: 8)) }
    var output: ModelOutputSchema { ModelOutputSchema(properties: [SchemaProperty("value", .integer, "twice the number")]) }
    var maxBatchSize: Int { limit }

    func preProcess(_ input: ModelInput) throws -> Int {
        guard let number = Int(String(decoding: input.bytes, as: UTF8.self)) else { throw ModelError.badRequest("not a number") }
        return number
    }

    func predict(_ number: Int) throws -> Int {
        lock.lock(); singles += 1; lock.unlock()
        guard number >= 0 else { throw ModelError.unprocessable("negative numbers are poison") }
        return 2 * number
    }

    func predictBatch(_ batch: [Int]) throws -> [Int] {
        lock.lock()
        sizes.append(batch.count)
        let poisoned = batch.contains { $0 < 0 }
        if poisoned { poisonedBatches += 1 }
        lock.unlock()
        if batchDelay > 0 { Thread.sleep(forTimeInterval: batchDelay) }
        if poisoned { throw Poisoned() }
        return batch.map { 2 * $0 }
    }

    func postProcess(_ output: Int, for input: ModelInput) throws -> [Doubled] { [Doubled(value: output)] }

    var batchSizes: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }
    var batchesWithPoison: Int { lock.lock(); defer { lock.unlock() }; return poisonedBatches }
    var singleCalls: Int { lock.lock(); defer { lock.unlock() }; return singles }
}

/// Remembers what the batcher tells observers.
final class RecordingObserver: PipelineObserver, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var inferenceItems: [Int] = []
    private(set) var queueWaits: [Double] = []

    func observe(_ stage: PipelineStage, seconds: Double, items: Int) {
        guard stage == .inference else { return }
        lock.lock(); inferenceItems.append(items); lock.unlock()
    }
    func observe(outcome: PipelineOutcome) {}
    func observeQueue(seconds: Double, items: Int) {
        lock.lock(); queueWaits.append(seconds); lock.unlock()
    }
}

/// Runs `body(0..<count)` on `count` threads of its own, all at once (GCD would run only as many
/// as there are cores, and the batcher needs callers that really wait side by side).
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        let thread = Thread {
            body(index)
            done.signal()
        }
        thread.start()
    }
    for _ in 0..<count { done.wait() }
}

final class DynamicBatchingTests: XCTestCase {
    private func upload(_ number: Int) -> ModelInput { ModelInput(bytes: Array(String(number).utf8), fileName: "\(number).txt") }

    private func doubled(_ result: Result<ModelAnswer, Error>) -> Int? {
        guard case .success(let answer) = result, let first = answer.predictions.first else { return nil }
        return first.objectMembers?.first { $0.key == "value" }?.value.intValue
    }

    typealias Exchange = (sent: [Int], got: [Result<ModelAnswer, Error>])

    /// Each of `threads` callers sends `requests` requests of 1-3 numbers unique to it (some
    /// poisoned, negative), all at once; what each caller sent and got, by caller.
    private func hammer(_ model: AnyModel, threads: Int, requests: Int, poisonEvery: Int? = nil,
                        observer: PipelineObserver? = nil) -> [[Exchange]] {
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var byThread: [[Exchange]]
            init(_ count: Int) { byThread = Array(repeating: [], count: count) }
        }
        let log = Log(threads)
        onThreads(threads) { thread in
            var mine: [Exchange] = []
            for request in 0..<requests {
                let count = 1 + (thread + request) % 3
                var numbers = (0..<count).map { thread * 10_000 + request * 10 + $0 }
                if let poisonEvery, (thread * requests + request) % poisonEvery == 0 { numbers[count - 1] = -numbers[count - 1] - 1 }
                mine.append((numbers, model.run(numbers.map { ModelInput(bytes: Array(String($0).utf8)) }, observer: observer)))
            }
            log.lock.lock()
            log.byThread[thread] = mine
            log.lock.unlock()
        }
        return log.byThread
    }

    func testConcurrentRequestsShareBatchesAndEachGetsItsOwnResultsInOrder() {
        let plugin = DoublingModel(limit: 8, batchDelay: 0.002)
        let model = AnyModel(plugin).batching(BatchingSettings(maxBatchSize: 32, maxQueueDelayMicroseconds: 2_000))
        XCTAssertEqual(model.batching, BatchingSettings(maxBatchSize: 8, maxQueueDelayMicroseconds: 2_000),
                       "capped at the plugin's maxBatchSize")
        let observer = RecordingObserver()
        let log = hammer(model, threads: 12, requests: 20, observer: observer)
        var inputs = 0
        for (thread, requests) in log.enumerated() {
            for (sent, got) in requests {
                XCTAssertEqual(got.count, sent.count)
                XCTAssertEqual(got.map(doubled), sent.map { 2 * $0 }, "thread \(thread): \(sent)")
                inputs += sent.count
            }
        }
        let sizes = plugin.batchSizes
        XCTAssertEqual(sizes.reduce(0, +) + plugin.singleCalls, inputs, "every input ran exactly once")
        XCTAssertLessThanOrEqual(sizes.max() ?? 0, 8)
        XCTAssertGreaterThan(sizes.max() ?? 0, 3, "concurrent requests were gathered: \(sizes.prefix(20))")
        XCTAssertLessThan(sizes.count, log.count * 20, "fewer model calls than requests")
        XCTAssertEqual(observer.inferenceItems.reduce(0, +), inputs, "one inference observation per batch, with its size")
        XCTAssertEqual(observer.queueWaits.count, 12 * 20, "one queue wait per request")
    }

    func testAFailingInputFailsOnlyItsOwnRequest() throws {
        let plugin = DoublingModel(limit: 8, batchDelay: 0.001)
        let model = AnyModel(plugin).batching(BatchingSettings(maxBatchSize: 8, maxQueueDelayMicroseconds: 3_000))
        let log = hammer(model, threads: 8, requests: 15, poisonEvery: 7)
        var poisonedRequests = 0
        for requests in log {
            for (sent, got) in requests {
                for (number, result) in zip(sent, got) {
                    if number < 0 {
                        XCTAssertThrowsError(try result.get()) { error in
                            XCTAssertEqual((error as? ModelError)?.status.code, 422, "\(error)")
                        }
                    } else {
                        XCTAssertEqual(doubled(result), 2 * number, "a good input beside a poisoned one is answered")
                    }
                }
                if sent.contains(where: { $0 < 0 }) { poisonedRequests += 1 }
            }
        }
        XCTAssertGreaterThan(poisonedRequests, 5)
        XCTAssertGreaterThan(plugin.batchesWithPoison, 0)
        let shared = plugin.batchSizes.filter { $0 > 1 }
        XCTAssertFalse(shared.isEmpty, "poisoned inputs did share batches with others")
    }

    func testALoneRequestWaitsTheQueueDelayAndAFullBatchDoesNot() {
        let lonely = AnyModel(DoublingModel(limit: 4)).batching(BatchingSettings(maxBatchSize: 4, maxQueueDelayMicroseconds: 60_000))
        var started = Date()
        XCTAssertEqual(doubled(lonely.run([upload(21)])[0]), 42)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.055, "held for others to join")

        // Four requests at once fill the batch: none waits the 1 s delay.
        let plugin = DoublingModel(limit: 4)
        let full = AnyModel(plugin).batching(BatchingSettings(maxBatchSize: 4, maxQueueDelayMicroseconds: 1_000_000))
        started = Date()
        onThreads(4) { number in
            let input = ModelInput(bytes: Array(String(number).utf8))
            guard case .success(let answer) = full.run([input])[0] else { return XCTFail("request \(number) failed") }
            XCTAssertEqual(answer.predictions.first?.objectMembers?.first?.value.intValue, 2 * number)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.9, "a full batch runs at once")
        XCTAssertEqual(plugin.batchSizes, [4])

        // A request larger than the batch limit runs whole, alone.
        XCTAssertEqual(full.run((0..<6).map(upload)).map(doubled), (0..<6).map { 2 * $0 })
        XCTAssertEqual(plugin.batchSizes.last, 6)
    }

    func testWithoutDelayABatchIsWhatQueuedWhileTheModelWasBusy() {
        let plugin = DoublingModel(limit: 16, batchDelay: 0.02)
        let model = AnyModel(plugin).batching(BatchingSettings(maxBatchSize: 16, maxQueueDelayMicroseconds: 0))
        let started = Date()
        XCTAssertEqual(doubled(model.run([upload(5)])[0]), 10)
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5)
        _ = hammer(model, threads: 8, requests: 5)
        XCTAssertGreaterThan(plugin.batchSizes.max() ?? 0, 1, "requests that arrive during a batch form the next one")
    }

    func testBatchingStaysOffForPluginsThatDoNotBatchAndForSizeOne() {
        let plain = AnyModel(ByteStatsModel())
        XCTAssertEqual(plain.maxBatchSize, 1)
        XCTAssertNil(plain.batching(BatchingSettings(maxBatchSize: 16, maxQueueDelayMicroseconds: 100)).batching)
        XCTAssertNil(AnyModel(DoublingModel()).batching(BatchingSettings(maxBatchSize: 1)).batching)
        // Metadata overrides keep the batcher.
        let batched = AnyModel(DoublingModel()).batching(BatchingSettings(maxBatchSize: 4))
        XCTAssertEqual(batched.withMetadata(["name": "Twice"]).batching, BatchingSettings(maxBatchSize: 4))
    }

    func testSettingsAreReadFromTheConfigurationAndTheEnvironment() throws {
        func load(_ json: String, environment: [String: String] = [:]) throws -> MAXConfiguration {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batching-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("config.json")
            try Data(json.utf8).write(to: file)
            return try MAXConfiguration.load(file: file, environment: environment).configuration
        }
        XCTAssertEqual(try load("{}").models[0].batching, BatchingSettings(maxBatchSize: 1, maxQueueDelayMicroseconds: 0))
        XCTAssertEqual(try load(#"{"model": {"max_batch_size": 16, "max_queue_delay_microseconds": 250}}"#).models[0].batching,
                       BatchingSettings(maxBatchSize: 16, maxQueueDelayMicroseconds: 250))
        XCTAssertEqual(try load("{}", environment: ["MAX_BATCH_SIZE": "8", "MAX_QUEUE_DELAY_MICROSECONDS": "100"]).models[0].batching,
                       BatchingSettings(maxBatchSize: 8, maxQueueDelayMicroseconds: 100))
        let several = try load(#"{"models": [{"plugin": "mnist"}, {"plugin": "mnist", "id": "b", "max_batch_size": 32}]}"#)
        XCTAssertEqual(several.models.map(\.batching.maxBatchSize), [1, 32])
        XCTAssertThrowsError(try load(#"{"model": {"max_batch_size": 0}}"#)) { error in
            XCTAssert("\(error)".contains("model.max_batch_size"), "\(error)")
        }
        XCTAssertThrowsError(try load(#"{"models": [{"plugin": "mnist", "max_queue_delay_microseconds": -5}]}"#)) { error in
            XCTAssert("\(error)".contains("models[0].max_queue_delay_microseconds: expected a whole number from 0 to 1000000, got -5"),
                      "\(error)")
        }
    }

    func testQueueTimeAndBatchSizesReachTheMetrics() throws {
        let served = ServedModel(id: "doubling", pluginName: "doubling",
                                 model: AnyModel(DoublingModel(limit: 8, batchDelay: 0.002))
                                     .batching(BatchingSettings(maxBatchSize: 8, maxQueueDelayMicroseconds: 1_000)))
        let metrics = ServiceMetrics()
        metrics.track(ModelRegistry([served]))
        onThreads(8) { thread in
            for request in 0..<5 { _ = served.run([ModelInput(bytes: Array(String(thread * 100 + request).utf8))]) }
        }
        let text = metrics.exposition()
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        XCTAssertEqual(value(#"maxswift_model_queue_duration_seconds_count{model="doubling"}"#), 40, "one wait per request")
        XCTAssertEqual(value(#"maxswift_model_batch_size_sum{model="doubling"}"#), 40, "every input in some batch")
        let batches = try XCTUnwrap(value(#"maxswift_model_batch_size_count{model="doubling"}"#))
        XCTAssertLessThan(batches, 40, "fewer inference calls than requests")
        XCTAssertEqual(value(#"maxswift_model_inputs_total{model="doubling",outcome="ok"}"#), 40)
    }
}
