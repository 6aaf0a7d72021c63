import Foundation
import Keras

/// BatchNormalization over the last axis. Training normalises with the batch's own mean and
/// (biased) variance and moves the stored statistics towards them:
/// moving = moving · momentum + batch · (1 - momentum), where for 4-D inputs the variance fed to
/// the moving average is the unbiased one (TensorFlow's fused kernel applies Bessel's
/// correction; its unfused path, used for other ranks, does not). Inference uses the stored
/// statistics, as Keras does.
final class BatchNormalizationLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    var outputShape: [Int] { inputShape }
    let channels: Int
    let momentum: Float
    let epsilon: Float
    let gamma: Parameter?
    let beta: Parameter?
    let movingMean: Parameter
    let movingVariance: Parameter
    // Statistics of the current batch, for the backward pass.
    private var mean: [Float]
    private var inverseDeviation: [Float]
    private var count = 0
    // Per-piece partial sums (piece x channels), combined in piece order.
    private var partial = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partialSecond = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partialCapacity = 1

    var className: String { "BatchNormalization" }
    var parameters: [Parameter] { [gamma, beta].compactMap { $0 } + [movingMean, movingVariance] }

    init(name: String, inputShape: [Int], momentum: Float, epsilon: Float, gamma: [Float]?, beta: [Float]?,
         movingMean: [Float], movingVariance: [Float]) {
        self.name = name
        self.inputShape = inputShape
        channels = inputShape.last ?? 1
        self.momentum = momentum
        self.epsilon = epsilon
        self.gamma = gamma.map { Parameter(name: "gamma", shape: [inputShape.last ?? 1], values: $0) }
        self.beta = beta.map { Parameter(name: "beta", shape: [inputShape.last ?? 1], values: $0) }
        self.movingMean = Parameter(name: "moving_mean", shape: [inputShape.last ?? 1], trainable: false, values: movingMean)
        self.movingVariance = Parameter(name: "moving_variance", shape: [inputShape.last ?? 1], trainable: false, values: movingVariance)
        mean = [Float](repeating: 0, count: inputShape.last ?? 1)
        inverseDeviation = mean
    }

    deinit {
        partial.deallocate()
        partialSecond.deallocate()
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "axis": -1, "momentum": Double(momentum), "epsilon": Double(epsilon),
         "center": beta != nil, "scale": gamma != nil,
         "beta_initializer": Initializer.zeros.kerasConfig, "gamma_initializer": Initializer.ones.kerasConfig,
         "moving_mean_initializer": Initializer.zeros.kerasConfig, "moving_variance_initializer": Initializer.ones.kerasConfig,
         "beta_regularizer": jsonNull, "gamma_regularizer": jsonNull, "beta_constraint": jsonNull, "gamma_constraint": jsonNull]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        guard partialCapacity < pieces * channels else { return }
        partial.deallocate()
        partialSecond.deallocate()
        partialCapacity = pieces * channels
        partial = .allocate(capacity: partialCapacity)
        partialSecond = .allocate(capacity: partialCapacity)
    }

    /// Σ over pieces of a per-piece, per-channel sum, in piece order.
    private func combine(_ sums: UnsafeMutablePointer<Double>, pieces: Int) -> [Double] {
        (0..<channels).map { c in (0..<pieces).reduce(0.0) { $0 + sums[$1 * channels + c] } }
    }

    /// Rows of `channels` values in samples [0, count).
    private func rows(_ samples: Int) -> Int { samples * (inputSampleSize / channels) }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        // Inference: the stored statistics.
        normalize(input, output, rows: rows(slice.count), mean: movingMean.values,
                  inverse: movingVariance.values.map { 1 / ($0 + epsilon).squareRoot() })
    }

    private func normalize(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, mean: [Float], inverse: [Float]) {
        let gammaValues = gamma?.values ?? [Float](repeating: 1, count: channels)
        let betaValues = beta?.values ?? [Float](repeating: 0, count: channels)
        let scale = (0..<channels).map { inverse[$0] * gammaValues[$0] }
        let shift = (0..<channels).map { betaValues[$0] - mean[$0] * scale[$0] }
        for row in 0..<rows {
            let x = input + row * channels, y = output + row * channels
            for c in 0..<channels { y[c] = x[c] * scale[c] + shift[c] }
        }
    }

    func forwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, gang: WorkerGang, mode: PassMode) {
        guard mode.training else {
            gang.run(gang.threadCount) { piece in
                let slice = splitBatch(batch, pieces: gang.threadCount, piece: piece)
                guard slice.count > 0 else { return }
                forward(input + slice.start * inputSampleSize, output + slice.start * inputSampleSize, slice: slice, mode: mode)
            }
            return
        }
        let pieces = gang.threadCount
        let size = inputSampleSize, channels = self.channels
        // Pass 1: mean. Pass 2: variance about it (two passes keep float32 inputs exact enough).
        let partial = self.partial, partialSecond = self.partialSecond
        gang.run(pieces) { piece in
            let slice = splitBatch(batch, pieces: pieces, piece: piece)
            let sums = partial + piece * channels
            sums.update(repeating: 0, count: channels)
            let x = input + slice.start * size
            for row in 0..<rows(slice.count) { for c in 0..<channels { sums[c] += Double(x[row * channels + c]) } }
        }
        count = rows(batch)
        let n = Double(count)
        let batchMean = combine(partial, pieces: pieces).map { $0 / n }
        gang.run(pieces) { piece in
            let slice = splitBatch(batch, pieces: pieces, piece: piece)
            let sums = partialSecond + piece * channels
            sums.update(repeating: 0, count: channels)
            let x = input + slice.start * size
            for row in 0..<rows(slice.count) {
                for c in 0..<channels { let d = Double(x[row * channels + c]) - batchMean[c]; sums[c] += d * d }
            }
        }
        let batchVariance = combine(partialSecond, pieces: pieces).map { $0 / n }
        mean = batchMean.map { Float($0) }
        inverseDeviation = batchVariance.map { 1 / (Float($0) + epsilon).squareRoot() }
        gang.run(pieces) { piece in
            let slice = splitBatch(batch, pieces: pieces, piece: piece)
            normalize(input + slice.start * size, output + slice.start * size, rows: rows(slice.count), mean: mean, inverse: inverseDeviation)
        }
        // Moving statistics.
        let correction = inputShape.count == 3 && count > 1 ? n / (n - 1) : 1
        let stored = movingMean.value.pointer, storedVariance = movingVariance.value.pointer
        for c in 0..<channels {
            stored[c] = stored[c] * momentum + Float(batchMean[c]) * (1 - momentum)
            storedVariance[c] = storedVariance[c] * momentum + Float(batchVariance[c] * correction) * (1 - momentum)
        }
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {}

    func backwardBatch(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                       inputGradient: UnsafeMutablePointer<Float>?, batch: Int, gang: WorkerGang, mode: PassMode) {
        let pieces = gang.threadCount
        let size = inputSampleSize, channels = self.channels
        let mean = self.mean, inverse = inverseDeviation
        // Pass 1: Σ dy and Σ dy·x̂ per channel (dβ and dγ).
        let partial = self.partial, partialSecond = self.partialSecond
        gang.run(pieces) { piece in
            let slice = splitBatch(batch, pieces: pieces, piece: piece)
            let sumGradient = partial + piece * channels, sumProduct = partialSecond + piece * channels
            sumGradient.update(repeating: 0, count: channels)
            sumProduct.update(repeating: 0, count: channels)
            let x = input + slice.start * size, dy = outputGradient + slice.start * size
            for row in 0..<rows(slice.count) {
                for c in 0..<channels {
                    let g = Double(dy[row * channels + c])
                    sumGradient[c] += g
                    sumProduct[c] += g * Double((x[row * channels + c] - mean[c]) * inverse[c])
                }
            }
        }
        let sumGradient = combine(partial, pieces: pieces), sumProduct = combine(partialSecond, pieces: pieces)
        if let gamma { for c in 0..<channels { gamma.gradient.pointer[c] = Float(sumProduct[c]) } }
        if let beta { for c in 0..<channels { beta.gradient.pointer[c] = Float(sumGradient[c]) } }
        guard let inputGradient else { return }
        // Pass 2: dx = γ/σ · (dy - mean(dy) - x̂ · mean(dy·x̂)).
        let n = Float(count)
        let gammaValues = gamma?.values ?? [Float](repeating: 1, count: channels)
        let meanGradient = sumGradient.map { Float($0) / n }, meanProduct = sumProduct.map { Float($0) / n }
        gang.run(pieces) { piece in
            let slice = splitBatch(batch, pieces: pieces, piece: piece)
            let x = input + slice.start * size, dy = outputGradient + slice.start * size, dx = inputGradient + slice.start * size
            for row in 0..<rows(slice.count) {
                for c in 0..<channels {
                    let i = row * channels + c
                    let normalized = (x[i] - mean[c]) * inverse[c]
                    dx[i] = gammaValues[c] * inverse[c] * (dy[i] - meanGradient[c] - normalized * meanProduct[c])
                }
            }
        }
    }
}
