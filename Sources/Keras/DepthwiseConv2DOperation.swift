/// DepthwiseConv2D computed directly: each input channel c is filtered by its own
/// depth_multiplier kernels into output channels c*multiplier ..< (c+1)*multiplier.
final class DepthwiseConv2DOperation: ChannelAffineFoldable {
    let window: Window2D
    let inputChannels: Int
    let multiplier: Int
    /// (kh, kw, in, multiplier) flattened: for each tap, outputChannels weights.
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
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

    func prepare() {
        weights = AlignedBuffer(kernel)
        biases = AlignedBuffer(bias.isEmpty ? [Float](repeating: 0, count: outputChannels) : bias)
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let w = window
        let channels = inputChannels
        let outChannels = outputChannels
        let multiplier = self.multiplier
        let kernel = weights.pointer
        let bias = biases.pointer
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* outChannels
        for image in 0..<batch {
            let source = inputs[0] + image &* inputSize
            let destination = output + image &* outputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let accumulator = destination + (outY &* w.outputWidth &+ outX) &* outChannels
                    accumulator.update(from: bias, count: outChannels)
                    for ky in 0..<w.kernelHeight {
                        let inY = outY &* w.strideHeight &- w.padTop &+ ky &* w.dilationHeight
                        if inY < 0 || inY >= w.inputHeight { continue }
                        for kx in 0..<w.kernelWidth {
                            let inX = outX &* w.strideWidth &- w.padLeft &+ kx &* w.dilationWidth
                            if inX < 0 || inX >= w.inputWidth { continue }
                            let pixel = source + (inY &* w.inputWidth &+ inX) &* channels
                            let tap = kernel + (ky &* w.kernelWidth &+ kx) &* outChannels
                            if multiplier == 1 {
                                for c in 0..<channels { accumulator[c] += pixel[c] * tap[c] }
                            } else {
                                for c in 0..<channels {
                                    let value = pixel[c]
                                    let base = c &* multiplier
                                    for m in 0..<multiplier { accumulator[base &+ m] += value * tap[base &+ m] }
                                }
                            }
                        }
                    }
                }
            }
            activation.apply(destination, count: outputSize, rowLength: outChannels)
        }
    }
}
