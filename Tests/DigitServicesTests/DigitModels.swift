import Foundation
import MAXFramework

/// A "digit" model for the adapters' tests, taking a file (its first byte mod 10 is the digit;
/// "BAD" is refused) or a JSON row of numbers (their sum mod 10; a member "boom" is refused).
struct ToyDigitModel: ModelWrapper {
    struct Digit: Encodable { let prediction: Int; let probability: Double }
    var metadata: ModelMetadata {
        ModelMetadata(id: "toy", name: "Toy digits", description: "First byte or sum, mod 10", type: "Test", source: "tests", license: "MIT")
    }
    var input: ModelInputSpec {
        ModelInputSpec(files: FileInputSpec(fieldNames: ["file", "image"], description: "bytes"),
                       json: JSONInputSpec(schema: .object([], additionalProperties: Schema.number.range(0, 255)),
                                           description: "numbers", maxListItems: 8))
    }
    var output: ModelOutputSchema { ModelOutputSchema(properties: [SchemaProperty("prediction", .integer, "digit")]) }

    func preProcess(_ input: ModelInput) throws -> Int {
        if let row = input.json?.objectMembers {
            if row.contains(where: { $0.key == "boom" }) { throw ModelError.unprocessable("body.boom: not a pixel") }
            return row.compactMap { $0.value.doubleValue }.reduce(0) { $0 + Int($1) }
        }
        if input.bytes.starts(with: Array("BAD".utf8)) { throw ModelError.badRequest("not an image") }
        return Int(input.bytes.first ?? 0)
    }
    func predict(_ value: Int) throws -> Int { value % 10 }
    func postProcess(_ digit: Int, for input: ModelInput) throws -> [Digit] { [Digit(prediction: digit, probability: 0.5)] }

    static let plugin = ModelPlugin(name: "toy") { _ in ToyDigitModel() }
}
