import Kernels

/// DepthwiseConv2D (a kernel): each input channel c is filtered by its own depth_multiplier
/// kernels into output channels c*multiplier ..< (c+1)*multiplier.
final class DepthwiseConv2DOperation: ChannelAffineFoldable {
    let window: Window2D
    let inputChannels: Int
    let multiplier: Int
    /// (kh, kw, in, multiplier) flattened: for each tap, outputChannels weights.
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
    private var kernels: (any KernelSet.Type)?
    private var weights = AlignedBuffer(count: 0)
    private var biases = AlignedBuffer(count: 0)

    var outputChannels: Int { inputChannels * multiplier }

    init(window: Window2D, inputChannels: Int, multiplier: Int, kernel: [Float], bias: [Float],
         activation: Activation) {
        self.window = window
        self.inputChannels = inputChannels
        self.multiplier = multiplier
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    func fold(scale: [Float], shift: [Float]) {
        let n = outputChannels
        for index in kernel.indices { kernel[index] *= scale[index % n] }
        if bias.isEmpty { bias = [Float](repeating: 0, count: n) }
        for column in 0..<n { bias[column] = bias[column] * scale[column] + shift[column] }
    }

    func prepare(kernels: any KernelSet.Type) {
        self.kernels = kernels
        weights = AlignedBuffer(kernel)
        biases = AlignedBuffer(bias.isEmpty ? [Float](repeating: 0, count: outputChannels) : bias)
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        guard let kernels else { return }
        kernels.depthwiseConvolve(inputs[0], batch: batch, window: window, channels: inputChannels,
                                  multiplier: multiplier, weights: weights.pointer, bias: biases.pointer, output: output)
        activation.apply(output, count: batch &* window.outputPixels &* outputChannels, rowLength: outputChannels)
    }
}
