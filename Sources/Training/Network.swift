import Datasets
import Foundation
import Keras
import Kernels

/// A Keras model as a chain of trainable layers, with the buffers a batch runs in: each
/// layer's output (kept for the backward pass) and two gradient buffers used in turn.
///
/// Built from a model configuration (Keras 2 or 3 JSON, Sequential or a Functional chain) and
/// either stored weights (fine-tuning a file) or fresh ones from the layers' initialisers.
public final class Network {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { layers.last?.outputShape ?? inputShape }
    let layers: [TrainableLayer]
    let inputLayerName: String
    private var outputs: [FloatBuffer] = []
    private var gradients = (FloatBuffer(count: 0), FloatBuffer(count: 0))
    private var capacity = 0
    /// The largest sample (input or output) of any layer: each piece's rows of the gradient
    /// buffers start at slice.start times this, so pieces at different layers never overlap.
    private var gradientStride = 0

    public var inputSize: Int { inputShape.reduce(1, *) }
    public var outputSize: Int { outputShape.reduce(1, *) }

    /// The index of the first layer with trainable weights (the count when none has any).
    private let firstTrainableLayer: Int
    /// The layers whose training passes need the whole batch's statistics, in order: a step's
    /// stages end at them (`trainingStep`).
    private let statisticsLayers: [(index: Int, layer: BatchStatisticsLayer)]

    init(name: String, inputShape: [Int], inputLayerName: String, layers: [TrainableLayer]) {
        self.name = name
        self.inputShape = inputShape
        self.inputLayerName = inputLayerName
        self.layers = layers
        firstTrainableLayer = layers.firstIndex { layer in layer.parameters.contains(where: \.trainable) } ?? layers.count
        statisticsLayers = layers.enumerated().compactMap { index, layer in (layer as? BatchStatisticsLayer).map { (index, $0) } }
        // A ReLU's mask is applied by the layer after it when that layer can do it in passing.
        for (layer, next) in zip(layers, layers.dropFirst()) {
            guard let stage = layer.activationStage, stage.activation == .relu, !stage.needsPreActivation,
                  let masking = next as? PositiveInputMasking, masking.canMaskByPositiveInput else { continue }
            masking.masksByPositiveInput = true
            stage.maskLeftToNextLayer = true
        }
    }

    /// `weights` by layer name (nil: initialise every layer, seeded by `seed`). A network with
    /// more weights than `limits.maxParameters` is refused before they are allocated.
    public convenience init(configuration: [UInt8], weights: LayerWeights?, kerasVersion: String? = nil, seed: UInt64,
                            kernels: any KernelSet.Type = Kernels.selected, limits: TrainingLimits = TrainingLimits()) throws {
        let budget = ParameterBudget(limit: limits.maxParameters, limitName: limits.parametersName)
        let topology: ModelTopology
        do {
            topology = try ModelTopology.parse(json: configuration, versionHint: kerasVersion)
        } catch let error as KerasError {
            throw TrainingError.invalidSetting("model configuration", "is unusable: \(error)")
        }
        var layers: [TrainableLayer] = []
        var shape = topology.inputShape
        var previous = topology.input.layer
        for (index, spec) in topology.layers.enumerated() where spec.name != topology.input.layer {
            guard spec.className != "InputLayer" else {
                throw TrainingError.unsupported("models with more than one input ('\(spec.name)')")
            }
            // Training follows one chain: each layer called once, on the previous layer's output.
            guard spec.calls.count == 1, spec.calls[0].count == 1, spec.calls[0][0].layer == previous else {
                throw TrainingError.unsupported(
                    "layer '\(spec.name)' (\(spec.className)) is not a link of a single chain of layers (merges, branches and shared layers are not trained)")
            }
            let stored = weights.map { $0[spec.name] ?? [] }
            do {
                let layer = try LayerBuilder.make(spec.config, inputShape: shape, stored: stored, flavor: topology.flavor,
                                                  index: index, seed: seed, kernels: kernels, budget: budget)
                layers.append(layer)
                shape = layer.outputShape
            } catch let error as KerasError {
                throw TrainingError.invalidSetting("layer '\(spec.name)'", "has an unusable configuration: \(error)")
            }
            previous = spec.name
        }
        guard previous == topology.output.layer else {
            throw TrainingError.unsupported("the model's output '\(topology.output.layer)' is not the last layer of its chain")
        }
        guard !layers.isEmpty else { throw TrainingError.invalidSetting("model configuration", "has no layers to train") }
        self.init(name: topology.modelName, inputShape: topology.inputShape, inputLayerName: topology.input.layer, layers: layers)
    }

    /// Every weight of every layer, in layer order.
    var parameters: [Parameter] { layers.flatMap(\.parameters) }
    var trainableParameters: [Parameter] { parameters.filter(\.trainable) }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    public var trainableParameterCount: Int { trainableParameters.reduce(0) { $0 + $1.count } }

    /// Bytes a training step of `batch` samples in `pieces` pieces works in, estimated from the
    /// layer sizes without allocating: weights with their gradients, per-piece accumulators and
    /// optimizer slots; each layer's outputs, masks and pre-activations; the two gradient
    /// buffers; the layers' per-piece scratch (convolution patches).
    public func trainingMemoryEstimate(batch: Int, pieces: Int, optimizerSlots: Int) -> Int {
        let trainable = trainableParameterCount
        let weights = parameterCount.saturatingAdd(trainable.saturatingMultiply(1 + pieces + optimizerSlots))
        let stride = layers.map { max($0.inputSampleSize, $0.outputSampleSize) }.max() ?? 1
        var perSample = inputSize.saturatingAdd(stride.saturatingMultiply(2))
        for layer in layers { perSample = perSample.saturatingAdd(layer.outputSampleSize.saturatingMultiply(2)) }
        var floats = weights.saturatingAdd(perSample.saturatingMultiply(batch))
        for layer in layers { floats = floats.saturatingAdd(layer.scratchFloats(batch: batch, pieces: pieces)) }
        return floats.saturatingMultiply(MemoryLayout<Float>.size)
    }

    /// Sizes the buffers and prepares every layer for a batch of `batch` samples in `pieces`.
    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        if batch > capacity {
            capacity = batch
            outputs = layers.map { FloatBuffer(count: batch * $0.outputSampleSize) }
            gradientStride = layers.map { max($0.inputSampleSize, $0.outputSampleSize) }.max() ?? 1
            gradients = (FloatBuffer(count: batch * gradientStride), FloatBuffer(count: batch * gradientStride))
        }
        for layer in layers { layer.prepare(batch: batch, pieces: pieces, mode: mode) }
    }

    /// Runs one piece of the batch through every layer in inference mode (after `prepare`);
    /// `input` is the whole batch. Returns the last layer's output for the whole batch (this
    /// piece's rows are done).
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode) -> UnsafeMutablePointer<Float> {
        precondition(!mode.training || statisticsLayers.isEmpty, "a training pass with batch statistics runs in stages (trainingStep)")
        forwardLayers(0..<layers.count, input, slice: slice, mode: mode)
        return outputs[layers.count - 1].pointer
    }

    /// One training step's forward pass, loss and backward pass over `pieces` pieces of the
    /// batch, taken by `gang`'s threads as they come (after `prepare`). The passes run in stages
    /// cut at each `BatchStatisticsLayer`: every piece runs up to the layer and collects its
    /// share of the statistics; once all have, the layer combines them (on this thread), and the
    /// next stage goes on from there. `begin` runs first in every piece (it fills the piece's
    /// input rows); `loss` runs between the passes with the network's output for the whole batch
    /// and writes this piece's rows of `outputGradient(slice)`. Afterwards the layers' per-piece
    /// accumulators hold the gradients (`finishBackward` sums them). Layers before the first with
    /// trainable weights need no gradient (nor does that layer's input): the first
    /// convolution's dX alone was a tenth of a step's multiply-adds.
    func trainingStep(_ input: UnsafePointer<Float>, batch: Int, pieces: Int, mode: PassMode, gang: WorkerGang,
                      begin: (BatchSlice) -> Void, loss: (BatchSlice, UnsafePointer<Float>) -> Void) {
        let count = layers.count, first = firstTrainableLayer
        var start = 0
        for (position, cut) in statisticsLayers.enumerated() {
            let from = start
            gang.run(pieces) { piece in
                let slice = splitBatch(batch, pieces: pieces, piece: piece)
                if position == 0 { begin(slice) }
                forwardLayers(from..<cut.index, input, slice: slice, mode: mode)
                cut.layer.collectForward(layerInput(cut.index, input, slice), slice: slice, mode: mode)
            }
            cut.layer.reduceForward(batch: batch, pieces: pieces, mode: mode)
            start = cut.index
        }
        // Backwards, the stages end at the statistics layers that are trained through.
        let backwardCuts = statisticsLayers.filter { $0.index >= first }.reversed().map { $0 }
        var top = count - 1
        for stage in 0...backwardCuts.count {
            let bottom = stage < backwardCuts.count ? backwardCuts[stage].index + 1 : first
            let cut = stage < backwardCuts.count ? backwardCuts[stage] : nil
            let from = top
            gang.run(pieces) { piece in
                let slice = splitBatch(batch, pieces: pieces, piece: piece)
                if stage == 0 {
                    if statisticsLayers.isEmpty { begin(slice) }
                    forwardLayers(start..<count, input, slice: slice, mode: mode)
                    loss(slice, outputs[count - 1].pointer)
                }
                backwardLayers(from: from, through: bottom, input, slice: slice, mode: mode)
                if let cut {
                    cut.layer.collectBackward(layerInput(cut.index, input, slice),
                                              outputGradient: gradient(ofLayer: cut.index, slice), slice: slice, mode: mode)
                }
            }
            if let cut {
                cut.layer.reduceBackward(batch: batch, pieces: pieces, mode: mode)
                top = cut.index
            }
        }
    }

    private func forwardLayers(_ range: Range<Int>, _ input: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode) {
        for index in range {
            let layer = layers[index]
            layer.forward(layerInput(index, input, slice), outputs[index].pointer + slice.start * layer.outputSampleSize,
                          slice: slice, mode: mode)
        }
    }

    /// Layers `top` down to `bottom` (inclusive) backwards for one piece; nothing when top < bottom.
    private func backwardLayers(from top: Int, through bottom: Int, _ input: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard top >= bottom else { return }
        for index in stride(from: top, through: bottom, by: -1) {
            let layer = layers[index]
            let layerOutput = UnsafePointer(outputs[index].pointer + slice.start * layer.outputSampleSize)
            layer.backward(layerInput(index, input, slice), layerOutput, outputGradient: gradient(ofLayer: index, slice),
                           inputGradient: index == firstTrainableLayer ? nil : gradient(ofLayer: index - 1, slice),
                           slice: slice, mode: mode)
        }
    }

    /// The piece's rows of layer `index`'s input: the network's input or the previous layer's output.
    private func layerInput(_ index: Int, _ input: UnsafePointer<Float>, _ slice: BatchSlice) -> UnsafePointer<Float> {
        index == 0 ? input + slice.start * inputSize : UnsafePointer(outputs[index - 1].pointer + slice.start * layers[index].inputSampleSize)
    }

    /// The piece's rows of the gradient w.r.t. layer `index`'s output. The two buffers take
    /// turns from the last layer down (each layer reads one and writes the other), so a layer's
    /// buffer depends only on its index and stays put between stages.
    private func gradient(ofLayer index: Int, _ slice: BatchSlice) -> UnsafeMutablePointer<Float> {
        ((layers.count - 1 - index) % 2 == 0 ? gradients.0 : gradients.1).pointer + slice.start * gradientStride
    }

    /// Where the loss writes the gradient w.r.t. the output for this piece's rows.
    func outputGradient(_ slice: BatchSlice) -> UnsafeMutablePointer<Float> { gradient(ofLayer: layers.count - 1, slice) }

    func finishBackward(pieces: Int) {
        for layer in layers { layer.finishBackward(pieces: pieces) }
    }

    /// The model configuration Keras 2 writes for this network (`model.to_json()`).
    public var kerasConfiguration: [UInt8] {
        var entries: [[String: Any]] = [[
            "class_name": "InputLayer",
            "config": ["batch_input_shape": [jsonNull] + inputShape.map { $0 as Any }, "dtype": "float32", "sparse": false,
                       "ragged": false, "name": inputLayerName] as [String: Any],
        ]]
        for layer in layers { entries.append(["class_name": layer.className, "config": layer.kerasConfig]) }
        let root: [String: Any] = ["class_name": "Sequential", "config": ["name": name, "layers": entries] as [String: Any],
                                   "keras_version": KerasModelFile.writtenKerasVersion, "backend": "tensorflow"]
        // Sorted keys: the same network always gives the same bytes.
        return Array((try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data())
    }

    /// The network as a Keras 2 .h5 file's contents (configuration and weights).
    public var kerasFile: KerasModelFile {
        KerasModelFile(configuration: kerasConfiguration, layers: layers.map { layer in
            NamedLayerWeights(layer: layer.name, weights: layer.parameters.map { ("\(layer.name)/\($0.name):0", $0.tensor) })
        })
    }

    /// The weights by layer name, as the inference engine takes them.
    public var weights: LayerWeights {
        var result: LayerWeights = [:]
        for layer in layers where !layer.parameters.isEmpty { result[layer.name] = layer.parameters.map(\.tensor) }
        return result
    }
}
