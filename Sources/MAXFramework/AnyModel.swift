import Foundation

/// A `ModelWrapper` with its associated types erased, as the framework stores it: the pipeline
/// runs as one call from upload to JSON predictions.
public final class AnyModel: Sendable {
    public let metadata: ModelMetadata
    public let input: ModelInputSpec
    public let output: ModelOutputSchema
    private let pipeline: @Sendable (ModelInput) throws -> [JSONValue]

    public init<Wrapper: ModelWrapper>(_ wrapper: Wrapper) {
        metadata = wrapper.metadata
        input = wrapper.input
        output = wrapper.output
        pipeline = { upload in
            let prepared = try wrapper.preProcess(upload)
            let raw: Wrapper.Output
            do {
                raw = try wrapper.predict(prepared)
            } catch let error as HTTPResponseError {
                throw error
            } catch {
                throw ModelFailure(stage: "predict", underlying: error)
            }
            let predictions = try wrapper.postProcess(raw, for: upload)
            return try predictions.map(AnyModel.encode)
        }
    }

    /// A copy serving `metadata` instead (config.json overrides).
    init(_ other: AnyModel, metadata: ModelMetadata) {
        self.metadata = metadata
        self.input = other.input
        self.output = other.output
        self.pipeline = other.pipeline
    }

    public func withMetadata(_ overrides: [String: String]) -> AnyModel {
        overrides.isEmpty ? self : AnyModel(self, metadata: metadata.applying(overrides))
    }

    /// The JSON GET /model/metadata serves.
    public var metadataJSON: String { metadata.json.serialized }

    /// preProcess, predict, postProcess. Throws `HTTPResponseError` (usually `ModelError`) for the client's mistakes;
    /// anything else is the service's fault.
    public func run(_ upload: ModelInput) throws -> [JSONValue] {
        try pipeline(upload)
    }

    /// Encodes one prediction with sorted keys, re-read as `JSONValue` so the envelope is
    /// written in one style.
    static func encode<Prediction: Encodable>(_ prediction: Prediction) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try JSONValue.parse([UInt8](try encoder.encode(prediction)))
        } catch {
            throw ModelFailure(stage: "encoding predictions", underlying: error)
        }
    }
}

/// The model failed for a reason that is not the client's: logged in full, answered with 500.
public struct ModelFailure: Error, CustomStringConvertible {
    public let stage: String
    public let underlying: Error
    public var description: String { "\(stage) failed: \(underlying)" }
}
