import Keras

/// Dense on the last axis: Y = X·W + b, then the activation. Every leading position of every
/// sample is one row, so a slice of the batch is one matrix multiply each way:
/// dW = Xᵀ·dZ, db = Σ dZ, dX = dZ·Wᵀ.
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
    private let packedKernel = MatrixMultiply.PackedOperand()
    private let packedTransposed = MatrixMultiply.PackedOperand()
    private let accumulators: GradientAccumulators
    private var scratch: [(transposedInput: FloatBuffer, packedGradient: MatrixMultiply.PackedOperand)] = []

    var className: String { "Dense" }
    var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }
    var activationStage: ActivationStage? { stage }

    init(name: String, inputShape: [Int], units: Int, activation: Activation, kernel: [Float], bias: [Float]?,
         initializers: (kernel: Initializer, bias: Initializer)) {
        self.name = name
        self.inputShape = inputShape
        self.units = units
        inputUnits = inputShape.last ?? 1
        rowsPerSample = inputShape.dropLast().reduce(1, *)
        outputShape = Array(inputShape.dropLast()) + [units]
        self.kernel = Parameter(name: "kernel", shape: [inputUnits, units], values: kernel)
        self.bias = bias.map { Parameter(name: "bias", shape: [units], values: $0) }
        self.initializers = initializers
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
        packedKernel.pack(kernel.value.pointer, ldb: units, k: inputUnits, n: units, transposed: false,
                          bias: bias.map { UnsafePointer($0.value.pointer) })
        stage.prepare(batch: batch)
        guard mode.training else { return }
        packedTransposed.pack(kernel.value.pointer, ldb: units, k: units, n: inputUnits, transposed: true)
        accumulators.reset(pieces: pieces)
        let rows = (batch + pieces - 1) / pieces * rowsPerSample
        while scratch.count < pieces { scratch.append((FloatBuffer(count: 0), MatrixMultiply.PackedOperand())) }
        for piece in 0..<pieces where scratch[piece].transposedInput.count < rows * inputUnits {
            scratch[piece].transposedInput = FloatBuffer(count: rows * inputUnits)
        }
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        MatrixMultiply.multiply(m: slice.count * rowsPerSample, a: input, lda: inputUnits, b: packedKernel, c: output, ldc: units,
                                accumulate: false)
        stage.forward(output, start: slice.start, count: slice.count, training: mode.training)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        stage.backward(outputGradient, output: output, start: slice.start, count: slice.count)
        let rows = slice.count * rowsPerSample
        let (transposed, packedGradient) = scratch[slice.piece]
        // dW = Xᵀ · dZ
        MatrixMultiply.transpose(input, rows: rows, columns: inputUnits, lda: inputUnits, into: transposed.pointer)
        packedGradient.pack(outputGradient, ldb: units, k: rows, n: units, transposed: false)
        MatrixMultiply.multiply(m: inputUnits, a: transposed.pointer, lda: rows, b: packedGradient,
                                c: accumulators.buffer(piece: slice.piece, parameter: 0), ldc: units, accumulate: true)
        if bias != nil {
            let biasGradient = accumulators.buffer(piece: slice.piece, parameter: 1)
            addColumnSums(outputGradient, rows: rows, columns: units, into: biasGradient)
        }
        // dX = dZ · Wᵀ
        if let inputGradient {
            MatrixMultiply.multiply(m: rows, a: outputGradient, lda: units, b: packedTransposed, c: inputGradient,
                                    ldc: inputUnits, accumulate: false)
        }
    }

    func finishBackward(pieces: Int) { accumulators.sum(pieces: pieces) }
}

/// Σ over rows of a rows x columns matrix, added into `sums`.
func addColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let values = matrix + row * columns
        for column in 0..<columns { sums[column] += values[column] }
    }
}
