import Kernels

/// A model as a list of steps in execution order. Node 0 is the model input; every other node
/// either runs an operation or aliases an earlier node's buffer (layers that only reshape, and
/// layers folded into their producer).
struct GraphNode {
    let name: String
    var operation: Operation?
    var inputs: [Int]
    let shape: [Int]
    let sampleSize: Int
    /// When set, this node's output is that node's buffer.
    var aliasOf: Int?
}

/// Per layer, what the summary reports.
struct LayerRecord {
    let name: String
    let className: String
    let outputShape: [Int]
    let trainableParameters: Int
    let nonTrainableParameters: Int
    let inboundLayers: [String]
}

struct ExecutionGraph {
    var nodes: [GraphNode]
    let outputNode: Int
    let layers: [LayerRecord]

    /// Follows aliases to the node that owns the buffer.
    func owner(of node: Int) -> Int {
        var current = node
        var steps = 0
        while let target = nodes[current].aliasOf, steps < nodes.count {
            current = target
            steps += 1
        }
        return current
    }

    /// Builds the graph: resolves every layer call in dependency order, then folds
    /// BatchNormalization and Activation layers into the convolution or Dense before them.
    static func build(topology: ModelTopology, weights: LayerWeights, kernels: any KernelSet.Type) throws
        -> ExecutionGraph {
        var nodes: [GraphNode] = []
        var produced: [TensorReference: Int] = [:]
        let inputSize = try LayerFactory.elementCount(
            topology.inputShape, LayerConfig(className: "InputLayer", name: topology.input.layer, values: [:]))
        nodes.append(GraphNode(name: topology.input.layer, operation: nil, inputs: [], shape: topology.inputShape,
                               sampleSize: inputSize, aliasOf: nil))
        produced[topology.input] = 0
        var records: [String: LayerRecord] = [:]
        records[topology.input.layer] = LayerRecord(name: topology.input.layer, className: "InputLayer",
                                                    outputShape: topology.inputShape, trainableParameters: 0,
                                                    nonTrainableParameters: 0, inboundLayers: [])

        // Pending calls: (layer index, call index). Resolve those whose inputs exist until none move.
        var pending: [(Int, Int)] = []
        for (index, layer) in topology.layers.enumerated() where layer.name != topology.input.layer {
            if layer.className == "InputLayer" {
                throw KerasError.invalidModelConfig("input layer '\(layer.name)' is not the model's input (one input is supported)")
            }
            for call in layer.calls.indices { pending.append((index, call)) }
        }
        while !pending.isEmpty {
            var remaining: [(Int, Int)] = []
            for (layerIndex, callIndex) in pending {
                let layer = topology.layers[layerIndex]
                let references = layer.calls[callIndex]
                let sources = references.compactMap { produced[$0] }
                guard sources.count == references.count else {
                    remaining.append((layerIndex, callIndex))
                    continue
                }
                let plan = try LayerFactory.make(layer.config, inputs: sources.map { nodes[$0].shape },
                                                 weights: weights, flavor: topology.flavor)
                let nodeId = try append(plan, name: layer.name, sources: sources, to: &nodes)
                produced[TensorReference(layer: layer.name, nodeIndex: callIndex, tensorIndex: 0)] = nodeId
                if records[layer.name] == nil {
                    records[layer.name] = record(layer, shape: plan.outputShape, weights: weights)
                }
            }
            guard remaining.count < pending.count else {
                let stuck = remaining.map { topology.layers[$0.0].name }
                throw KerasError.invalidModelConfig("layers \(stuck) take inputs no layer produces")
            }
            pending = remaining
        }
        guard let output = produced[topology.output] else {
            throw KerasError.invalidModelConfig("the output '\(topology.output.layer)' is never computed")
        }
        var graph = ExecutionGraph(nodes: nodes, outputNode: output,
                                   layers: topology.layers.compactMap { records[$0.name] })
        graph.fold()
        for node in graph.nodes { node.operation?.prepare(kernels: kernels) }
        return graph
    }

    private static func append(_ plan: LayerPlan, name: String, sources: [Int], to nodes: inout [GraphNode]) throws -> Int {
        switch plan {
        case let .identity(shape):
            guard sources.count == 1 else { throw KerasError.invalidModelConfig("'\(name)' takes one input") }
            nodes.append(GraphNode(name: name, operation: nil, inputs: sources, shape: shape,
                                   sampleSize: nodes[sources[0]].sampleSize, aliasOf: sources[0]))
        case let .operations(steps):
            var inputs = sources
            for (index, (operation, shape)) in steps.enumerated() {
                let size = shape.reduce(1, *)
                nodes.append(GraphNode(name: index == steps.count - 1 ? name : "\(name)/step\(index)",
                                       operation: operation, inputs: inputs, shape: shape, sampleSize: size, aliasOf: nil))
                inputs = [nodes.count - 1]
            }
        }
        return nodes.count - 1
    }

    private static func record(_ layer: LayerSpec, shape: [Int], weights: LayerWeights) -> LayerRecord {
        let stored = weights[layer.name] ?? []
        let counts = stored.map(\.values.count)
        var nonTrainable = 0
        switch layer.className {
        case "BatchNormalization": nonTrainable = counts.suffix(2).reduce(0, +)
        case "Normalization": nonTrainable = counts.reduce(0, +)
        default: break
        }
        let inbound = layer.calls.first?.map(\.layer) ?? []
        return LayerRecord(name: layer.name, className: layer.className, outputShape: shape,
                           trainableParameters: counts.reduce(0, +) - nonTrainable,
                           nonTrainableParameters: nonTrainable, inboundLayers: inbound)
    }

    /// How many operations read each node's buffer (through aliases), counting the output as a reader.
    private func readers() -> [Int] {
        var count = [Int](repeating: 0, count: nodes.count)
        for node in nodes where node.aliasOf == nil {
            for input in node.inputs { count[owner(of: input)] += 1 }
        }
        count[owner(of: outputNode)] += 1
        return count
    }

    /// BatchNormalization after a linear Conv2D/DepthwiseConv2D/Dense folds into its weights; an
    /// Activation layer after a linear one becomes its activation; BatchNormalization after a
    /// Conv2D/Dense whose activation the kernels fuse (ReLU, ReLU6) is applied as the results are
    /// stored. Only when nothing else reads the producer's output, which would otherwise change.
    private mutating func fold() {
        for index in nodes.indices {
            guard let operation = nodes[index].operation, nodes[index].inputs.count == 1 else { continue }
            let producer = owner(of: nodes[index].inputs[0])
            guard let foldable = nodes[producer].operation as? ChannelAffineFoldable,
                  readers()[producer] == 1 else { continue }
            let batchNormalization = (operation as? ChannelAffineOperation).flatMap { affine -> ([Float], [Float])? in
                guard affine.foldable, affine.channels == foldable.outputChannels,
                      case let .scaleShift(scale, shift) = affine.form else { return nil }
                return (scale, shift)
            }
            if foldable.activation != .linear {
                guard let (scale, shift) = batchNormalization,
                      foldable.foldAfterActivation(scale: scale, shift: shift) else { continue }
            } else if let (scale, shift) = batchNormalization {
                foldable.fold(scale: scale, shift: shift)
            } else if let activation = operation as? ActivationOperation,
                      nodes[index].shape.last == foldable.outputChannels {
                foldable.activation = activation.activation
            } else {
                continue
            }
            nodes[index].operation = nil
            nodes[index].aliasOf = producer
        }
    }
}
