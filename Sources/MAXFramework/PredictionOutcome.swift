import HTTPServer
import Logging

/// The response envelope MAX returns.
public enum PredictionEnvelope {
    /// `{"status": "ok", "predictions": [...]}`, then the plugin's extra members.
    public static func success(_ answer: ModelAnswer) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(2 + answer.fields.count)
        members.append(("status", .string("ok")))
        members.append(("predictions", .array(answer.predictions)))
        members.append(contentsOf: answer.fields)
        return .object(members)
    }

    /// `{"status": "error", "message": "..."}`
    public static func failure(_ message: String) -> JSONValue {
        .object([("status", .string("error")), ("message", .string(message))])
    }
}

/// The answer to one request, shared by POST /model/predict and `max-server predict` so both
/// print the same JSON.
public struct PredictionOutcome: Sendable {
    /// 200, the status a plugin's error carried, or 500 for the service's own faults.
    public let status: HTTPStatus
    public let json: JSONValue
    /// Header fields the plugin's error asked for (`Retry-After`).
    public var headers = HTTPHeaders()
    public var succeeded: Bool { status == .ok }

    /// The HTTP response carrying it.
    public var response: HTTPResponse {
        var response = HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: json.serializedBytes)
        for field in headers { response.headers.set(field.name, field.value) }
        return response
    }
}

extension AnyModel {
    /// Runs the pipeline over the inputs of one request. One input is answered in MAX's shape
    /// with its own status. Several (repeated file fields) are answered 200 with one entry per
    /// input, in order: `{"status": "ok", "results": [{"file": "a.png", "status": "ok",
    /// "predictions": [...]}, {"file": "b.png", "status": "error", "message": "..."}]}`.
    /// The service's own faults are logged in full and answered with a generic message.
    public func respond(to inputs: [ModelInput], logger: Logger, observer: PipelineObserver? = nil) -> PredictionOutcome {
        let results = run(inputs, observer: observer)
        if results.count == 1 { return AnyModel.outcome(results[0], logger: logger) }
        let outcomes = results.map { AnyModel.outcome($0, logger: logger) }
        let entries: [JSONValue] = zip(inputs, outcomes).map { input, outcome in
            var members: [(key: String, value: JSONValue)] = []
            if let name = input.fileName { members.append(("file", .string(name))) }
            members += outcome.json.objectMembers ?? []
            return .object(members)
        }
        return PredictionOutcome(status: .ok, json: .object([("status", .string("ok")), ("results", .array(entries))]))
    }

    public func respond(to input: ModelInput, logger: Logger, observer: PipelineObserver? = nil) -> PredictionOutcome {
        respond(to: [input], logger: logger, observer: observer)
    }

    private static func outcome(_ result: Result<ModelAnswer, Error>, logger: Logger) -> PredictionOutcome {
        switch result {
        case .success(let answer):
            return PredictionOutcome(status: .ok, json: PredictionEnvelope.success(answer))
        case .failure(let refusal as HTTPResponseError):
            logger.debug("predict refused (\(refusal.status.code)): \(refusal.message)")
            return PredictionOutcome(status: refusal.status, json: PredictionEnvelope.failure(refusal.message), headers: refusal.headers)
        case .failure(let error):
            logger.error("predict failed: \(error)")
            return PredictionOutcome(status: .internalServerError,
                                     json: PredictionEnvelope.failure("the model failed to process the request; the server log has details"))
        }
    }
}
