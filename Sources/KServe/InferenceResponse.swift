import MAXFramework

/// An inference answer: `{"model_name", "model_version", "id", "outputs": [...]}` as JSON, or with
/// Triton's binary extension the JSON header (outputs marked with `binary_data_size`) followed by
/// the binary outputs, its length in `Inference-Header-Content-Length`.
enum InferenceResponse {
    static func encode(model: String, version: String, id: String, outputs: [OutputTensor],
                       request: InferenceRequest) throws -> HTTPResponse {
        let chosen: [(tensor: OutputTensor, binary: Bool)]
        if let requested = request.outputs {
            chosen = try requested.map { wanted in
                guard let tensor = outputs.first(where: { $0.name == wanted.name }) else {
                    throw KServeError("unknown output '\(wanted.name)'; the model gives \(outputs.map { "'\($0.name)'" }.joined(separator: ", "))")
                }
                return (tensor, wanted.binary ?? request.binaryOutputs)
            }
        } else {
            chosen = outputs.map { ($0, request.binaryOutputs) }
        }
        var blobs: [UInt8] = []
        let entries: [JSONValue] = chosen.map { tensor, binary in
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(tensor.name)), ("datatype", .string(tensor.datatype.rawValue)),
                ("shape", .array(tensor.shape.map { .int($0) })),
            ]
            if binary {
                let bytes: [UInt8]
                switch tensor.values {
                case .numbers(let values): bytes = TensorCoding.encodeBinary(values)
                case .bytes(let values): bytes = TensorCoding.encodeBinary(values)
                }
                blobs += bytes
                members.append(("parameters", .object([("binary_data_size", .int(bytes.count))])))
            } else {
                switch tensor.values {
                // Each FP32 value as its shortest decimal (0.9999999, not 0.9999998807907104): it
                // reads back as the same Float.
                case .numbers(let values): members.append(("data", .array(values.map { .number(Double("\($0)") ?? Double($0)) })))
                case .bytes(let values): members.append(("data", .array(values.map { .string(String(decoding: $0, as: UTF8.self)) })))
                }
            }
            return .object(members)
        }
        let header = JSONValue.object([
            ("model_name", .string(model)), ("model_version", .string(version)), ("id", .string(id)),
            ("outputs", .array(entries)),
        ]).serialized
        if blobs.isEmpty && !chosen.contains(where: \.binary) {
            return .json(.ok, header)
        }
        let headerBytes = Array(header.utf8)
        return HTTPResponse(status: .ok,
                            headers: ["Content-Type": "application/octet-stream",
                                      "Inference-Header-Content-Length": String(headerBytes.count)],
                            body: headerBytes + blobs)
    }
}
