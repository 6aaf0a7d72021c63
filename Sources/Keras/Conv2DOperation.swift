import Kernels

/// Conv2D: the kernels' implicit GEMM over the NHWC image, the bias and a ReLU fused into its
/// stores; other activations are applied afterwards.
final class Conv2DOperation: ChannelAffineFoldable {
    let plan: ConvolutionPlan
    /// (kh, kw, in) x out, Keras's kernel layout flattened.
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
    private var kernels: (any KernelSet.Type)?
    private var packed: PackedMatrix?
    /// A per-channel map after the activation, applied by the kernels as they store.
    private(set) var outputAffine: (scale: [Float], shift: [Float])?

    var window: Window2D { plan.window }
    var inputChannels: Int { plan.inputChannels }
    var outputChannels: Int { plan.outputChannels }

    init(window: Window2D, inputChannels: Int, outputChannels: Int, kernel: [Float], bias: [Float],
         activation: Activation) {
        plan = ConvolutionPlan(window: window, inputChannels: inputChannels, outputChannels: outputChannels)
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    func fold(scale: [Float], shift: [Float]) {
        let n = outputChannels
        for row in 0..<(kernel.count / n) {
            for column in 0..<n { kernel[row * n + column] *= scale[column] }
        }
        if bias.isEmpty { bias = [Float](repeating: 0, count: n) }
        for column in 0..<n { bias[column] = bias[column] * scale[column] + shift[column] }
    }

    func foldAfterActivation(scale: [Float], shift: [Float]) -> Bool {
        guard outputAffine == nil, Epilogue.fusing(activation) != nil else { return false }
        outputAffine = (scale, shift)
        return true
    }

    func prepare(kernels: any KernelSet.Type) {
        self.kernels = kernels
        packed = pack(kernel, bias: bias, rows: plan.patchLength, columns: outputChannels, kernels: kernels,
                      outputAffine: outputAffine)
    }

    func scratchCount(batch: Int) -> Int { kernels?.convolutionScratchCount(plan) ?? 0 }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        guard let packed, let kernels else { return }
        let fused = Epilogue.fusing(activation)
        kernels.convolve(inputs[0], batch: batch, plan: plan, weights: packed, output: output,
                         epilogue: fused ?? .none, scratch: scratch)
        if fused == nil {
            activation.apply(output, count: batch &* window.outputPixels &* outputChannels, rowLength: outputChannels)
        }
    }
}

/// Packs Keras's row-major rows x columns kernel (and bias, possibly empty) for `kernels`.
/// With `outputAffine`, the matrix carries that map for the kernels to apply after the epilogue.
func pack(_ kernel: [Float], bias: [Float], rows: Int, columns: Int, kernels: any KernelSet.Type,
          outputAffine: (scale: [Float], shift: [Float])? = nil) -> PackedMatrix {
    let packed = kernel.withUnsafeBufferPointer { weights in
        bias.withUnsafeBufferPointer { bias in
            kernels.pack(weights.baseAddress!, rows: rows, columns: columns, ldb: columns, transposed: false,
                         bias: bias.isEmpty ? nil : bias.baseAddress)
        }
    }
    if let outputAffine { packed.setOutputAffine(scale: outputAffine.scale, shift: outputAffine.shift) }
    return packed
}

extension Epilogue {
    /// The epilogue that implements `activation`, if any; the caller applies the rest afterwards.
    static func fusing(_ activation: Activation) -> Epilogue? {
        switch activation {
        case .linear: return Epilogue.none
        case .relu: return .relu
        case .relu6: return .relu6
        default: return nil
        }
    }
}
