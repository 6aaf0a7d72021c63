import Foundation
import MAXFramework

/// A tensor model small enough to check by hand: each item of 2 numbers gives `[a + b, a * b]`;
/// an encoded "file" gives the item `[length, first byte]`; it records the largest batch it ran.
final class PairModel: ModelWrapper, TensorModel, @unchecked Sendable {
    struct Answer: Encodable { let sum: Double }
    private let lock = NSLock()
    private var largest = 0
    var largestBatch: Int { lock.lock(); defer { lock.unlock() }; return largest }

    var metadata: ModelMetadata {
        ModelMetadata(id: "pair", name: "Pair", description: "Sum and product", type: "Test", source: "tests", license: "MIT")
    }
    var input: ModelInputSpec { .files(FileInputSpec(description: "Any bytes")) }
    var output: ModelOutputSchema { ModelOutputSchema(properties: [SchemaProperty("sum", .number, "sum")]) }
    var labels: [ModelLabel]? { ModelLabel.indexed(["sum", "product"]) }

    func preProcess(_ input: ModelInput) throws -> [Float] {
        if input.bytes.starts(with: Array("BAD".utf8)) { throw ModelError.badRequest("the bytes start with BAD") }
        return [Float(input.bytes.count), Float(input.bytes.first ?? 0)]
    }
    func predict(_ pair: [Float]) throws -> [Float] { try inferTensors(pair, count: 1) [0] }
    func postProcess(_ output: [Float], for input: ModelInput) throws -> [Answer] { [Answer(sum: Double(output[0]))] }

    var tensorInput: TensorSpec { TensorSpec(name: "pair", datatype: .fp32, shape: [2]) }
    var encodedInput: TensorSpec? { TensorSpec(name: "file", datatype: .bytes, shape: [1]) }
    var tensorOutputs: [TensorSpec] { [TensorSpec(name: "sum_product", datatype: .fp32, shape: [2])] }

    func inferTensors(_ items: [Float], count: Int) throws -> [[Float]] {
        lock.lock(); largest = max(largest, count); lock.unlock()
        var out: [Float] = []
        for index in 0..<count {
            let a = items[2 * index], b = items[2 * index + 1]
            out += [a + b, a * b]
        }
        return [out]
    }
    func tensorItem(from input: ModelInput) throws -> [Float] { try preProcess(input) }

    static let shared = PairModel()
    static let plugin = ModelPlugin(name: "pair") { _ in shared }
}

/// A JSON model with no tensor form: the v2 route serves it through its pipeline.
struct CountModel: ModelWrapper {
    struct Count: Encodable { let count: Int }
    var metadata: ModelMetadata {
        ModelMetadata(id: "count", name: "Count", description: "Counts items", type: "Test", source: "tests", license: "MIT")
    }
    var input: ModelInputSpec {
        .json(JSONInputSpec(schema: .object([SchemaProperty("items", .array(of: .any), "Things to count")]), description: "items"))
    }
    var output: ModelOutputSchema { ModelOutputSchema(properties: [SchemaProperty("count", .integer, "how many")]) }
    func preProcess(_ input: ModelInput) throws -> Int { input.json?["items"]?.arrayValue?.count ?? 0 }
    func predict(_ count: Int) throws -> Int { count }
    func postProcess(_ count: Int, for input: ModelInput) throws -> [Count] { [Count(count: count)] }
    static let plugin = ModelPlugin(name: "count") { _ in CountModel() }
}
