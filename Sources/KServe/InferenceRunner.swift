import Foundation
import MAXFramework

/// One output tensor of an answer, with its batch axis.
struct OutputTensor {
    var name: String
    var datatype: TensorDataType
    var shape: [Int]
    var values: TensorValues
}

/// Runs an inference request on a served model. A `TensorModel` takes its numeric input in its
/// own shape, batched along the first axis, or encoded files as BYTES through its own
/// pre-processing; any other model takes BYTES items (files, or JSON documents for a JSON model)
/// through its ordinary pipeline and answers each item's predictions as JSON text.
enum InferenceRunner {
    /// Items per call into the engine: large batches are split so memory stays bounded.
    static let chunkSize = 64

    static func run(_ request: InferenceRequest, on served: ServedModel) throws -> [OutputTensor] {
        let model = served.model
        if let tensorModel = model.wrapper as? TensorModel {
            return try runTensors(request, tensorModel, served: served, labels: model.labels)
        }
        return try runPipeline(request, served: served)
    }

    /// The inputs a model declares in its v2 metadata, each with the batch axis as -1.
    static func declaredInputs(_ model: AnyModel) -> [TensorSpec] {
        if let tensorModel = model.wrapper as? TensorModel {
            return [tensorModel.tensorInput] + (tensorModel.encodedInput.map { [$0] } ?? [])
        }
        return [pipelineInput]
    }

    static func declaredOutputs(_ model: AnyModel) -> [TensorSpec] {
        if let tensorModel = model.wrapper as? TensorModel { return tensorModel.tensorOutputs }
        return [pipelineOutput]
    }

    static let pipelineInput = TensorSpec(name: "input", datatype: .bytes, shape: [1])
    static let pipelineOutput = TensorSpec(name: "predictions", datatype: .bytes, shape: [1])

    // MARK: Tensor models

    private static func runTensors(_ request: InferenceRequest, _ model: TensorModel, served: ServedModel,
                                   labels: [ModelLabel]?) throws -> [OutputTensor] {
        let spec = model.tensorInput
        let names = ([spec] + (model.encodedInput.map { [$0] } ?? [])).map { "'\($0.name)'" }.joined(separator: " or ")
        guard request.inputs.count == 1 else {
            throw KServeError("this model takes one input (\(names)); the request has \(request.inputs.count)")
        }
        let input = request.inputs[0]
        let observer = served.observer
        let count: Int
        var items: [Float]
        if input.name == spec.name {
            guard case .numbers(let values) = input.values else {
                throw KServeError("input '\(spec.name)' takes numbers (\(spec.datatype.rawValue)), not \(input.datatype.rawValue)")
            }
            guard input.shape.count == spec.shape.count + 1, Array(input.shape.dropFirst()) == spec.shape, input.shape[0] >= 1 else {
                throw KServeError("input '\(spec.name)' has shape \(input.shape); the model takes \([-1] + spec.shape) (a batch of \(spec.shape))")
            }
            count = input.shape[0]
            items = values
        } else if let encoded = model.encodedInput, input.name == encoded.name {
            guard case .bytes(let files) = input.values else {
                throw KServeError("input '\(encoded.name)' takes BYTES (an encoded file per item), not \(input.datatype.rawValue)")
            }
            guard (input.shape.count == 1 || (input.shape.count == 2 && input.shape[1] == 1)), input.shape[0] >= 1 else {
                throw KServeError("input '\(encoded.name)' has shape \(input.shape); it takes [N] or [N, 1], one file per item")
            }
            count = files.count
            items = []
            items.reserveCapacity(count * spec.itemCount)
            for (index, file) in files.enumerated() {
                let started = MonotonicClock.now()
                do {
                    let item = try model.tensorItem(from: ModelInput(bytes: file))
                    guard item.count == spec.itemCount else {
                        throw ModelFailure(stage: "pre-processing", underlying: KServeError(.internalServerError, "item of \(item.count) values, expected \(spec.itemCount)"))
                    }
                    items += item
                } catch let refusal as HTTPResponseError {
                    observer?.observe(outcome: .clientError)
                    throw KServeError(refusal.status.code == 413 ? .payloadTooLarge : .badRequest,
                                      "input '\(encoded.name)' item \(index): \(refusal.message)")
                }
                observer?.observe(.preprocess, seconds: MonotonicClock.now() - started, items: 1)
            }
        } else {
            throw KServeError("unknown input '\(input.name)'; this model takes \(names)")
        }

        let outputs = model.tensorOutputs
        var values = [[Float]](repeating: [], count: outputs.count)
        for (index, output) in outputs.enumerated() { values[index].reserveCapacity(count * output.itemCount) }
        var start = 0
        while start < count {
            let size = min(chunkSize, count - start)
            let chunk = Array(items[(start * spec.itemCount)..<((start + size) * spec.itemCount)])
            let started = MonotonicClock.now()
            let results: [[Float]]
            do {
                results = try model.inferTensors(chunk, count: size)
            } catch {
                observer?.observe(outcome: .error)
                throw ModelFailure(stage: "inference", underlying: error)
            }
            observer?.observe(.inference, seconds: MonotonicClock.now() - started, items: size)
            guard results.count == outputs.count else {
                throw ModelFailure(stage: "inference", underlying: KServeError(.internalServerError, "\(results.count) outputs, expected \(outputs.count)"))
            }
            for (index, output) in outputs.enumerated() {
                guard results[index].count == size * output.itemCount else {
                    throw ModelFailure(stage: "inference", underlying: KServeError(.internalServerError, "output '\(output.name)' has \(results[index].count) values"))
                }
                values[index] += results[index]
            }
            start += size
        }
        for _ in 0..<count { observer?.observe(outcome: .ok) }
        var tensors = zip(outputs, values).map { spec, data in
            OutputTensor(name: spec.name, datatype: .fp32, shape: [count] + spec.shape, values: .numbers(data))
        }
        // Triton's classification extension, for outputs requested with parameters.classification = k.
        for requested in request.outputs ?? [] where requested.classCount > 0 {
            guard let index = tensors.firstIndex(where: { $0.name == requested.name }),
                  case .numbers(let data) = tensors[index].values else { continue }
            tensors[index] = classification(data, count: count, classes: outputs[index].itemCount,
                                            top: requested.classCount, labels: labels, name: requested.name)
        }
        return tensors
    }

    /// Each item's top `top` classes as `"score:index:label"` strings, best first.
    static func classification(_ data: [Float], count: Int, classes: Int, top: Int, labels: [ModelLabel]?,
                               name: String) -> OutputTensor {
        let k = min(top, classes)
        var strings: [[UInt8]] = []
        for item in 0..<count {
            let scores = data[(item * classes)..<((item + 1) * classes)]
            let ranked = scores.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            for (index, score) in ranked.prefix(k) {
                var text = "\(score):\(index)"
                if let labels, index < labels.count { text += ":\(labels[index].name)" }
                strings.append(Array(text.utf8))
            }
        }
        return OutputTensor(name: name, datatype: .bytes, shape: [count, k], values: .bytes(strings))
    }

    // MARK: Any other model

    private static func runPipeline(_ request: InferenceRequest, served: ServedModel) throws -> [OutputTensor] {
        let spec = pipelineInput
        guard request.inputs.count == 1, let input = request.inputs.first, input.name == spec.name else {
            throw KServeError("this model takes one BYTES input '\(spec.name)' (a file or JSON document per item)")
        }
        guard case .bytes(let elements) = input.values, !elements.isEmpty,
              input.shape.count == 1 || (input.shape.count == 2 && input.shape[1] == 1) else {
            throw KServeError("input '\(spec.name)' takes BYTES of shape [N] or [N, 1], one file or JSON document per item")
        }
        let model = served.model
        let inputs: [ModelInput] = try elements.enumerated().map { index, element in
            if model.input.files != nil { return ModelInput(bytes: element) }
            do {
                return ModelInput(.json(try JSONValue.parse(element)))
            } catch {
                throw KServeError("input '\(spec.name)' item \(index): not a JSON document (\(error))")
            }
        }
        let results = served.run(inputs)
        let texts: [[UInt8]] = try results.enumerated().map { index, result in
            switch result {
            case .success(let answer):
                return Array(JSONValue.array(answer.predictions).serialized.utf8)
            case .failure(let refusal as HTTPResponseError):
                throw KServeError(refusal.status.code == 413 ? .payloadTooLarge : .badRequest, "input '\(spec.name)' item \(index): \(refusal.message)")
            case .failure(let error):
                throw error
            }
        }
        return [OutputTensor(name: pipelineOutput.name, datatype: .bytes, shape: [texts.count, 1], values: .bytes(texts))]
    }
}
