import Datasets
import Foundation
import Keras

/// Where a pass stands: training or inference, and what keys the random choices of this step
/// (dropout masks), so a run repeats exactly with the same seed whatever the thread count.
struct PassMode {
    var training: Bool
    var seed: UInt64
    var step: Int
}

/// The samples one piece of a batch covers. A step splits the batch into pieces that the
/// gang's threads take as they come (a thread the machine has descheduled simply takes fewer),
/// and runs in stages: layers that need statistics of the whole batch (BatchNormalization,
/// `BatchStatisticsLayer`) end a stage, and their statistics are combined once, between stages.
struct BatchSlice {
    let start: Int
    let count: Int
    let piece: Int
    let pieces: Int
    let batch: Int
}

/// A layer the trainer can run forwards and backwards. Buffers hold samples one after
/// another; pointers passed in point at the slice's first sample; a layer never keeps them
/// between calls. A piece's slice may be empty; pieces run in any order, on any thread.
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

    /// Called (on one thread) before a batch of up to `batch` samples split in `pieces`: size
    /// caches, pack weights, clear gradient accumulators.
    func prepare(batch: Int, pieces: Int, mode: PassMode)
    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode)
    /// From the gradient of the loss w.r.t. this layer's output (`outputGradient`, which the layer
    /// may overwrite), adds parameter gradients into the slice's accumulators and, unless nil,
    /// writes the gradient w.r.t. the input. `input` and `output` are the forward pass's.
    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode)
    /// After every piece's backward pass: sum the per-piece accumulators into each parameter's gradient.
    func finishBackward(pieces: Int)
    /// Floats of scratch `prepare` allocates for such a batch beyond the network's buffers
    /// (for `Network.trainingMemoryEstimate`; an estimate, not an exact count).
    func scratchFloats(batch: Int, pieces: Int) -> Int
}

extension TrainableLayer {
    var parameters: [Parameter] { [] }
    var activationStage: ActivationStage? { nil }
    func prepare(batch: Int, pieces: Int, mode: PassMode) {}
    func finishBackward(pieces: Int) {}
    func scratchFloats(batch: Int, pieces: Int) -> Int { 0 }

    var inputSampleSize: Int { inputShape.reduce(1, *) }
    var outputSampleSize: Int { outputShape.reduce(1, *) }
}

/// Piece `piece` of `pieces` nearly equal consecutive slices of `batch` samples.
func splitBatch(_ batch: Int, pieces: Int, piece: Int) -> BatchSlice {
    let base = batch / pieces, extra = batch % pieces
    let start = piece * base + min(piece, extra)
    return BatchSlice(start: start, count: base + (piece < extra ? 1 : 0), piece: piece, pieces: pieces, batch: batch)
}

/// How many pieces a batch is split into: about `samplesPerPiece` samples each, and at least
/// one per thread. More pieces than threads keep both cores busy on a shared machine: a thread
/// that is descheduled or slow to wake leaves its pieces to the other instead of stalling it at
/// the end of every stage. Small enough pieces cost little more in per-piece work (gradient
/// accumulators, GEMM packing) than they save.
func batchPieces(_ batch: Int, threads: Int, samplesPerPiece: Int = 16) -> Int {
    max(1, min(batch, max(threads, (batch + samplesPerPiece - 1) / samplesPerPiece)))
}

/// A layer that can zero its input gradient where its input is not positive inside a pass it
/// makes anyway (BatchNormalization reads its input there; the 2x2 max pool records winners):
/// a ReLU before it then leaves out its own mask, one pass over memory less. `Network` sets it.
protocol PositiveInputMasking: AnyObject {
    var canMaskByPositiveInput: Bool { get }
    var masksByPositiveInput: Bool { get set }
}

/// A layer whose training passes need statistics of the whole batch (BatchNormalization).
/// Each pass is cut in two around a step that runs once, on one thread, after every piece has
/// collected its share: forwards `collectForward` (per piece), `reduceForward` (once), then the
/// layer's `forward` (per piece); backwards `collectBackward`, `reduceBackward`, `backward`.
/// In inference `forward` alone runs (on stored statistics).
protocol BatchStatisticsLayer: TrainableLayer {
    func collectForward(_ input: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode)
    func reduceForward(batch: Int, pieces: Int, mode: PassMode)
    func collectBackward(_ input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode)
    func reduceBackward(batch: Int, pieces: Int, mode: PassMode)
}

/// Per-piece gradient accumulators for a layer's trainable parameters, summed at the end of
/// the backward pass in a fixed order (so results do not depend on thread timing).
final class GradientAccumulators {
    private(set) var buffers: [[FloatBuffer]] = []   // [piece][parameter]
    let parameters: [Parameter]

    init(_ parameters: [Parameter]) { self.parameters = parameters.filter(\.trainable) }

    /// The accumulator of parameter `index` (among the trainable ones) for `piece`, zeroed at
    /// the start of every backward pass by `reset`.
    func buffer(piece: Int, parameter index: Int) -> UnsafeMutablePointer<Float> { buffers[piece][index].pointer }

    func reset(pieces: Int) {
        while buffers.count < pieces { buffers.append(parameters.map { FloatBuffer(count: $0.count) }) }
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
