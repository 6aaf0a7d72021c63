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
    public enum Kind: Sendable { case success, clientError, serverError }
    public let kind: Kind
    public let json: JSONValue
    public var succeeded: Bool { kind == .success }
}

extension AnyModel {
    /// Runs the pipeline; the client's mistakes (`ModelInputError`) keep their message, anything
    /// else is logged in full and answered with a generic message.
    public func respond(to upload: ModelInput, logger: Logger) -> PredictionOutcome {
        guard !upload.bytes.isEmpty else {
            return PredictionOutcome(kind: .clientError, json: PredictionEnvelope.failure("the uploaded file is empty"))
        }
        do {
            return PredictionOutcome(kind: .success, json: PredictionEnvelope.success(try run(upload)))
        } catch let inputError as ModelInputError {
            logger.debug("predict refused: \(inputError.message)")
            return PredictionOutcome(kind: .clientError, json: PredictionEnvelope.failure(inputError.message))
        } catch {
            logger.error("predict failed: \(error)")
            return PredictionOutcome(kind: .serverError,
                                     json: PredictionEnvelope.failure("the model failed to process the request; the server log has details"))
        }
    }
}
