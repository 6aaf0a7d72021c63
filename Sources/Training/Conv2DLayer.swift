import Keras
import Kernels

/// Conv2D (NHWC, Keras's 'valid'/'same' padding, strides, dilation). Forwards, the kernels'
/// implicit-GEMM convolution. Backwards with stride 1: dX is a transposed convolution and dW
/// is read from the (padded) image in place, one GEMM per kernel row (`accumulateKernelGradient`).
/// Otherwise, per group of a few images: the receptive fields are unfolded (im2col);
/// dW += patchesᵀ·dZ; the patch gradients dZ·Wᵀ are folded back onto dX (col2im). Groups keep
/// the unfolded patches near 4 MB, in cache. (Measured on the default model's shapes,
/// patchesᵀ·dZ beat dWᵀ = dZᵀ·patches with the patches packed: 5.4 vs 6.9 ms for
/// 3380 x 288 x 32, 0.24 vs 0.94 ms for the first layer's 3136 x 9 x 32.)
final class Conv2DLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    let outputShape: [Int]
    let window: Window2D
    let plan: ConvolutionPlan
    let inputChannels: Int
    let filters: Int
    let kernel: Parameter
    let bias: Parameter?
    let stage: ActivationStage
    let initializers: (kernel: Initializer, bias: Initializer)
    let padding: String
    let kernels: any KernelSet.Type
    private var packedKernel: PackedMatrix?
    private var packedTransposed: PackedMatrix?
    /// For stride 1, dX is itself a convolution: of dZ, padded by the window's reach minus its
    /// padding, with the kernel rotated 180 degrees and its channels swapped ("transposed
    /// convolution"). That runs on the kernels' implicit GEMM with the long inner dimension
    /// kh·kw·out, instead of a multiply whose inner dimension is just the output channels.
    private let gradientPlan: ConvolutionPlan?
    /// For stride 1 without dilation along the width, dW is read from the image in place (see
    /// `accumulateKernelGradient`), not from unfolded patches.
    private let inPlaceGradient: InPlaceKernelGradient?
    private var packedRotated: PackedMatrix?
    private var rotated: [Float] = []
    private let accumulators: GradientAccumulators
    /// Per piece: forward scratch, unfolded patches, and the transposed convolution's scratch.
    private struct Scratch {
        var convolution = FloatBuffer(count: 0)
        var patches = FloatBuffer(count: 0)
        var gradientConvolution = FloatBuffer(count: 0)
        /// In-place dW: the image with its zero border, and dZ spread over the same grid (zero
        /// where no output pixel is), packed as the multiply takes it. Both are written only where
        /// the image or the output is.
        var paddedImages = FloatBuffer(count: 0)
        var spreadGradient: PackedMatrix?
    }
    private var scratch: [Scratch] = []

    var className: String { "Conv2D" }
    var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }
    var activationStage: ActivationStage? { stage }
    private var patchLength: Int { plan.patchLength }
    private var inputSize: Int { window.inputPixels * inputChannels }
    private var outputSize: Int { window.outputPixels * filters }
    /// Images unfolded together in the backward pass.
    private var groupSize: Int { max(1, (1 << 20) / max(window.outputPixels * patchLength, 1)) }

    /// Per piece: the patches of a group of images, and the kernels' convolution scratch (twice,
    /// with the transposed convolution of the backward pass).
    func scratchFloats(batch: Int, pieces: Int) -> Int {
        let patches: Int
        if let inPlaceGradient {
            patches = inPlaceGradient.scratchFloats(inputChannels: inputChannels, filters: filters)
        } else {
            patches = min(groupSize, max(batch, 1)).saturatingMultiply(window.outputPixels).saturatingMultiply(patchLength)
        }
        let convolution = kernels.convolutionScratchCount(plan).saturatingMultiply(2)
        return patches.saturatingAdd(convolution).saturatingMultiply(pieces)
    }

    init(name: String, inputShape: [Int], window: Window2D, padding: String, filters: Int, activation: Activation,
         kernel: [Float], bias: [Float]?, initializers: (kernel: Initializer, bias: Initializer), kernels: any KernelSet.Type) {
        self.name = name
        self.inputShape = inputShape
        self.window = window
        self.padding = padding
        inputChannels = inputShape[2]
        self.filters = filters
        plan = ConvolutionPlan(window: window, inputChannels: inputShape[2], outputChannels: filters)
        outputShape = [window.outputHeight, window.outputWidth, filters]
        self.kernel = Parameter(name: "kernel", shape: [window.kernelHeight, window.kernelWidth, inputShape[2], filters], values: kernel)
        self.bias = bias.map { Parameter(name: "bias", shape: [filters], values: $0) }
        self.initializers = initializers
        self.kernels = kernels
        stage = ActivationStage(activation, sampleSize: window.outputPixels * filters, rowLength: filters)
        accumulators = GradientAccumulators([self.kernel] + (self.bias.map { [$0] } ?? []))
        if window.strideHeight == 1 && window.strideWidth == 1 {
            let reachHeight = (window.kernelHeight - 1) * window.dilationHeight
            let reachWidth = (window.kernelWidth - 1) * window.dilationWidth
            let transposedWindow = Window2D(
                inputHeight: window.outputHeight, inputWidth: window.outputWidth, kernelHeight: window.kernelHeight,
                kernelWidth: window.kernelWidth, dilationHeight: window.dilationHeight, dilationWidth: window.dilationWidth,
                padTop: reachHeight - window.padTop, padLeft: reachWidth - window.padLeft,
                outputHeight: window.inputHeight, outputWidth: window.inputWidth)
            gradientPlan = ConvolutionPlan(window: transposedWindow, inputChannels: filters, outputChannels: inputShape[2])
        } else {
            gradientPlan = nil
        }
        inPlaceGradient = InPlaceKernelGradient(window: window)
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
        packedKernel = kernels.pack(kernel.value.pointer, rows: patchLength, columns: filters, ldb: filters, transposed: false,
                                    bias: bias.map { UnsafePointer($0.value.pointer) })
        stage.prepare(batch: batch)
        while scratch.count < pieces { scratch.append(Scratch()) }
        let convolutionFloats = kernels.convolutionScratchCount(plan)
        for piece in 0..<pieces where scratch[piece].convolution.count < convolutionFloats {
            scratch[piece].convolution = FloatBuffer(count: convolutionFloats)
        }
        guard mode.training else { return }
        if let gradientPlan {
            // rotated[ky'][kx'][out][in] = kernel[kh-1-ky'][kw-1-kx'][in][out]
            let kh = window.kernelHeight, kw = window.kernelWidth, channels = inputChannels
            if rotated.count != kernel.count { rotated = [Float](repeating: 0, count: kernel.count) }
            let source = kernel.value.pointer
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let from = ((kh - 1 - ky) * kw + (kw - 1 - kx)) * channels * filters
                    let to = (ky * kw + kx) * filters * channels
                    for c in 0..<channels { for f in 0..<filters { rotated[to + f * channels + c] = source[from + c * filters + f] } }
                }
            }
            packedRotated = rotated.withUnsafeBufferPointer {
                kernels.pack($0.baseAddress!, rows: kh * kw * filters, columns: channels, ldb: channels, transposed: false, bias: nil)
            }
            for piece in 0..<pieces where scratch[piece].gradientConvolution.count < kernels.convolutionScratchCount(gradientPlan) {
                scratch[piece].gradientConvolution = FloatBuffer(count: kernels.convolutionScratchCount(gradientPlan))
            }
        } else {
            packedTransposed = kernels.pack(kernel.value.pointer, rows: filters, columns: patchLength, ldb: filters, transposed: true, bias: nil)
        }
        accumulators.reset(pieces: pieces)
        if let inPlaceGradient {
            let padded = inPlaceGradient.needsCopy ? inPlaceGradient.gridPixels * inputChannels : 0
            let pixels = inPlaceGradient.multiplyRows(window)
            for piece in 0..<pieces {
                if scratch[piece].paddedImages.count < padded { scratch[piece].paddedImages = FloatBuffer(count: padded) }
                if scratch[piece].spreadGradient == nil {
                    // Packed from zeros once: later images overwrite only the output's own positions.
                    let zeros = FloatBuffer(count: pixels * filters)
                    scratch[piece].spreadGradient = kernels.pack(zeros.pointer, rows: pixels, columns: filters, ldb: filters,
                                                                 transposed: false, bias: nil)
                }
            }
            return
        }
        let rows = min(groupSize, batch) * window.outputPixels
        for piece in 0..<pieces {
            if scratch[piece].patches.count < rows * patchLength { scratch[piece].patches = FloatBuffer(count: rows * patchLength) }
        }
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        kernels.convolve(input, batch: slice.count, plan: plan, weights: packedKernel!, output: output, epilogue: stage.fusedEpilogue,
                         scratch: scratch[slice.piece].convolution.pointer)
        stage.forward(output, start: slice.start, count: slice.count, training: mode.training)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        stage.backward(outputGradient, output: output, start: slice.start, count: slice.count)
        let work = scratch[slice.piece]
        let kernelGradient = accumulators.buffer(piece: slice.piece, parameter: 0)
        if bias != nil {
            addColumnSums(outputGradient, rows: slice.count * window.outputPixels, columns: filters,
                          into: accumulators.buffer(piece: slice.piece, parameter: 1))
        }
        if let inputGradient, let gradientPlan {
            kernels.convolve(UnsafePointer(outputGradient), batch: slice.count, plan: gradientPlan, weights: packedRotated!,
                             output: inputGradient, epilogue: .none, scratch: work.gradientConvolution.pointer)
        }
        if let inPlaceGradient {
            accumulateKernelGradient(input, outputGradient, images: slice.count, geometry: inPlaceGradient, work: work,
                                     into: kernelGradient)
            return
        }
        let foldGradient = gradientPlan == nil ? inputGradient : nil
        foldGradient?.update(repeating: 0, count: slice.count * inputSize)
        var image = 0
        while image < slice.count {
            let count = min(groupSize, slice.count - image)
            let rows = count * window.outputPixels
            let gradient = outputGradient + image * outputSize
            kernels.im2col(input + image * inputSize, batch: count, plan: plan, columns: work.patches.pointer)
            // dW (patch x filters) += patchesᵀ · dZ
            kernels.gemm(m: patchLength, n: filters, k: rows, a: work.patches.pointer, lda: patchLength, transposeA: true,
                         b: gradient, ldb: filters, transposeB: false, c: kernelGradient, ldc: filters, accumulate: true)
            // dX += col2im(dZ · Wᵀ) (strided convolutions)
            if let inputGradient = foldGradient {
                kernels.gemm(rows: rows, a: gradient, lda: filters, b: packedTransposed!, c: work.patches.pointer,
                             ldc: patchLength, epilogue: .none, accumulate: false)
                kernels.col2imAccumulate(work.patches.pointer, batch: count, plan: plan, image: inputGradient + image * inputSize)
            }
            image += count
        }
    }

    /// dW += Σ over the images' pixels of patchᵀ·dZ, without unfolding the patches. On a grid
    /// of the padded image's size (pixel q = (y, x), row stride `gridWidth`), the window of q
    /// starts at q·C and kernel row ky's kw·C values follow it contiguously: for fixed ky the
    /// patch columns of every pixel are a matrix whose rows overlap, read with lda = C. dZ is
    /// spread over the same grid, zero where x is past the output (those windows wrap around the
    /// row's edge and must count for nothing). So dW's rows for ky are one GEMM per image,
    /// m = kw·C, k = the grid pixels up to the last output pixel (about 7 % more than the
    /// output's); the padded image and grid stay in the L2 cache. The spread dZ is written
    /// straight into the packed layout the multiply reads, once for the kh multiplies.
    private func accumulateKernelGradient(_ input: UnsafePointer<Float>, _ outputGradient: UnsafePointer<Float>, images: Int,
                                          geometry: InPlaceKernelGradient, work: Scratch, into kernelGradient: UnsafeMutablePointer<Float>) {
        let w = window, channels = inputChannels
        let gridWidth = geometry.gridWidth
        let segment = w.kernelWidth * channels
        let spread = work.spreadGradient!
        for image in 0..<images {
            let source: UnsafePointer<Float>
            if geometry.needsCopy {
                // Only the image's own positions are ever written, so the border stays as the
                // buffer was allocated: zero.
                let padded = work.paddedImages.pointer
                let from = input + image * inputSize
                for y in 0..<w.inputHeight {
                    (padded + ((y + w.padTop) * gridWidth + w.padLeft) * channels).update(from: from + y * w.inputWidth * channels,
                                                                                      count: w.inputWidth * channels)
                }
                source = UnsafePointer(padded)
            } else {
                source = input + image * inputSize
            }
            // Likewise the columns past the output in each grid row are never written: zero.
            spreadOverGrid(outputGradient + image * outputSize, gridWidth: gridWidth, into: spread)
            for ky in 0..<w.kernelHeight {
                kernels.gemm(transposedA: source + ky * w.dilationHeight * gridWidth * channels, m: segment, lda: channels, b: spread,
                             c: kernelGradient + ky * segment * filters, ldc: filters, accumulate: true)
            }
        }
    }

    /// One image's dZ (outH x outW x filters) into the packed grid: output pixel (y, x) is row
    /// y·gridWidth + x, each panel's columns of it in that panel's rows.
    private func spreadOverGrid(_ gradient: UnsafePointer<Float>, gridWidth: Int, into packed: PackedMatrix) {
        let w = window, filters = self.filters
        let panels = packed.panels.pointer
        if packed.panelCount == 1 && packed.width(ofPanel: 0) == filters {
            // One panel exactly as wide as the filters: the grid is row-major, a row of output pixels one copy.
            let rowFloats = w.outputWidth * filters
            for y in 0..<w.outputHeight {
                (panels + y * gridWidth * filters).update(from: gradient + y * rowFloats, count: rowFloats)
            }
            return
        }
        for panel in 0..<packed.panelCount {
            let first = panel * packed.panelWidth, width = packed.width(ofPanel: panel)
            let count = min(width, filters - first)
            let base = panels + panel * packed.rows * packed.panelWidth
            for y in 0..<w.outputHeight {
                for x in 0..<w.outputWidth {
                    (base + (y * gridWidth + x) * width).update(from: gradient + (y * w.outputWidth + x) * filters + first, count: count)
                }
            }
        }
    }

    func finishBackward(pieces: Int) { accumulators.sum(pieces: pieces) }
}

/// The grid `Conv2DLayer.accumulateKernelGradient` works on: the padded image's size, for a
/// convolution of stride 1 whose kernel rows are contiguous (no dilation along the width).
struct InPlaceKernelGradient {
    let gridHeight: Int
    let gridWidth: Int
    /// Whether the image needs a zero border ('same' padding) or is read where it is ('valid').
    let needsCopy: Bool

    var gridPixels: Int { gridHeight * gridWidth }

    /// The grid pixels the multiply walks (its k): up to the last output pixel, whose window
    /// ends at the last value of the (padded) image.
    func multiplyRows(_ w: Window2D) -> Int { (w.outputHeight - 1) * gridWidth + w.outputWidth }

    init?(window w: Window2D) {
        guard w.strideHeight == 1, w.strideWidth == 1, w.dilationWidth == 1 else { return nil }
        gridHeight = w.outputHeight + (w.kernelHeight - 1) * w.dilationHeight
        gridWidth = w.outputWidth + w.kernelWidth - 1
        // The image must fit the grid where its padding puts it.
        guard w.padTop + w.inputHeight <= gridHeight, w.padLeft + w.inputWidth <= gridWidth else { return nil }
        needsCopy = w.padTop != 0 || w.padLeft != 0 || gridHeight != w.inputHeight || gridWidth != w.inputWidth
    }

    /// Floats of scratch per piece: one padded image (when copied) and one spread gradient.
    func scratchFloats(inputChannels: Int, filters: Int) -> Int {
        gridPixels.saturatingMultiply((needsCopy ? inputChannels : 0) + filters)
    }
}
