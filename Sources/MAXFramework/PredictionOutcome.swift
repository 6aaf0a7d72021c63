import HTTPServer
import Logging

/// The response envelope MAX returns.
public enum PredictionEnvelope {
    /// `{"status": "ok", "predictions": [...]}`
    public static func success(_ predictions: [JSONValue]) -> JSONValue {
        .object([("status", .string("ok")), ("predictions", .array(predictions))])
    }

    /// `{"status": "error", "message": "..."}`
    public static func failure(_ message: String) -> JSONValue {
        .object([("status", .string("error")), ("message", .string(message))])
    }
}

/// The answer to one upload, shared by POST /model/predict and `max-server predict` so both
/// print the same JSON.
public struct PredictionOutcome: Sendable {
    /// 200, the status a plugin's error carried, or 500 for the service's own faults.
    public let status: HTTPStatus
    public let json: JSONValue
    public var succeeded: Bool { status == .ok }
}

extension AnyModel {
    /// Runs the pipeline; the client's mistakes (`HTTPResponseError`) keep their status and
    /// message, anything else is logged in full and answered with a generic message.
    public func respond(to upload: ModelInput, logger: Logger) -> PredictionOutcome {
        guard !upload.bytes.isEmpty else {
            return PredictionOutcome(status: .badRequest, json: PredictionEnvelope.failure("the uploaded file is empty"))
        }
        do {
            return PredictionOutcome(status: .ok, json: PredictionEnvelope.success(try run(upload)))
        } catch let refusal as HTTPResponseError {
            logger.debug("predict refused (\(refusal.status.code)): \(refusal.message)")
            return PredictionOutcome(status: refusal.status, json: PredictionEnvelope.failure(refusal.message))
        } catch {
            logger.error("predict failed: \(error)")
            return PredictionOutcome(status: .internalServerError,
                                     json: PredictionEnvelope.failure("the model failed to process the request; the server log has details"))
        }
    }
}
