import Keras
import Kernels

/// Dense on the last axis: Y = X·W + b, then the activation. Every leading position of every
/// sample is one row, so a slice of the batch is one matrix multiply each way:
/// dW += Xᵀ·dZ, db += Σ dZ, dX = dZ·Wᵀ.
final class DenseLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    let outputShape: [Int]
    let units: Int
    let inputUnits: Int
    let rowsPerSample: Int
    let kernel: Parameter
    let bias: Parameter?
    let stage: ActivationStage
    let initializers: (kernel: Initializer, bias: Initializer)
    let kernels: any KernelSet.Type
    private var packedKernel: PackedMatrix?
    private var packedTransposed: PackedMatrix?
    private let accumulators: GradientAccumulators

    var className: String { "Dense" }
    var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }
    var activationStage: ActivationStage? { stage }

    init(name: String, inputShape: [Int], units: Int, activation: Activation, kernel: [Float], bias: [Float]?,
         initializers: (kernel: Initializer, bias: Initializer), kernels: any KernelSet.Type) {
        self.name = name
        self.inputShape = inputShape
        self.units = units
        inputUnits = inputShape.last ?? 1
        rowsPerSample = inputShape.dropLast().reduce(1, *)
        outputShape = Array(inputShape.dropLast()) + [units]
        self.kernel = Parameter(name: "kernel", shape: [inputUnits, units], values: kernel)
        self.bias = bias.map { Parameter(name: "bias", shape: [units], values: $0) }
        self.initializers = initializers
        self.kernels = kernels
        stage = ActivationStage(activation, sampleSize: rowsPerSample * units, rowLength: units)
        accumulators = GradientAccumulators([self.kernel] + (self.bias.map { [$0] } ?? []))
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "units": units, "activation": stage.kerasName,
         "use_bias": bias != nil, "kernel_initializer": initializers.kernel.kerasConfig,
         "bias_initializer": initializers.bias.kerasConfig, "kernel_regularizer": jsonNull, "bias_regularizer": jsonNull,
         "activity_regularizer": jsonNull, "kernel_constraint": jsonNull, "bias_constraint": jsonNull]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        packedKernel = kernels.pack(kernel.value.pointer, rows: inputUnits, columns: units, ldb: units, transposed: false,
                                    bias: bias.map { UnsafePointer($0.value.pointer) })
        stage.prepare(batch: batch)
        guard mode.training else { return }
        packedTransposed = kernels.pack(kernel.value.pointer, rows: units, columns: inputUnits, ldb: units, transposed: true, bias: nil)
        accumulators.reset(pieces: pieces)
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        kernels.gemm(rows: slice.count * rowsPerSample, a: input, lda: inputUnits, b: packedKernel!, c: output, ldc: units,
                     epilogue: stage.fusedEpilogue, accumulate: false)
        stage.forward(output, start: slice.start, count: slice.count, training: mode.training)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard slice.count > 0 else { return }
        stage.backward(outputGradient, output: output, start: slice.start, count: slice.count)
        let rows = slice.count * rowsPerSample
        kernels.gemm(m: inputUnits, n: units, k: rows, a: input, lda: inputUnits, transposeA: true, b: outputGradient, ldb: units,
                     transposeB: false, c: accumulators.buffer(piece: slice.piece, parameter: 0), ldc: units, accumulate: true)
        if bias != nil {
            addColumnSums(outputGradient, rows: rows, columns: units, into: accumulators.buffer(piece: slice.piece, parameter: 1))
        }
        if let inputGradient {
            kernels.gemm(rows: rows, a: outputGradient, lda: units, b: packedTransposed!, c: inputGradient, ldc: inputUnits,
                         epilogue: .none, accumulate: false)
        }
    }

    func finishBackward(pieces: Int) { accumulators.sum(pieces: pieces) }
}
