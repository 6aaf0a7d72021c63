import MAXFramework

/// A `POST /v2/models/{name}/infer` body: `{"id"?, "parameters"?, "inputs": [...], "outputs"?: [...]}`,
/// either all JSON or, with Triton's binary extension, a JSON header of
/// `Inference-Header-Content-Length` bytes followed by the inputs' binary data.
struct InferenceRequest {
    struct Input {
        var name: String
        var datatype: TensorDataType
        var shape: [Int]
        var values: TensorValues
    }

    struct RequestedOutput {
        var name: String
        /// `parameters.binary_data`; nil leaves it to the request's `binary_data_output`.
        var binary: Bool?
        /// `parameters.classification` (Triton's classification extension): top classes as text.
        var classCount: Int
    }

    var id: String?
    var inputs: [Input]
    /// nil: every output.
    var outputs: [RequestedOutput]?
    /// `parameters.binary_data_output`: outputs in binary unless they say otherwise.
    var binaryOutputs: Bool

    /// Most elements one request may carry, whatever its body size (a shape like [1e9] with no data).
    static let maxElements = 64 * 1024 * 1024

    static func parse(body: [UInt8], headerLength: String?) throws -> InferenceRequest {
        var jsonEnd = body.count
        if let headerLength {
            guard let length = Int(headerLength.trimmingCharacters(in: .whitespaces)), length >= 0, length <= body.count else {
                throw KServeError("Inference-Header-Content-Length '\(headerLength)' is not a length within the \(body.count)-byte body")
            }
            jsonEnd = length
        }
        let header: JSONValue
        do {
            header = try JSONValue.parse(Array(body[0..<jsonEnd]))
        } catch let error as JSONParseError {
            throw KServeError("the inference request is not valid JSON: \(error)")
        }
        guard header.objectMembers != nil else { throw KServeError("the inference request must be a JSON object") }

        let id: String?
        switch header["id"] {
        case nil, .null?: id = nil
        case .string(let text)?: id = text
        case let other?: throw KServeError("'id' must be a string, got \(other.kindDescription)")
        }
        let binaryOutputs = try parameters(header["parameters"], place: "parameters")?["binary_data_output"]
            .map { value -> Bool in
                guard let flag = value.boolValue else { throw KServeError("parameters.binary_data_output must be a boolean") }
                return flag
            } ?? false

        guard let inputItems = header["inputs"]?.arrayValue, !inputItems.isEmpty else {
            throw KServeError("the inference request needs a non-empty 'inputs' array")
        }
        var binary = body[jsonEnd...]
        var inputs: [Input] = []
        for (index, item) in inputItems.enumerated() {
            inputs.append(try input(item, index: index, binary: &binary, hasBinary: headerLength != nil))
        }
        guard binary.isEmpty else {
            throw KServeError("\(binary.count) byte(s) of binary data follow the inputs' binary_data_size")
        }
        var outputs: [RequestedOutput]?
        if let outputValue = header["outputs"] {
            guard let items = outputValue.arrayValue else { throw KServeError("'outputs' must be an array") }
            outputs = try items.enumerated().map { index, item in
                guard let name = item["name"]?.stringValue else { throw KServeError("outputs[\(index)] needs a 'name' string") }
                let parameters = try Self.parameters(item["parameters"], place: "outputs[\(index)].parameters")
                let binaryFlag = try parameters?["binary_data"].map { value -> Bool in
                    guard let flag = value.boolValue else { throw KServeError("outputs[\(index)].parameters.binary_data must be a boolean") }
                    return flag
                }
                let classCount = try parameters?["classification"].map { value -> Int in
                    guard let count = value.intValue, count >= 0 else {
                        throw KServeError("outputs[\(index)].parameters.classification must be a whole number")
                    }
                    return count
                } ?? 0
                return RequestedOutput(name: name, binary: binaryFlag, classCount: classCount)
            }
        }
        return InferenceRequest(id: id, inputs: inputs, outputs: outputs, binaryOutputs: binaryOutputs)
    }

    private static func parameters(_ value: JSONValue?, place: String) throws -> JSONValue? {
        guard let value, value != .null else { return nil }
        guard value.objectMembers != nil else { throw KServeError("\(place) must be an object") }
        return value
    }

    private static func input(_ item: JSONValue, index: Int, binary: inout ArraySlice<UInt8>, hasBinary: Bool) throws -> Input {
        guard let name = item["name"]?.stringValue else { throw KServeError("inputs[\(index)] needs a 'name' string") }
        guard let typeName = item["datatype"]?.stringValue else { throw KServeError("input '\(name)' needs a 'datatype' string") }
        guard let datatype = TensorDataType(rawValue: typeName) else {
            throw KServeError("input '\(name)': unknown datatype '\(typeName)' (one of \(TensorDataType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let shapeItems = item["shape"]?.arrayValue else { throw KServeError("input '\(name)' needs a 'shape' array") }
        var shape: [Int] = []
        var count = 1
        for dimension in shapeItems {
            guard let size = dimension.intValue, size >= 0 else {
                throw KServeError("input '\(name)': shape \(JSONValue.array(shapeItems).serialized) must hold whole numbers >= 0")
            }
            shape.append(size)
            count = count.multipliedReportingOverflow(by: size).overflow ? Int.max : count * size
        }
        guard count <= maxElements else {
            throw KServeError("input '\(name)': shape \(shape) holds \(count) elements; at most \(maxElements) are taken")
        }
        let parameters = try Self.parameters(item["parameters"], place: "input '\(name)' parameters")
        if let sizeValue = parameters?["binary_data_size"] {
            guard hasBinary else {
                throw KServeError("input '\(name)' has binary_data_size but the request has no Inference-Header-Content-Length header")
            }
            guard let size = sizeValue.intValue, size >= 0, size <= binary.count else {
                throw KServeError("input '\(name)': binary_data_size \(sizeValue.serialized) exceeds the \(binary.count) byte(s) of binary data left")
            }
            let slice = binary.prefix(size)
            binary = binary.dropFirst(size)
            return Input(name: name, datatype: datatype, shape: shape,
                         values: try TensorCoding.decodeBinary(slice, datatype: datatype, count: count, input: name))
        }
        guard let data = item["data"] else { throw KServeError("input '\(name)' has neither 'data' nor parameters.binary_data_size") }
        return Input(name: name, datatype: datatype, shape: shape,
                     values: try TensorCoding.decodeJSON(data, datatype: datatype, count: count, input: name))
    }
}
