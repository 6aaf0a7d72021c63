import Foundation
import Kernels

/// A Keras model ready for inference: loaded once, then shared freely between threads.
///
///     let model = try KerasModel.load(path: "assets/mnist.h5")
///     let probabilities = try model.predict(pixels, batchSize: 1)
///
/// Weights are held once; each concurrent prediction borrows a workspace from a pool, so after
/// warm-up `predict(input:batchSize:output:)` allocates nothing.
public final class KerasModel: @unchecked Sendable {
    /// Shape of one input sample, without the batch axis (for MNIST: [28, 28, 1]).
    public let inputShape: [Int]
    /// Shape of one output sample, without the batch axis.
    public let outputShape: [Int]
    /// The model's name in its configuration.
    public let name: String
    /// Which Keras wrote the file.
    public let flavor: KerasFlavor
    /// The CPU kernels the model runs with (fixed at load: weights are packed for them).
    public let kernels: any KernelSet.Type

    let plan: ExecutionPlan
    let pool = WorkspacePool()
    private let isSequential: Bool

    /// Floats in one input sample / one output sample.
    public var inputSize: Int { plan.inputSize }
    public var outputSize: Int { plan.outputSize }

    /// Samples processed together through the graph: as many as keep the largest layer output of
    /// a chunk within about 512 KiB (so a layer's output is still in L2 when the next reads it),
    /// between 1 and 32. Batching helps Dense layers, which then multiply matrices.
    static func chunkSize(for graph: ExecutionGraph) -> Int {
        let largest = graph.nodes.map(\.sampleSize).max() ?? 1
        return min(32, max(1, (1 << 17) / max(largest, 1)))
    }

    /// Refuses models whose activations for one chunk exceed 4 GiB (a hostile or mistaken file).
    static let maximumWorkspaceFloats = 1 << 30

    /// Builds a model from a parsed configuration and weights by layer name.
    init(topology: ModelTopology, weights: LayerWeights, sequential: Bool, kernels: any KernelSet.Type) throws {
        let graph = try ExecutionGraph.build(topology: topology, weights: weights, kernels: kernels)
        plan = ExecutionPlan(graph: graph, chunk: KerasModel.chunkSize(for: graph))
        guard plan.arenaFloats + plan.scratchFloats <= KerasModel.maximumWorkspaceFloats else {
            throw KerasError.invalidModelConfig(
                "running the model would need more than \(KerasModel.maximumWorkspaceFloats * 4 >> 30) GiB of activations")
        }
        inputShape = topology.inputShape
        outputShape = graph.nodes[graph.outputNode].shape
        name = topology.modelName
        flavor = topology.flavor
        isSequential = sequential
        self.kernels = kernels
    }

    /// A model from its configuration JSON (`model.to_json()`, a `model_config` attribute or a
    /// .keras archive's config.json) and its weights, by layer name in Keras's weight order.
    /// `kernels` defaults to the process's selection (`Kernels.selected`).
    public convenience init(configurationJSON: [UInt8], weights: LayerWeights, kerasVersion: String? = nil,
                            kernels: (any KernelSet.Type)? = nil) throws {
        let (topology, sequential) = try ModelTopology.parseWithClass(json: configurationJSON, versionHint: kerasVersion)
        try self.init(topology: topology, weights: weights, sequential: sequential,
                      kernels: kernels ?? Kernels.selected)
    }

    /// Runs `batchSize` samples stored one after another; returns the outputs the same way.
    public func predict(_ input: [Float], batchSize: Int) throws -> [Float] {
        guard batchSize >= 0 else { throw KerasError.inputSizeMismatch(expected: 0, received: input.count) }
        let (expected, overflow) = batchSize.multipliedReportingOverflow(by: inputSize)
        guard !overflow, input.count == expected else {
            throw KerasError.inputSizeMismatch(expected: overflow ? Int.max : expected, received: input.count)
        }
        var output = [Float](repeating: 0, count: batchSize * outputSize)
        try input.withUnsafeBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { destination in
                try predict(input: source, batchSize: batchSize, output: destination)
            }
        }
        return output
    }

    /// The allocation-free form: `output` must hold batchSize x outputSize floats.
    public func predict(input: UnsafeBufferPointer<Float>, batchSize: Int, output: UnsafeMutableBufferPointer<Float>) throws {
        let (expected, overflow) = batchSize.multipliedReportingOverflow(by: inputSize)
        guard batchSize >= 0, !overflow, input.count == expected else {
            throw KerasError.inputSizeMismatch(expected: overflow ? Int.max : max(expected, 0), received: input.count)
        }
        guard output.count == batchSize * outputSize else {
            throw KerasError.inputSizeMismatch(expected: batchSize * outputSize, received: output.count)
        }
        guard batchSize > 0, let source = input.baseAddress, let destination = output.baseAddress else { return }
        let workspace = pool.take { Workspace(plan: plan) }
        defer { pool.give(workspace) }
        plan.run(input: source, batch: batchSize, output: destination, workspace: workspace)
    }

    /// Bytes of one workspace (activations of a chunk plus scratch); one exists per concurrent caller.
    public var workspaceBytes: Int { (plan.arenaFloats + plan.scratchFloats) * MemoryLayout<Float>.stride }

    /// A table like Keras's `model.summary()`: each layer's output shape and parameter count.
    public func summary() -> String {
        ModelSummary(name: name, layers: plan.graph.layers, functional: !isSequential).text
    }
}
