import Datasets
import Foundation
import HTTPServer
import Keras
import Logging
import MAXFramework
import Metrics
import Training

/// The train routes, as the Imagia digit service's proposal for long jobs has them, under
/// `/api/v1/train` (Imagia's path) and `/model/train` (beside MAX's routes):
///
/// - `POST .../train`: the Imagia JSON body (or multipart: `config` with that JSON, `data` and
///   optionally `test_data` files) -> 202 at once with `{"key", "status": "queued", "message"}`;
///   422 naming the key of a bad setting; 503 (Retry-After) when the queue is full.
/// - `GET .../train/{key}`: status, current epoch, loss and accuracy, history, and the result.
/// - `DELETE .../train/{key}`: cancels (a running job stops after its current batch).
/// - `GET .../train`: every remembered job's status.
///
/// Off unless `training.enabled`; with `training.token`, every call needs `Authorization:
/// Bearer <token>`. One job trains at a time, at a lower priority than serving.
public enum TrainingRoutes {
    /// The provider to register in the executable; `plugins` rebuild the served model when a
    /// job asks for `"deploy": true`.
    public static func provider(plugins: [ModelPlugin]) -> RouteProvider {
        RouteProvider(name: "training") { context in
            guard context.configuration.training.enabled else { return [] }
            return try TrainingHTTPService(context: context, plugins: plugins).routes
        }
    }
}

final class TrainingHTTPService: @unchecked Sendable {
    let settings: TrainingSettings
    let configuration: MAXConfiguration
    let registry: ModelRegistry
    let plugins: [ModelPlugin]
    let logger: Logger
    /// The configured data, read once at start-up (nil: requests must upload theirs).
    let configuredData: DatasetSplits?
    let limits: DatasetLimits
    private(set) var queue: TrainingJobQueue!
    private let jobGauge: Gauge
    private let epochCounter: Counter
    private let epochSeconds: Histogram
    private let lossGauge: Gauge
    private let accuracyGauge: Gauge

    static let accepted = HTTPStatus(202, "Accepted")
    static let unauthorized = HTTPStatus(401, "Unauthorized")
    static let forbidden = HTTPStatus(403, "Forbidden")
    static let conflict = HTTPStatus(409, "Conflict")

    init(context: ServiceContext, plugins: [ModelPlugin]) throws {
        settings = context.configuration.training
        configuration = context.configuration
        registry = context.registry
        self.plugins = plugins
        logger = context.logger
        limits = DatasetLimits(maxValues: settings.maxDataBytes, maxDecompressedBytes: settings.maxDataBytes)
        var data: DatasetSplits? = nil
        if let path = settings.data {
            do {
                let options = DatasetFile.Options(limits: limits)
                data = try DatasetFile.load(path: configuration.resolve(path).path, options: options)
                if let test = settings.testData {
                    data?.test = try DatasetFile.load(path: configuration.resolve(test).path, options: options).training
                }
            } catch let error as DatasetError {
                throw ConfigurationError(key: "training.data", message: error.message)
            }
        }
        configuredData = data
        let metrics = context.metrics.registry
        jobGauge = metrics.gauge("maxswift_training_jobs", help: "Training jobs remembered, by state", labels: ["state"])
        epochCounter = metrics.counter("maxswift_training_epochs_total", help: "Training epochs completed, all jobs")
        epochSeconds = metrics.histogram("maxswift_training_epoch_duration_seconds", help: "Wall time of each completed training epoch",
                                         buckets: .exponential(start: 0.25, factor: 2, count: 12))
        lossGauge = metrics.gauge("maxswift_training_loss", help: "The running job's mean loss so far in its current epoch")
        accuracyGauge = metrics.gauge("maxswift_training_accuracy", help: "The running job's accuracy so far in its current epoch")
        queue = TrainingJobQueue(capacity: settings.maxQueue, niceness: Int32(settings.niceness)) { [unowned self] job in
            self.run(job)
        }
        if let data {
            logger.info("training enabled: \(data.training.count) training images\(data.test.map { ", \($0.count) test images" } ?? "") from \(settings.data ?? "")")
        } else {
            logger.info("training enabled: requests upload their data (no training.data)")
        }
    }

    // MARK: Routes

    var routes: [Route] {
        let prefixes: [String] = ["/api/v1", "/model"]
        return prefixes.flatMap { prefix -> [Route] in
            let tag = ["training"]
            let documented = prefix == "/model"
            let security: String = settings.token.isEmpty ? "" : " Requires `Authorization: Bearer <token>`."
            return [
                Route("POST", "\(prefix)/train", doc: documented ? OperationDoc(
                    summary: "Start training a model (Imagia's train API); answers at once with a key to poll",
                    description: "The Imagia body: network (mlp, lenet5, mnist_cnn or file), network_args, dataset_args, train_args (batch_size, epochs, optimizer, learning_rate, validation_split, augment, seed, shuffle), save_weights, deploy. Send it as JSON, or as multipart/form-data with `config` (the JSON) and `data` (and optionally `test_data`) files in Kaggle CSV, MNIST IDX or .npz form. Also at /api/v1/train." + security,
                    operationId: "post_train", tags: tag,
                    requestBody: RequestBodyDoc(json: JSONInputSpec(schema: TrainingHTTPService.requestSchema,
                                                                    description: "The training configuration",
                                                                    example: TrainingHTTPService.example),
                                                rawContentTypes: ["multipart/form-data"]),
                    responses: [ResponseDoc(202, "Queued", schema: TrainingHTTPService.acceptedSchema),
                                .error(401, "A bearer token is required"), .error(403, "The bearer token is wrong"),
                                .error(422, "A setting is missing or invalid (the message names it)"),
                                .error(503, "The training queue is full")]) : nil,
                      handler: { request in try self.submit(request) }),
                Route("GET", "\(prefix)/train/{key}", doc: documented ? OperationDoc(
                    summary: "A training job's status, progress, history and result",
                    operationId: "get_train_status", tags: tag,
                    responses: [ResponseDoc(200, "The job", schema: TrainingHTTPService.statusSchema),
                                .error(404, "No job has that key")]) : nil,
                      handler: { request in try self.status(request) }),
                Route("DELETE", "\(prefix)/train/{key}", doc: documented ? OperationDoc(
                    summary: "Cancel a training job (a running one stops after its current batch)",
                    operationId: "delete_train", tags: tag,
                    responses: [ResponseDoc(200, "Cancelled", schema: TrainingHTTPService.statusSchema),
                                .error(404, "No job has that key"), .error(409, "The job has already finished")]) : nil,
                      handler: { request in try self.cancel(request) }),
                Route("GET", "\(prefix)/train", doc: documented ? OperationDoc(
                    summary: "Every remembered training job's status", operationId: "list_train", tags: tag,
                    responses: [ResponseDoc(200, "The jobs, oldest first")]) : nil,
                      handler: { request in
                          try self.authorize(request)
                          return .json(.ok, JSONValue.object([("jobs", .array(self.queue.all.map(\.status)))]).serialized)
                      }),
            ]
        }
    }

    /// 401 without a token when one is configured, 403 with the wrong one.
    func authorize(_ request: RouteRequest) throws {
        guard !settings.token.isEmpty else { return }
        let challenge: HTTPHeaders = ["WWW-Authenticate": "Bearer realm=\"training\""]
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer ") else {
            throw ModelError(TrainingHTTPService.unauthorized, "training requires a bearer token (Authorization: Bearer <token>)",
                             headers: challenge)
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard constantTimeEqual(Array(token.utf8), Array(settings.token.utf8)) else {
            throw ModelError(TrainingHTTPService.forbidden, "the bearer token is not the one training.token names", headers: challenge)
        }
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    func submit(_ request: RouteRequest) throws -> HTTPResponse {
        try authorize(request)
        let (configBytes, uploads) = try readBody(request)
        let limits = TrainingRequest.Limits(maxEpochs: settings.maxEpochs, maxBatchSize: settings.maxBatchSize)
        let parsed: TrainingRequest
        do {
            parsed = try TrainingRequest.parse(json: configBytes, limits: limits)
        } catch let error as TrainingError {
            throw ModelError.unprocessable(error.description)
        }
        if case let .file(path) = parsed.network { _ = try allowedModelFile(path) }
        let data = try trainingData(for: parsed, uploads: uploads)
        do {
            try makeRun(parsed).checkLimits(classes: parsed.classes?.count ?? data.training.classNames.count, images: data.training.count)
        } catch let error as TrainingError {
            throw ModelError.unprocessable(error.description)
        }
        let job = TrainingJob(request: parsed, data: data)
        guard queue.submit(job) != nil else {
            throw ModelError.serviceUnavailable("the training queue is full (\(settings.maxQueue) waiting); try again later", retryAfter: 60)
        }
        updateGauge()
        logger.info("training job \(job.key) queued")
        var response = HTTPResponse.json(TrainingHTTPService.accepted, JSONValue.object([
            ("key", .string(job.key)), ("status", .string(job.state.rawValue)),
            ("message", .string("training queued; poll GET \(request.http.path)/\(job.key) for its progress")),
        ]).serialized)
        response.headers.set("Location", "\(request.http.path)/\(job.key)")
        return response
    }

    /// The configuration JSON and any uploaded data files (multipart: `config`, `data`, `test_data`).
    private func readBody(_ request: RouteRequest) throws -> ([UInt8], [String: [UInt8]]) {
        let contentType = request.headers["Content-Type"] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            guard !request.body.isEmpty else { throw ModelError.unprocessable("the body is empty: send the training configuration as JSON") }
            return (request.body, [:])
        }
        let parts: [MultipartPart]
        do {
            parts = try MultipartFormData.parse(body: request.body, contentType: contentType)
        } catch {
            throw ModelError.badRequest("the multipart body is malformed: \(error)")
        }
        var files: [String: [UInt8]] = [:]
        var config: [UInt8]?
        for part in parts {
            switch part.name {
            case "config": config = part.body
            case "data", "test_data": files[part.name!] = part.body
            default: throw ModelError.unprocessable("multipart field '\(part.name ?? "")' is not one of config, data, test_data")
            }
        }
        guard let config else { throw ModelError.unprocessable("config is missing: the multipart body needs a 'config' field with the training JSON") }
        return (config, files)
    }

    private func trainingData(for request: TrainingRequest, uploads: [String: [UInt8]]) throws -> DatasetSplits {
        let options = DatasetFile.Options(shape: request.imageShape, classNames: request.classNames, limits: limits)
        func load(_ field: String) throws -> DatasetSplits? {
            guard let bytes = uploads[field] else { return nil }
            do {
                return try DatasetFile.load(bytes: bytes, options: options)
            } catch let error as DatasetError {
                throw ModelError.unprocessable("\(field): \(error.message)")
            }
        }
        if var uploaded = try load("data") {
            if let test = try load("test_data") { uploaded.test = test.training }
            return uploaded
        }
        guard var data = configuredData else {
            throw ModelError.unprocessable("data is missing: the service has no training.data, so upload the images in a multipart field 'data'")
        }
        if let test = try load("test_data") { data.test = test.training }
        guard data.training.classNames.count == request.classNames.count else {
            throw ModelError.unprocessable(
                "dataset_args.class_names names \(request.classNames.count) classes but the service's data has \(data.training.classNames.count)")
        }
        if case .catalog = request.network, data.training.shape != request.imageShape {
            throw ModelError.unprocessable(
                "dataset_args.image_size is \(request.imageShape.array) but the service's data holds \(data.training.shape) images")
        }
        return data
    }

    /// A model file a request may fine-tune: only one inside the service's folder.
    func allowedModelFile(_ path: String) throws -> URL {
        let base = configuration.baseDirectory.standardizedFileURL.resolvingSymlinksInPath().path
        let url = configuration.resolve(path).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(base + "/") else {
            throw ModelError.unprocessable("network_args.path must name a model file inside the service's folder")
        }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ModelError.unprocessable("network_args.path '\(path)' is not a readable file")
        }
        return url
    }

    func status(_ request: RouteRequest) throws -> HTTPResponse {
        try authorize(request)
        let job = try lookUp(request)
        return .json(.ok, job.status.serialized)
    }

    func cancel(_ request: RouteRequest) throws -> HTTPResponse {
        try authorize(request)
        let job = try lookUp(request)
        guard queue.cancel(job) else {
            throw ModelError(TrainingHTTPService.conflict, "training job \(job.key) has already finished (\(job.state.rawValue))")
        }
        logger.info("training job \(job.key): cancel requested")
        updateGauge()
        return .json(.ok, job.status.serialized)
    }

    private func lookUp(_ request: RouteRequest) throws -> TrainingJob {
        let key = request.pathParameter("key") ?? ""
        guard let job = queue.job(key) else { throw ModelError.notFound("no training job has the key '\(key)'") }
        return job
    }

    private func updateGauge() {
        let jobs = queue.all
        for state in [TrainingJob.State.queued, .training, .succeeded, .failed, .cancelled] {
            jobGauge.labels(state.rawValue).set(Double(jobs.filter { $0.state == state }.count))
        }
    }

    // MARK: Running a job

    func run(_ job: TrainingJob) {
        if job.cancellation.isCancelled {
            job.finish(.cancelled, message: "cancelled before it started")
            updateGauge()
            return
        }
        job.start()
        updateGauge()
        logger.info("training job \(job.key) started")
        let run = makeRun(job.request)
        do {
            guard let data = job.data else { throw TrainingError.dataMismatch("no data") }
            let outcome = try run.run(data: data, cancellation: job.cancellation) { event in
                job.record(event)
                self.observe(event)
            }
            var asset: (path: String, md5: String)? = nil
            if job.request.saveWeights { asset = try save(outcome, key: job.key) }
            var deployed = false
            var message: String? = nil
            if job.request.deploy {
                do {
                    try deploy(outcome)
                    deployed = true
                } catch {
                    message = "trained, but not deployed: \(error)"
                }
            }
            job.finish(.succeeded, outcome: outcome, message: message, asset: asset, deployed: deployed)
            logger.info("training job \(job.key) succeeded: test accuracy \(outcome.test.map { String(format: "%.4f", $0.accuracy) } ?? "n/a")"
                        + (outcome.test?.reject.map { " (without '\($0.rejectClass)': " + String(format: "%.4f, rejected %.4f)", $0.accuracy, $0.rejectRate) } ?? "")
                        + (deployed ? ", deployed" : ""))
        } catch TrainingError.cancelled {
            job.finish(.cancelled, message: "cancelled")
            logger.info("training job \(job.key) cancelled")
        } catch {
            job.finish(.failed, message: "\(error)")
            logger.warning("training job \(job.key) failed: \(error)")
        }
        updateGauge()
    }

    /// Feeds the training metrics from a job's progress.
    private func observe(_ event: TrainingEvent) {
        switch event {
        case let .batch(progress):
            lossGauge.set(progress.loss)
            accuracyGauge.set(progress.accuracy)
        case let .epoch(report):
            epochCounter.increment()
            epochSeconds.observe(report.seconds)
        }
    }

    /// A run of `request` as this service runs jobs: its threads, niceness, limits and files.
    func makeRun(_ request: TrainingRequest) -> TrainingRun {
        var run = TrainingRun(request: request)
        run.threads = settings.threads > 0 ? settings.threads : ProcessInfo.processInfo.activeProcessorCount
        run.niceness = Int32(settings.niceness)
        run.limits = TrainingLimits(maxParameters: settings.maxParameters, maxMemoryBytes: settings.maxMemoryBytes,
                                    parametersName: "training.max_parameters", memoryName: "training.max_memory_bytes")
        run.readModelFile = { [unowned self] path in [UInt8](try Data(contentsOf: try self.allowedModelFile(path))) }
        return run
    }

    /// Writes the model as `<output directory>/<key>.h5` with an md5sum line beside it, each
    /// written whole to a temporary name and renamed, so no half-written file is ever seen.
    func save(_ outcome: TrainingOutcome, key: String) throws -> (path: String, md5: String) {
        let folder = configuration.resolve(settings.outputDirectory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("\(key).h5")
        try Data(outcome.bytes).write(to: file, options: .atomic)
        let md5 = MD5.hex(of: outcome.bytes)
        try Data("\(md5)  \(key).h5\n".utf8).write(to: folder.appendingPathComponent("\(key).h5.md5"), options: .atomic)
        return (file.path, md5)
    }

    /// Rebuilds the default served model from the trained file with its plugin and options,
    /// then swaps it in: requests in flight finish on the old model, new ones get the new one.
    func deploy(_ outcome: TrainingOutcome) throws {
        let served = registry.defaultModel
        guard let model = configuration.models.first(where: { $0.resolvedID == served.id }),
              let plugin = plugins.first(where: { $0.name == model.plugin }) else {
            throw TrainingError.unsupported("deploying into model '\(served.id)' (its plugin is not known)")
        }
        var warnings: [String] = []
        let options = try plugin.checkedOptions(model.options, place: model.place, warnings: &warnings)
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("max-swift-deploy-\(UUID().uuidString).h5")
        try Data(outcome.bytes).write(to: temporary, options: .atomic)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let context = PluginContext(options: options, modelAsset: temporary, maxImagePixels: configuration.maxImagePixels,
                                    baseDirectory: configuration.baseDirectory, logger: logger)
        let replacement = try plugin.make(context).withMetadata(model.metadata)
        served.replace(with: replacement)
        logger.info("model '\(served.id)' replaced by the trained model (version \(served.version))")
    }

    // MARK: Documentation

    static let example: JSONValue = .object([
        ("dataset", .string("MnistDataset")), ("dataset_args", .object([("image_size", .array([.int(28), .int(28), .int(1)]))])),
        ("model", .string("DigitModel")), ("network", .string("lenet5")),
        ("network_args", .object([("activation", .string("relu"))])),
        ("train_args", .object([("batch_size", .int(32)), ("epochs", .int(3))])), ("save_weights", .bool(false)),
    ])

    static let requestSchema = Schema.object([
        SchemaProperty("network", .oneOf(strings: NetworkCatalog.names + ["file"]), "The network to build, or \"file\" to fine-tune network_args.path", required: true),
        SchemaProperty("network_args", .object([], additionalProperties: .any), "mlp: layer_sizes, dropout_amount, activation; lenet5: activation, dropout_amount; file: path"),
        SchemaProperty("dataset", .string, "\"MnistDataset\""),
        SchemaProperty("dataset_args", .object([SchemaProperty("image_size", .array(of: .integer), "[height, width, channels]")]), "The images' size"),
        SchemaProperty("model", .string, "\"DigitModel\""),
        SchemaProperty("train_args", .object([
            SchemaProperty("batch_size", .integer, "Images per update (default 32)"),
            SchemaProperty("epochs", .integer, "Passes over the data (default 10)"),
            SchemaProperty("optimizer", .any, "sgd, adam, rmsprop (default) or adadelta, or a Keras optimizer object"),
            SchemaProperty("learning_rate", .any, "A number or a Keras schedule object"),
            SchemaProperty("validation_split", .number, "Fraction held out, as Keras's validation_split"),
            SchemaProperty("augment", .any, "true for the default model's distortions, or {rotation, zoom, shear, shift, thicken, thin}"),
            SchemaProperty("seed", .integer, "Seed of a repeatable run"),
            SchemaProperty("shuffle", .boolean, "Reshuffle every epoch (default true)"),
        ], additionalProperties: nil), "Training arguments"),
        SchemaProperty("save_weights", .boolean, "Keep the trained model as a file with its MD5"),
        SchemaProperty("deploy", .boolean, "Serve the trained model once training succeeds"),
    ], additionalProperties: nil).named("TrainingRequest")

    static let acceptedSchema = Schema.object([
        SchemaProperty("key", .string, "Poll GET /model/train/{key} with it"),
        SchemaProperty("status", .string, "queued"),
        SchemaProperty("message", .string, "Where to poll"),
    ]).named("TrainingAccepted")

    static let statusSchema = Schema.object([
        SchemaProperty("key", .string, "The job's key"),
        SchemaProperty("status", .oneOf(strings: ["queued", "training_in_progress", "succeeded", "failed", "cancelled"]), "Where the job is"),
        SchemaProperty("current_epoch", .integer, "The epoch running (1-based; 0 before the first)"),
        SchemaProperty("epochs", .integer, "Epochs asked for"),
        SchemaProperty("current_loss", .number, "Mean loss so far in the current epoch"),
        SchemaProperty("current_accuracy", .number, "Accuracy so far in the current epoch"),
        SchemaProperty("history", .array(of: .any), "Per finished epoch: epoch, loss, accuracy, val_loss, val_accuracy, seconds, learning_rate"),
        SchemaProperty("result", .any, "Once succeeded, Imagia's result: {status, train: {accuracy, loss}, test: {accuracy, loss}}; with train_args.outlier_class, train and test also hold reject_class, accuracy_without_reject (the other classes read as the most probable of them) and reject_rate (share of their images the reject class wins)"),
        SchemaProperty("message", .string, "Why it failed or was not deployed"),
        SchemaProperty("asset", .any, "With save_weights: {path, md5} of the kept model"),
    ]).named("TrainingStatus")
}
