import Keras
import Kernels

/// MaxPooling2D and AveragePooling2D on the kernels' pooling. Backwards, max pooling routes each
/// gradient to the input that won the window (the first of equal values, as TensorFlow), and
/// average pooling spreads it over the window's real pixels ('same' windows at the edge average
/// fewer pixels, as TensorFlow's do). The common 2x2 max pool keeps its winners from the
/// training forward pass (one Int32 per output), so its backward pass does not read the input.
final class Pooling2DLayer: TrainableLayer, PositiveInputMasking {
    let kind: PoolKind
    let name: String
    let inputShape: [Int]
    let outputShape: [Int]
    let window: Window2D
    let padding: String
    let channels: Int
    let kernels: any KernelSet.Type
    /// The 2x2 max pool's winners of the last training forward pass, per output value.
    private var winners = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var winnerCapacity = 1
    var masksByPositiveInput = false
    var canMaskByPositiveInput: Bool { isMax2x2 }

    deinit { winners.deallocate() }

    var className: String { kind == .max ? "MaxPooling2D" : "AveragePooling2D" }

    /// The common 2x2 max pool with stride 2 and every window inside the image: its gradient
    /// takes the vectorised path.
    private var isMax2x2: Bool {
        kind == .max && window.kernelHeight == 2 && window.kernelWidth == 2 && window.strideHeight == 2
            && window.strideWidth == 2 && window.dilationHeight == 1 && window.dilationWidth == 1
            && window.padTop == 0 && window.padLeft == 0
            && 2 * window.outputHeight <= window.inputHeight && 2 * window.outputWidth <= window.inputWidth
    }

    init(kind: PoolKind, name: String, inputShape: [Int], window: Window2D, padding: String, kernels: any KernelSet.Type) {
        self.kind = kind
        self.name = name
        self.inputShape = inputShape
        self.window = window
        self.padding = padding
        self.kernels = kernels
        channels = inputShape[2]
        outputShape = [window.outputHeight, window.outputWidth, channels]
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "pool_size": [window.kernelHeight, window.kernelWidth],
         "padding": padding, "strides": [window.strideHeight, window.strideWidth], "data_format": "channels_last"]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        guard mode.training, isMax2x2, winnerCapacity < batch * outputSampleSize else { return }
        winners.deallocate()
        winnerCapacity = batch * outputSampleSize
        winners = .allocate(capacity: winnerCapacity)
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        if mode.training && isMax2x2 {
            maxPool2x2Forward(input: input, batch: slice.count, height: window.inputHeight, width: window.inputWidth,
                              outputHeight: window.outputHeight, outputWidth: window.outputWidth, channels: channels,
                              positiveOnly: masksByPositiveInput, output: output, winners: winners + slice.start * outputSampleSize)
            return
        }
        kernels.pool(kind, input, batch: slice.count, window: window, channels: channels, output: output)
    }

    func scratchFloats(batch: Int, pieces: Int) -> Int { isMax2x2 ? batch * outputSampleSize : 0 }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        guard let inputGradient else { return }
        if isMax2x2 {
            maxPool2x2Gradient(winners: winners + slice.start * outputSampleSize, outputGradient: outputGradient, batch: slice.count,
                               height: window.inputHeight,
                               width: window.inputWidth, outputHeight: window.outputHeight, outputWidth: window.outputWidth,
                               channels: channels, inputGradient: inputGradient)
            return
        }
        inputGradient.update(repeating: 0, count: slice.count * inputSampleSize)
        kernels.poolGradient(kind, input: input, outputGradient: outputGradient, batch: slice.count, window: window,
                             channels: channels, inputGradient: inputGradient)
    }
}
