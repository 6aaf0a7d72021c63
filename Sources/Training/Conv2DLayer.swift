import Keras

/// Conv2D (NHWC, Keras's 'valid'/'same' padding, strides, dilation) as im2col + matrix
/// multiply: each group of a few images is unfolded into rows of kh·kw·c patch values, then
/// Y = patches·W + b. Backwards, dW = patchesᵀ·dZ and the patch gradients dZ·Wᵀ are folded
/// back (col2im) into dX. Groups keep the unfolded patches near 4 MB, so they stay in cache.
final class Conv2DLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    let outputShape: [Int]
    let window: Window2D
    let inputChannels: Int
    let filters: Int
    let kernel: Parameter
    let bias: Parameter?
    let stage: ActivationStage
    let initializers: (kernel: Initializer, bias: Initializer)
    let padding: String
    private let packedKernel = MatrixMultiply.PackedOperand()
    private let packedTransposed = MatrixMultiply.PackedOperand()
    private let accumulators: GradientAccumulators
    private struct Scratch {
        var patches = FloatBuffer(count: 0)
        var transposed = FloatBuffer(count: 0)
        let packedGradient = MatrixMultiply.PackedOperand()
    }
    private var scratch: [Scratch] = []

    var className: String { "Conv2D" }
    var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }
    var activationStage: ActivationStage? { stage }
    private var patchLength: Int { window.kernelHeight * window.kernelWidth * inputChannels }
    private var inputSize: Int { window.inputPixels * inputChannels }
    private var outputSize: Int { window.outputPixels * filters }
    /// Images unfolded together.
    private var groupSize: Int { max(1, (1 << 20) / max(window.outputPixels * patchLength, 1)) }

    init(name: String, inputShape: [Int], window: Window2D, padding: String, filters: Int, activation: Activation,
         kernel: [Float], bias: [Float]?, initializers: (kernel: Initializer, bias: Initializer)) {
        self.name = name
        self.inputShape = inputShape
        self.window = window
        self.padding = padding
        inputChannels = inputShape[2]
        self.filters = filters
        outputShape = [window.outputHeight, window.outputWidth, filters]
        self.kernel = Parameter(name: "kernel", shape: [window.kernelHeight, window.kernelWidth, inputShape[2], filters], values: kernel)
        self.bias = bias.map { Parameter(name: "bias", shape: [filters], values: $0) }
        self.initializers = initializers
        stage = ActivationStage(activation, sampleSize: window.outputPixels * filters, rowLength: filters)
        accumulators = GradientAccumulators([self.kernel] + (self.bias.map { [$0] } ?? []))
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "filters": filters,
         "kernel_size": [window.kernelHeight, window.kernelWidth], "strides": [window.strideHeight, window.strideWidth],
         "padding": padding, "data_format": "channels_last", "dilation_rate": [window.dilationHeight, window.dilationWidth],
         "groups": 1, "activation": stage.kerasName, "use_bias": bias != nil,
         "kernel_initializer": initializers.kernel.kerasConfig, "bias_initializer": initializers.bias.kerasConfig,
         "kernel_regularizer": jsonNull, "bias_regularizer": jsonNull, "activity_regularizer": jsonNull,
         "kernel_constraint": jsonNull, "bias_constraint": jsonNull]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        packedKernel.pack(kernel.value.pointer, ldb: filters, k: patchLength, n: filters, transposed: false,
                          bias: bias.map { UnsafePointer($0.value.pointer) })
        stage.prepare(batch: batch)
        while scratch.count < pieces { scratch.append(Scratch()) }
        let rows = min(groupSize, batch) * window.outputPixels
        for piece in 0..<pieces where scratch[piece].patches.count < rows * patchLength {
            scratch[piece].patches = FloatBuffer(count: rows * patchLength)
        }
        guard mode.training else { return }
        packedTransposed.pack(kernel.value.pointer, ldb: filters, k: filters, n: patchLength, transposed: true)
        accumulators.reset(pieces: pieces)
        for piece in 0..<pieces where scratch[piece].transposed.count < rows * patchLength {
            scratch[piece].transposed = FloatBuffer(count: rows * patchLength)
        }
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        let patches = scratch[slice.piece].patches.pointer
        var image = 0
        while image < slice.count {
            let count = min(groupSize, slice.count - image)
            for offset in 0..<count {
                unfold(input + (image + offset) * inputSize, into: patches + offset * window.outputPixels * patchLength)
            }
            MatrixMultiply.multiply(m: count * window.outputPixels, a: patches, lda: patchLength, b: packedKernel,
                                    c: output + image * outputSize, ldc: filters, accumulate: false)
            image += count
        }
        stage.forward(output, start: slice.start, count: slice.count, training: mode.training)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        stage.backward(outputGradient, output: output, start: slice.start, count: slice.count)
        let work = scratch[slice.piece]
        let kernelGradient = accumulators.buffer(piece: slice.piece, parameter: 0)
        if bias != nil {
            addColumnSums(outputGradient, rows: slice.count * window.outputPixels, columns: filters,
                          into: accumulators.buffer(piece: slice.piece, parameter: 1))
        }
        inputGradient?.update(repeating: 0, count: slice.count * inputSize)
        var image = 0
        while image < slice.count {
            let count = min(groupSize, slice.count - image)
            let rows = count * window.outputPixels
            let gradient = outputGradient + image * outputSize
            for offset in 0..<count {
                unfold(input + (image + offset) * inputSize, into: work.patches.pointer + offset * window.outputPixels * patchLength)
            }
            // dW += patchesᵀ · dZ
            MatrixMultiply.transpose(work.patches.pointer, rows: rows, columns: patchLength, lda: patchLength,
                                     into: work.transposed.pointer)
            work.packedGradient.pack(gradient, ldb: filters, k: rows, n: filters, transposed: false)
            MatrixMultiply.multiply(m: patchLength, a: work.transposed.pointer, lda: rows, b: work.packedGradient,
                                    c: kernelGradient, ldc: filters, accumulate: true)
            // dX += col2im(dZ · Wᵀ)
            if let inputGradient {
                MatrixMultiply.multiply(m: rows, a: gradient, lda: filters, b: packedTransposed, c: work.patches.pointer,
                                        ldc: patchLength, accumulate: false)
                for offset in 0..<count {
                    fold(work.patches.pointer + offset * window.outputPixels * patchLength,
                         into: inputGradient + (image + offset) * inputSize)
                }
            }
            image += count
        }
    }

    func finishBackward(pieces: Int) { accumulators.sum(pieces: pieces) }

    /// im2col of one image: a row of kh x kw x c values per output pixel, zero outside the image.
    private func unfold(_ image: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        let w = window, channels = inputChannels
        var destination = patches
        for outY in 0..<w.outputHeight {
            for outX in 0..<w.outputWidth {
                for ky in 0..<w.kernelHeight {
                    let inY = outY * w.strideHeight - w.padTop + ky * w.dilationHeight
                    for kx in 0..<w.kernelWidth {
                        let inX = outX * w.strideWidth - w.padLeft + kx * w.dilationWidth
                        if inY < 0 || inY >= w.inputHeight || inX < 0 || inX >= w.inputWidth {
                            destination.update(repeating: 0, count: channels)
                        } else {
                            destination.update(from: image + (inY * w.inputWidth + inX) * channels, count: channels)
                        }
                        destination += channels
                    }
                }
            }
        }
    }

    /// col2im: adds each patch value back onto the input position it was read from.
    private func fold(_ patches: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let w = window, channels = inputChannels
        var source = patches
        for outY in 0..<w.outputHeight {
            for outX in 0..<w.outputWidth {
                for ky in 0..<w.kernelHeight {
                    let inY = outY * w.strideHeight - w.padTop + ky * w.dilationHeight
                    for kx in 0..<w.kernelWidth {
                        let inX = outX * w.strideWidth - w.padLeft + kx * w.dilationWidth
                        if inY >= 0 && inY < w.inputHeight && inX >= 0 && inX < w.inputWidth {
                            let target = image + (inY * w.inputWidth + inX) * channels
                            for c in 0..<channels { target[c] += source[c] }
                        }
                        source += channels
                    }
                }
            }
        }
    }
}
