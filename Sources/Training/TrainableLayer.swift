import Datasets
import Keras

/// Where a pass stands: training or inference, and what keys the random choices of this step
/// (dropout masks), so a run repeats exactly with the same seed whatever the thread count.
struct PassMode {
    var training: Bool
    var seed: UInt64
    var step: Int
}

/// The samples one piece of a batch covers.
struct BatchSlice {
    let start: Int
    let count: Int
    let piece: Int
}

/// A layer the trainer can run forwards and backwards. Buffers hold samples one after
/// another; a layer never keeps pointers to them between calls.
///
/// The network calls `forwardBatch` / `backwardBatch`; most layers implement the per-slice
/// `forward` / `backward` and let the default split the batch over the gang, one slice per
/// thread. Layers needing statistics of the whole batch (BatchNormalization) override the
/// batch methods.
protocol TrainableLayer: AnyObject {
    /// The Keras layer's name and class.
    var name: String { get }
    var className: String { get }
    /// Shapes of one input and one output sample.
    var inputShape: [Int] { get }
    var outputShape: [Int] { get }
    /// Every weight, in Keras's order for the layer (trainable or not).
    var parameters: [Parameter] { get }
    /// The activation that ends the layer, if it has one (the loss fuses a final softmax).
    var activationStage: ActivationStage? { get }
    /// The layer's Keras 2 configuration (the `config` object of its entry in model_config).
    var kerasConfig: [String: Any] { get }

    /// Called before a batch of up to `batch` samples split in `pieces`: size caches, pack weights.
    func prepare(batch: Int, pieces: Int, mode: PassMode)
    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode)
    /// From the gradient of the loss w.r.t. this layer's output (`outputGradient`, which the layer
    /// may overwrite), adds parameter gradients into the slice's accumulators and, unless nil,
    /// writes the gradient w.r.t. the input. `input` and `output` are the forward pass's.
    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode)
    /// After the backward pieces: sum the per-piece accumulators into each parameter's gradient.
    func finishBackward(pieces: Int)

    func forwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, gang: WorkerGang, mode: PassMode)
    func backwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                       inputGradient: UnsafeMutablePointer<Float>?, batch: Int, gang: WorkerGang, mode: PassMode)
}

extension TrainableLayer {
    var parameters: [Parameter] { [] }
    var activationStage: ActivationStage? { nil }
    func prepare(batch: Int, pieces: Int, mode: PassMode) {}
    func finishBackward(pieces: Int) {}

    var inputSampleSize: Int { inputShape.reduce(1, *) }
    var outputSampleSize: Int { outputShape.reduce(1, *) }

    func forwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, gang: WorkerGang, mode: PassMode) {
        let inputStride = inputSampleSize
        let outputStride = outputSampleSize
        gang.run(gang.threadCount) { piece in
            let slice = splitBatch(batch, pieces: gang.threadCount, piece: piece)
            guard slice.count > 0 else { return }
            forward(input + slice.start * inputStride, output + slice.start * outputStride, slice: slice, mode: mode)
        }
    }

    func backwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                       inputGradient: UnsafeMutablePointer<Float>?, batch: Int, gang: WorkerGang, mode: PassMode) {
        let inputStride = inputSampleSize
        let outputStride = outputSampleSize
        gang.run(gang.threadCount) { piece in
            let slice = splitBatch(batch, pieces: gang.threadCount, piece: piece)
            guard slice.count > 0 else { return }
            backward(input + slice.start * inputStride, output + slice.start * outputStride,
                     outputGradient: outputGradient + slice.start * outputStride,
                     inputGradient: inputGradient.map { $0 + slice.start * inputStride }, slice: slice, mode: mode)
        }
        finishBackward(pieces: gang.threadCount)
    }
}

/// Piece `piece` of `pieces` nearly equal consecutive slices of `batch` samples.
func splitBatch(_ batch: Int, pieces: Int, piece: Int) -> BatchSlice {
    let base = batch / pieces, extra = batch % pieces
    let start = piece * base + min(piece, extra)
    return BatchSlice(start: start, count: base + (piece < extra ? 1 : 0), piece: piece)
}

/// Per-piece gradient accumulators for a layer's trainable parameters, summed at the end of
/// the backward pass in a fixed order (so results do not depend on thread timing).
final class GradientAccumulators {
    private(set) var buffers: [[FloatBuffer]] = []   // [piece][parameter]
    let parameters: [Parameter]

    init(_ parameters: [Parameter]) { self.parameters = parameters.filter(\.trainable) }

    func ensure(pieces: Int) {
        while buffers.count < pieces { buffers.append(parameters.map { FloatBuffer(count: $0.count) }) }
    }

    /// The accumulator of parameter `index` (among the trainable ones) for `piece`, zeroed at
    /// the start of every backward pass by `reset`.
    func buffer(piece: Int, parameter index: Int) -> UnsafeMutablePointer<Float> { buffers[piece][index].pointer }

    func reset(pieces: Int) {
        ensure(pieces: pieces)
        for piece in 0..<pieces { for buffer in buffers[piece] { buffer.zero() } }
    }

    func sum(pieces: Int) {
        for (index, parameter) in parameters.enumerated() {
            let destination = parameter.gradient.pointer
            destination.update(from: buffers[0][index].pointer, count: parameter.count)
            for piece in 1..<max(pieces, 1) {
                let source = buffers[piece][index].pointer
                for element in 0..<parameter.count { destination[element] += source[element] }
            }
        }
    }
}
