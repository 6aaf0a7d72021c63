import Foundation

/// A reference to one output of one call of a layer: Keras's (layer name, node index, tensor index).
package struct TensorReference: Hashable {
    package let layer: String
    package let nodeIndex: Int
    package let tensorIndex: Int
}

/// A layer as the configuration describes it, with the inputs of each time it is called.
package struct LayerSpec {
    package let config: LayerConfig
    /// For each call of the layer (usually one), the tensors it receives.
    package var calls: [[TensorReference]]
    package var name: String { config.name }
    package var className: String { config.className }
}

/// A model configuration reduced to what inference needs: layers and their connections, in a
/// form shared by Sequential and Functional models of Keras 2 and Keras 3.
package struct ModelTopology {
    package var layers: [LayerSpec]
    package var input: TensorReference
    package var output: TensorReference
    /// Shape of one input sample (without the batch axis).
    package var inputShape: [Int]
    package var flavor: KerasFlavor
    package var modelName: String

    /// Parses `model.to_json()` / the `model_config` attribute / a .keras archive's config.json.
    /// `versionHint` is the `keras_version` stored beside it, when there is one.
    package static func parse(json: [UInt8], versionHint: String? = nil) throws -> ModelTopology {
        try parseWithClass(json: json, versionHint: versionHint).0
    }

    /// The topology of `json` and whether it is a Sequential model (not a Functional one), from
    /// one parse of the JSON (Foundation's parser is most of a small model's load time).
    package static func parseWithClass(json: [UInt8], versionHint: String? = nil) throws -> (ModelTopology, sequential: Bool) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            throw KerasError.invalidModelConfig("the model configuration is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw KerasError.invalidModelConfig("the model configuration is not a JSON object")
        }
        return (try parse(root: root, versionHint: versionHint), root["class_name"] as? String == "Sequential")
    }

    static func parse(root: [String: Any], versionHint: String?) throws -> ModelTopology {
        let flavor = detectFlavor(root: root, versionHint: versionHint)
        guard let className = root["class_name"] as? String else {
            throw KerasError.invalidModelConfig("no 'class_name' at the top of the configuration")
        }
        let body = root["config"]
        switch className {
        case "Sequential":
            return try parseSequential(body, flavor: flavor)
        case "Functional", "Model":
            guard let config = body as? [String: Any] else {
                throw KerasError.invalidModelConfig("the \(className) model has no 'config' object")
            }
            return try parseFunctional(config, flavor: flavor)
        default:
            throw KerasError.invalidModelConfig(
                "top-level class '\(className)' is not a Sequential or Functional model")
        }
    }

    /// Keras 3 marks its configurations with `module` keys and `batch_shape`; the stored version
    /// string, when present, decides.
    static func detectFlavor(root: [String: Any], versionHint: String?) -> KerasFlavor {
        if let versionHint, let major = versionHint.split(separator: ".").first.flatMap({ Int($0) }) {
            return major >= 3 ? .keras3 : .keras2
        }
        if root["module"] != nil { return .keras3 }
        if let config = root["config"] as? [String: Any], let layers = config["layers"] as? [[String: Any]],
           layers.contains(where: { $0["module"] != nil || (($0["config"] as? [String: Any])?["batch_shape"] != nil) }) {
            return .keras3
        }
        return .keras2
    }

    private static func layerConfig(_ entry: Any, flavor: KerasFlavor) throws -> LayerConfig {
        guard let object = entry as? [String: Any], let className = object["class_name"] as? String else {
            throw KerasError.invalidModelConfig("a layer entry has no 'class_name'")
        }
        let values = object["config"] as? [String: Any] ?? [:]
        guard let name = (values["name"] as? String) ?? (object["name"] as? String) else {
            throw KerasError.invalidModelConfig("a \(className) layer has no name")
        }
        return LayerConfig(className: className, name: name, values: values)
    }

    private static func parseSequential(_ body: Any?, flavor: KerasFlavor) throws -> ModelTopology {
        // Keras <= 2.1 stored the layer list itself; later versions {"name", "layers"}.
        let entries: [Any]
        var modelName = "sequential"
        if let list = body as? [Any] {
            entries = list
        } else if let config = body as? [String: Any], let list = config["layers"] as? [Any] {
            entries = list
            modelName = config["name"] as? String ?? modelName
        } else {
            throw KerasError.invalidModelConfig("the Sequential model has no layer list")
        }
        var configs = try entries.map { try layerConfig($0, flavor: flavor) }
        guard let first = configs.first else { throw KerasError.invalidModelConfig("the model has no layers") }
        try rejectNestedModels(configs)
        // The input: an explicit InputLayer, or the first layer's batch_input_shape / batch_shape.
        let inputShape: [Int]
        if first.className == "InputLayer" {
            inputShape = try declaredInputShape(first)
        } else {
            inputShape = try declaredInputShape(first)
            configs.insert(LayerConfig(className: "InputLayer", name: first.name + "_input", values: [:]), at: 0)
        }
        var specs: [LayerSpec] = []
        var seen = Set<String>()
        for (index, config) in configs.enumerated() {
            guard seen.insert(config.name).inserted else {
                throw KerasError.invalidModelConfig("two layers are named '\(config.name)'")
            }
            let calls: [[TensorReference]] = index == 0
                ? [] : [[TensorReference(layer: configs[index - 1].name, nodeIndex: 0, tensorIndex: 0)]]
            specs.append(LayerSpec(config: config, calls: calls))
        }
        guard let last = configs.last else { throw KerasError.invalidModelConfig("the model has no layers") }
        return ModelTopology(layers: specs, input: TensorReference(layer: configs[0].name, nodeIndex: 0, tensorIndex: 0),
                             output: TensorReference(layer: last.name, nodeIndex: 0, tensorIndex: 0),
                             inputShape: inputShape, flavor: flavor, modelName: modelName)
    }

    private static func parseFunctional(_ config: [String: Any], flavor: KerasFlavor) throws -> ModelTopology {
        guard let entries = config["layers"] as? [Any], !entries.isEmpty else {
            throw KerasError.invalidModelConfig("the Functional model has no layers")
        }
        var specs: [LayerSpec] = []
        var seen = Set<String>()
        for entry in entries {
            let layer = try layerConfig(entry, flavor: flavor)
            guard seen.insert(layer.name).inserted else {
                throw KerasError.invalidModelConfig("two layers are named '\(layer.name)'")
            }
            let inbound = (entry as? [String: Any])?["inbound_nodes"] as? [Any] ?? []
            let calls = try inbound.map { try parseCall($0, layer: layer.name) }
            specs.append(LayerSpec(config: layer, calls: calls))
        }
        try rejectNestedModels(specs.map(\.config))
        let inputs = try referenceList(config["input_layers"], what: "input_layers")
        let outputs = try referenceList(config["output_layers"], what: "output_layers")
        guard inputs.count == 1 else {
            throw KerasError.invalidModelConfig("the model has \(inputs.count) inputs; exactly one is supported")
        }
        guard outputs.count == 1 else {
            throw KerasError.invalidModelConfig("the model has \(outputs.count) outputs; exactly one is supported")
        }
        guard let inputLayer = specs.first(where: { $0.name == inputs[0].layer }) else {
            throw KerasError.invalidModelConfig("the input layer '\(inputs[0].layer)' is not among the layers")
        }
        return ModelTopology(layers: specs, input: inputs[0], output: outputs[0],
                             inputShape: try declaredInputShape(inputLayer.config), flavor: flavor,
                             modelName: config["name"] as? String ?? "model")
    }

    /// A Sequential or Functional model used as a layer is not supported yet; say so by name.
    private static func rejectNestedModels(_ configs: [LayerConfig]) throws {
        if let nested = configs.first(where: { ["Sequential", "Functional", "Model"].contains($0.className) }) {
            throw KerasError.unsupportedLayer(className: nested.className, name: nested.name)
        }
    }

    /// One entry of `inbound_nodes`. Keras 2: [[layer, node, tensor, kwargs], ...].
    /// Keras 3: {"args": [tensor or [tensors]], "kwargs": {...}} with tensors carrying keras_history.
    private static func parseCall(_ call: Any, layer: String) throws -> [TensorReference] {
        if let list = call as? [Any] {
            return try list.map { try reference($0, context: "an input of '\(layer)'") }
        }
        if let object = call as? [String: Any], let args = object["args"] as? [Any] {
            var references: [TensorReference] = []
            func collect(_ value: Any) throws {
                if let tensor = value as? [String: Any] {
                    guard let history = (tensor["config"] as? [String: Any])?["keras_history"] else {
                        throw KerasError.invalidModelConfig("an input of '\(layer)' has no keras_history")
                    }
                    references.append(try reference(history, context: "an input of '\(layer)'"))
                } else if let list = value as? [Any] {
                    for item in list { try collect(item) }
                }
            }
            for argument in args { try collect(argument) }
            return references
        }
        throw KerasError.invalidModelConfig("the inbound nodes of '\(layer)' are malformed")
    }

    private static func reference(_ value: Any, context: String) throws -> TensorReference {
        guard let triple = value as? [Any], triple.count >= 3, let layer = triple[0] as? String,
              let node = (triple[1] as? NSNumber)?.intValue, let tensor = (triple[2] as? NSNumber)?.intValue,
              node >= 0, tensor >= 0 else {
            throw KerasError.invalidModelConfig("\(context) is not a [layer, node, tensor] reference")
        }
        return TensorReference(layer: layer, nodeIndex: node, tensorIndex: tensor)
    }

    /// input_layers / output_layers: a list of triples, or (Keras 3, one tensor) a single triple.
    private static func referenceList(_ value: Any?, what: String) throws -> [TensorReference] {
        guard let list = value as? [Any] else { throw KerasError.invalidModelConfig("'\(what)' is missing") }
        if list.first is String { return [try reference(list, context: what)] }
        return try list.map { try reference($0, context: what) }
    }

    private static func declaredInputShape(_ config: LayerConfig) throws -> [Int] {
        let raw = try config.shape("batch_input_shape") ?? config.shape("batch_shape")
            ?? config.shape("input_shape").map { [nil] + $0 }
        guard let raw, raw.count >= 2 else {
            throw KerasError.invalidModelConfig(
                "layer '\(config.name)' declares no input shape (batch_input_shape or batch_shape)")
        }
        var shape: [Int] = []
        for dimension in raw.dropFirst() {
            guard let dimension, dimension > 0 else {
                throw KerasError.unsupportedSetting(className: config.className, name: config.name,
                                                    reason: "input dimensions must all be known, found \(raw)")
            }
            shape.append(dimension)
        }
        return shape
    }
}
