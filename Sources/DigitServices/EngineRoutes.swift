import Foundation
import Logging
import MAXFramework

/// The digit service of an orchestration engine (csia-pme's Core Engine): `POST /compute` takes an
/// image and a callback URL, answers `{"task_id": "..."}` at once, and posts the result to the
/// callback when a queue has worked it out; the service announces itself to the engine.
enum EngineRoutes {
    static func routes(_ context: ServiceContext) throws -> [Route] {
        let served = context.registry.defaultModel
        guard served.model.input.files != nil else { return [] }
        let queue = ComputeQueue(served: served, poster: JSONPoster(), logger: context.logger, health: context.health)
        if let announcement = try EngineAnnouncer.fromConfiguration(context.configuration, logger: context.logger) {
            announcement.start(health: context.health)
        }
        return [Route("POST", "/compute", doc: computeDoc) { request in try queue.accept(request) }]
    }

    static let computeDoc = OperationDoc(
        summary: "Recognise the digit in an image, answering later to a callback (the orchestration engine's contract)",
        description: "Answers {\"task_id\": \"...\"} at once; when done, POSTs {\"digit\": 7} (or {\"type\": \"error\", \"message\": \"Failed to process image: ...\"}) to callback_url?task_id=ID.",
        operationId: "engine_compute", tags: ["digit-services"],
        parameters: [
            ParameterDoc(name: "callback_url", in: .query, schema: .string, description: "http(s) URL the result is POSTed to", required: true),
            ParameterDoc(name: "task_id", in: .query, schema: .string, description: "The task's id; a counter supplies one when absent"),
        ],
        requestBody: RequestBodyDoc(files: FileInputSpec(fieldNames: ["image"], contentTypes: ["image/png", "image/jpeg"],
                                                         description: "The image of one digit")),
        responses: [
            ResponseDoc(200, "Accepted", schema: .object([SchemaProperty("task_id", .string, "The task's id")]).named("EngineTask")),
            .error(400, "No image, or no usable callback_url"),
            .error(503, "The queue is full or the service is shutting down; retry later"),
        ])
}

/// The tasks of `/compute`, worked one at a time in arrival order on a thread of their own, so
/// they never hold a request thread; a bounded number wait.
final class ComputeQueue: @unchecked Sendable {
    static let capacity = 256
    let served: ServedModel
    let poster: JSONPoster
    let logger: Logger
    let health: ServiceHealth
    private let queue = DispatchQueue(label: "engine-compute")
    private let lock = NSLock()
    private var pending = 0
    private var counter = 0

    init(served: ServedModel, poster: JSONPoster, logger: Logger, health: ServiceHealth) {
        self.served = served
        self.poster = poster
        self.logger = logger
        self.health = health
    }

    func accept(_ request: RouteRequest) throws -> HTTPResponse {
        guard health.state != .draining else {
            throw ModelError.serviceUnavailable("the service is shutting down; send the task elsewhere", retryAfter: 5)
        }
        guard let callbackText = request.queryValue("callback_url"), !callbackText.isEmpty else {
            throw ModelError.badRequest("callback_url is required: POST /compute?callback_url=URL&task_id=ID")
        }
        guard let callback = URL(string: callbackText), ["http", "https"].contains(callback.scheme?.lowercased() ?? ""),
              callback.host != nil else {
            throw ModelError.badRequest("callback_url must be an http or https URL, got '\(callbackText.prefix(200))'")
        }
        let image = try Self.image(from: request)
        lock.lock()
        guard pending < Self.capacity else {
            lock.unlock()
            throw ModelError.serviceUnavailable("\(Self.capacity) tasks are waiting; retry later", retryAfter: 1)
        }
        pending += 1
        counter += 1
        let taskID = request.queryValue("task_id").flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? String(counter)
        lock.unlock()
        queue.async { [self] in
            defer { lock.lock(); pending -= 1; lock.unlock() }
            work(taskID: taskID, image: image, callback: callback)
        }
        return .json(.ok, JSONValue.object([("task_id", .string(taskID))]).serialized)
    }

    /// The multipart field `image` (or `file`), as the engine sends it.
    static func image(from request: RouteRequest) throws -> ModelInput {
        let contentType = request.headers["Content-Type"] ?? ""
        guard MediaType.essence(of: contentType) == "multipart/form-data" else {
            throw ModelError.badRequest("send the image as multipart/form-data in the field 'image'")
        }
        let parts: [MultipartPart]
        do {
            parts = try MultipartFormData.parse(body: request.body, contentType: contentType)
        } catch {
            throw ModelError.badRequest("malformed multipart body: \(error)")
        }
        guard let part = parts.first(where: { $0.name == "image" }) ?? parts.first(where: { $0.name == "file" }),
              !part.body.isEmpty else {
            throw ModelError.badRequest("no image: send it in the multipart field 'image'")
        }
        return ModelInput(bytes: part.body, contentType: part.contentType, fileName: part.filename)
    }

    /// Runs the model and posts `{"digit": N}` or the error to the callback.
    func work(taskID: String, image: ModelInput, callback: URL) {
        let body: JSONValue
        switch served.run([image])[0] {
        case .success(let answer):
            if let digit = answer.predictions.first?["prediction"], digit.intValue != nil {
                body = .object([("digit", digit)])
            } else {
                body = Self.failure("the model gave no digit")
            }
        case .failure(let refusal as HTTPResponseError):
            body = Self.failure(refusal.message)
        case .failure(let error):
            logger.error("compute task \(taskID) failed: \(error)")
            body = Self.failure("the model failed")
        }
        deliver(body, to: Self.callbackURL(callback, taskID: taskID), taskID: taskID)
    }

    static func failure(_ message: String) -> JSONValue {
        .object([("type", .string("error")), ("message", .string("Failed to process image: \(message)"))])
    }

    /// `{callback_url}?task_id=ID` (or `&task_id=` when the URL has a query already).
    static func callbackURL(_ callback: URL, taskID: String) -> URL {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        let encoded = taskID.addingPercentEncoding(withAllowedCharacters: allowed) ?? taskID
        let separator = callback.query == nil ? "?" : "&"
        return URL(string: callback.absoluteString + separator + "task_id=" + encoded) ?? callback
    }

    /// Up to three attempts, a second and two apart; a failure is logged, never fatal.
    private func deliver(_ body: JSONValue, to url: URL, taskID: String) {
        for attempt in 1...3 {
            do {
                let status = try poster.post(body, to: url)
                if (200..<300).contains(status) { return }
                logger.warning("callback for task \(taskID) to \(url.absoluteString) answered \(status) (attempt \(attempt) of 3)")
            } catch {
                logger.warning("callback for task \(taskID) failed: \(error) (attempt \(attempt) of 3)")
            }
            if attempt < 3 { Thread.sleep(forTimeInterval: Double(attempt)) }
        }
        logger.error("callback for task \(taskID) to \(url.absoluteString) was not delivered")
    }
}
