import Foundation
import MAXFramework

/// A test-only plugin that needs no image decoder: it answers the upload's length and byte sum,
/// refuses uploads starting with "BAD" as the client's fault, and fails with an internal error on
/// "CRASH", so every path of the framework can be driven.
struct ByteStatsModel: ModelWrapper {
    struct Summary: Encodable, Equatable {
        let length: Int
        let sum: Int
        let topK: Int?
        let fileName: String?
        enum CodingKeys: String, CodingKey { case length, sum, topK = "top_k", fileName = "file_name" }
    }

    struct InternalFailure: Error, CustomStringConvertible { var description: String { "secret internal detail" } }

    var metadata: ModelMetadata {
        ModelMetadata(id: "byte-stats", name: "Byte Statistics", description: "Length and sum of the uploaded bytes",
                      type: "Test", source: "tests", license: "Apache-2.0")
    }

    var input: ModelInputSpec {
        .files(FileInputSpec(fieldNames: ["file", "image"], contentTypes: ["image/png", "application/octet-stream"],
                             description: "Any file", maxFiles: 4),
               queryParameters: [QueryParameter(name: "top_k", type: .integer, description: "echoed back", defaultValue: .int(1))])
    }

    var output: ModelOutputSchema {
        ModelOutputSchema(properties: [
            SchemaProperty("length", .integer, "bytes uploaded"),
            SchemaProperty("sum", .integer, "sum of the bytes"),
            SchemaProperty("top_k", .integer, "the query parameter, if sent"),
            SchemaProperty("file_name", .string, "the uploaded file's name"),
        ])
    }

    func preProcess(_ input: ModelInput) throws -> [UInt8] {
        if input.bytes.starts(with: Array("BAD".utf8)) { throw ModelError.badRequest("the upload starts with BAD") }
        return input.bytes
    }

    func predict(_ bytes: [UInt8]) throws -> (length: Int, sum: Int) {
        if bytes.starts(with: Array("CRASH".utf8)) { throw InternalFailure() }
        return (bytes.count, bytes.reduce(0) { $0 + Int($1) })
    }

    func postProcess(_ output: (length: Int, sum: Int), for input: ModelInput) throws -> [Summary] {
        let topK = try input.queryValue("top_k").map { text -> Int in
            guard let number = Int(text), number > 0 else { throw ModelError.badRequest("top_k must be a positive whole number, got '\(text)'") }
            return number
        }
        return [Summary(length: output.length, sum: output.sum, topK: topK, fileName: input.fileName)]
    }

    static let plugin = ModelPlugin(name: "byte-stats") { _ in ByteStatsModel() }
}
