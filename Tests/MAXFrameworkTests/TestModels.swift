import Foundation
import MAXFramework

/// A JSON-input model: the mean of a list of numbers, with the statuses a plugin may raise
/// driven by the input (`{"numbers": [...], "status": 503}` raises that status).
struct MeanModel: ModelWrapper {
    struct Mean: Encodable { let mean: Double; let count: Int }

    var metadata: ModelMetadata {
        ModelMetadata(id: "mean", name: "Mean", description: "The mean of some numbers", type: "Test", source: "tests", license: "MIT")
    }

    var input: ModelInputSpec {
        .json(JSONInputSpec(schema: .object([
            SchemaProperty("numbers", .array(of: Schema.number.range(-1000, 1000), count: 1...8), "Up to eight numbers"),
            SchemaProperty("status", .integer, "A status to raise instead", required: false),
        ]), description: "Numbers to average", example: .object([("numbers", .array([.int(1), .int(2)]))])))
    }

    var output: ModelOutputSchema {
        ModelOutputSchema(properties: [SchemaProperty("mean", .number, "Their mean"), SchemaProperty("count", .integer, "How many")])
    }

    func preProcess(_ input: ModelInput) throws -> [Double] {
        let json = try jsonBody(input)
        if let status = json["status"]?.intValue {
            throw ModelError(HTTPStatus(status, "Raised"), "raised \(status) on request", headers: status == 503 ? ["Retry-After": "3"] : HTTPHeaders())
        }
        return json["numbers"]?.arrayValue?.compactMap(\.doubleValue) ?? []
    }

    func predict(_ numbers: [Double]) throws -> Double { numbers.reduce(0, +) / Double(numbers.count) }

    func postProcess(_ mean: Double, for input: ModelInput) throws -> [Mean] {
        [Mean(mean: mean, count: input.json?["numbers"]?.arrayValue?.count ?? 0)]
    }

    func responseFields(_ mean: Double, for input: ModelInput) throws -> [(key: String, value: JSONValue)] {
        mean == 0 ? [("message", .string("the mean is zero"))] : []
    }

    private func jsonBody(_ input: ModelInput) throws -> JSONValue {
        guard let json = input.json else { throw ModelError.badRequest("expected JSON") }
        return json
    }
}

/// A classifier over file or JSON inputs that batches: it records the batch sizes it was given,
/// fails a whole batch holding the byte 0xFF (so the framework must retry item by item), and
/// fails the item itself when predicted alone.
final class BatchingClassifier: ModelWrapper, @unchecked Sendable {
    struct Label: Encodable { let label: String; let probability: Double }
    struct Poisoned: Error {}

    private let lock = NSLock()
    private var sizes: [Int] = []
    var batchSizes: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }

    var metadata: ModelMetadata {
        ModelMetadata(id: "classifier", name: "Classifier", description: "first byte as a class", type: "Test", source: "tests", license: "MIT")
    }

    var input: ModelInputSpec {
        ModelInputSpec(files: FileInputSpec(fieldNames: ["file"], contentTypes: ["application/octet-stream"], description: "Bytes", maxFiles: 3),
                       json: JSONInputSpec(schema: .object([SchemaProperty("byte", Schema.integer.range(0, 255), "A byte")]),
                                           description: "One byte as JSON"))
    }

    var output: ModelOutputSchema {
        ModelOutputSchema(properties: [SchemaProperty("label", .string, "The class"), SchemaProperty("probability", .number, "1.0")])
    }

    var labels: [ModelLabel]? { ModelLabel.indexed(["zero", "one", "two"]) }

    func preProcess(_ input: ModelInput) throws -> UInt8 {
        if let json = input.json { return UInt8(json["byte"]?.intValue ?? 0) }
        return input.bytes[0]
    }

    func predict(_ byte: UInt8) throws -> Int {
        if byte == 0xFF { throw Poisoned() }
        return Int(byte) % 3
    }

    func predictBatch(_ batch: [UInt8]) throws -> [Int] {
        lock.lock(); sizes.append(batch.count); lock.unlock()
        if batch.contains(0xFF) { throw Poisoned() }
        return batch.map { Int($0) % 3 }
    }

    func postProcess(_ index: Int, for input: ModelInput) throws -> [Label] {
        [Label(label: labels![index].name, probability: 1)]
    }
}
