import Kernels

/// Dense on the last axis: every leading position of every sample is one GEMM row, so a batch
/// (or a rank-3 input) is one matrix multiply.
final class DenseOperation: ChannelAffineFoldable {
    let inputUnits: Int
    let units: Int
    /// Rows per sample: the product of the input's leading (non-last) dimensions.
    let rowsPerSample: Int
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
    private var kernels: (any KernelSet.Type)?
    private var packed: PackedMatrix?
    /// A per-unit map after the activation, applied by the kernels as they store.
    private(set) var outputAffine: (scale: [Float], shift: [Float])?

    var outputChannels: Int { units }

    init(inputUnits: Int, units: Int, rowsPerSample: Int, kernel: [Float], bias: [Float], activation: Activation) {
        self.inputUnits = inputUnits
        self.units = units
        self.rowsPerSample = rowsPerSample
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    func fold(scale: [Float], shift: [Float]) {
        for row in 0..<inputUnits {
            for column in 0..<units { kernel[row * units + column] *= scale[column] }
        }
        if bias.isEmpty { bias = [Float](repeating: 0, count: units) }
        for column in 0..<units { bias[column] = bias[column] * scale[column] + shift[column] }
    }

    func foldAfterActivation(scale: [Float], shift: [Float]) -> Bool {
        guard outputAffine == nil, Epilogue.fusing(activation) != nil else { return false }
        outputAffine = (scale, shift)
        return true
    }

    func prepare(kernels: any KernelSet.Type) {
        self.kernels = kernels
        packed = pack(kernel, bias: bias, rows: inputUnits, columns: units, kernels: kernels, outputAffine: outputAffine)
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        guard let packed, let kernels else { return }
        let rows = batch &* rowsPerSample
        let fused = Epilogue.fusing(activation)
        kernels.gemm(rows: rows, a: inputs[0], lda: inputUnits, b: packed, c: output, ldc: units,
                     epilogue: fused ?? .none, accumulate: false)
        if fused == nil { activation.apply(output, count: rows &* units, rowLength: units) }
    }
}
