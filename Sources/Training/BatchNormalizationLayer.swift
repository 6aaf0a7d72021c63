import Foundation
import Keras

/// BatchNormalization over the last axis. Training normalises with the batch's own mean and
/// (biased) variance and moves the stored statistics towards them:
/// moving = moving · momentum + batch · (1 - momentum), where for 4-D inputs the variance fed to
/// the moving average is the unbiased one (TensorFlow's fused kernel applies Bessel's
/// correction; its unfused path, used for other ranks, does not). Inference uses the stored
/// statistics, as Keras does.
final class BatchNormalizationLayer: BatchStatisticsLayer, PositiveInputMasking {
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
    /// The current batch's statistics, combined once per pass between the pieces' halves:
    /// mean and 1/σ per channel; the forward's y = x · scale + shift; the backward's
    /// coefficients γ/σ, mean(dy) and mean(dy·x̂).
    private let statistics: UnsafeMutablePointer<Float>
    private let normalization: UnsafeMutablePointer<Float>
    private let coefficients: UnsafeMutablePointer<Float>
    /// Per-piece partial results (piece x channels), combined in piece order: the forward's
    /// mean and Σ(x - mean)² of the piece, the backward's Σdy and Σdy·x̂.
    private var partial = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partialSecond = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partialCapacity = 1
    /// The input gradient pass reads the input: it can apply a ReLU's mask before this layer.
    let canMaskByPositiveInput = true
    var masksByPositiveInput = false

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
        statistics = .allocate(capacity: 2 * channels)
        normalization = .allocate(capacity: 2 * channels)
        coefficients = .allocate(capacity: 3 * channels)
    }

    deinit {
        for buffer in [partial, partialSecond] { buffer.deallocate() }
        for buffer in [statistics, normalization, coefficients] { buffer.deallocate() }
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
        for buffer in [partial, partialSecond] { buffer.deallocate() }
        partialCapacity = pieces * channels
        partial = .allocate(capacity: partialCapacity)
        partialSecond = .allocate(capacity: partialCapacity)
    }

    /// Rows of `channels` values in samples [0, count).
    private func rows(_ samples: Int) -> Int { samples * (inputSampleSize / channels) }

    /// The piece's mean and squared deviations per channel (one pass, exact as two).
    func collectForward(_ input: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode) {
        channelMoments(input, rows: rows(slice.count), channels: channels, mean: partial + slice.piece * channels,
                       squares: partialSecond + slice.piece * channels)
    }

    /// Merges every piece's moments in piece order (Chan et al.), keeps the batch's mean and
    /// 1/σ for the backward pass and moves the stored statistics (only inference reads them).
    func reduceForward(batch: Int, pieces: Int, mode: PassMode) {
        let channels = self.channels
        let n = Double(rows(batch))
        var batchMean = [Double](repeating: 0, count: channels), batchSquares = batchMean
        var seen = 0.0
        for piece in 0..<pieces {
            let count = Double(rows(splitBatch(batch, pieces: pieces, piece: piece).count))
            guard count > 0 else { continue }
            let total = seen + count
            for c in 0..<channels {
                let delta = partial[piece * channels + c] - batchMean[c]
                batchMean[c] += delta * count / total
                batchSquares[c] += partialSecond[piece * channels + c] + delta * delta * seen * count / total
            }
            seen = total
        }
        let gammaValues = gamma?.value.pointer, betaValues = beta?.value.pointer
        for c in 0..<channels {
            let mean = Float(batchMean[c]), inverse = 1 / (Float(batchSquares[c] / n) + epsilon).squareRoot()
            statistics[c] = mean
            statistics[channels + c] = inverse
            let scale = inverse * (gammaValues?[c] ?? 1)
            normalization[c] = scale
            normalization[channels + c] = (betaValues?[c] ?? 0) - mean * scale
        }
        let correction = inputShape.count == 3 && n > 1 ? n / (n - 1) : 1
        let stored = movingMean.value.pointer, storedVariance = movingVariance.value.pointer
        for c in 0..<channels {
            stored[c] = stored[c] * momentum + Float(batchMean[c]) * (1 - momentum)
            storedVariance[c] = storedVariance[c] * momentum + Float(batchSquares[c] / n * correction) * (1 - momentum)
        }
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard mode.training else {
            // Inference: the stored statistics.
            normalize(input, output, rows: rows(slice.count), mean: movingMean.values,
                      inverse: movingVariance.values.map { 1 / ($0 + epsilon).squareRoot() })
            return
        }
        scaleAndShiftChannels(input, output, rows: rows(slice.count), channels: channels, scale: normalization,
                              shift: normalization + channels)
    }

    /// y = x · scale + shift per channel, scale = γ/σ and shift = β - mean · scale.
    private func normalize(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, mean: [Float], inverse: [Float]) {
        let gammaValues = gamma?.values ?? [Float](repeating: 1, count: channels)
        let betaValues = beta?.values ?? [Float](repeating: 0, count: channels)
        let scale = (0..<channels).map { inverse[$0] * gammaValues[$0] }
        let shift = (0..<channels).map { betaValues[$0] - mean[$0] * scale[$0] }
        scale.withUnsafeBufferPointer { scale in
            shift.withUnsafeBufferPointer { shift in
                scaleAndShiftChannels(input, output, rows: rows, channels: channels, scale: scale.baseAddress!, shift: shift.baseAddress!)
            }
        }
    }

    /// The piece's Σ dy and Σ dy·x̂ per channel (dβ and dγ).
    func collectBackward(_ input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, slice: BatchSlice, mode: PassMode) {
        sumGradientChannels(outputGradient, input, rows: rows(slice.count), channels: channels, mean: statistics,
                            inverse: statistics + channels, gradientSums: partial + slice.piece * channels,
                            productSums: partialSecond + slice.piece * channels)
    }

    /// dγ and dβ from every piece's sums (in piece order), and the input gradient's coefficients.
    func reduceBackward(batch: Int, pieces: Int, mode: PassMode) {
        let channels = self.channels
        let n = Float(rows(batch))
        let gammaValues = gamma?.value.pointer
        for c in 0..<channels {
            var sumGradient = 0.0, sumProduct = 0.0
            for piece in 0..<pieces {
                sumGradient += partial[piece * channels + c]
                sumProduct += partialSecond[piece * channels + c]
            }
            gamma?.gradient.pointer[c] = Float(sumProduct)
            beta?.gradient.pointer[c] = Float(sumGradient)
            coefficients[c] = (gammaValues?[c] ?? 1) * statistics[channels + c]
            coefficients[channels + c] = Float(sumGradient) / n
            coefficients[2 * channels + c] = Float(sumProduct) / n
        }
    }

    /// dx = γ/σ · (dy - mean(dy) - x̂ · mean(dy·x̂)), after `reduceBackward`.
    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard let inputGradient else { return }
        batchNormalizationInputGradient(UnsafePointer(outputGradient), input, rows: rows(slice.count), channels: channels,
                                        mean: statistics, inverse: statistics + channels, scale: coefficients,
                                        meanGradient: coefficients + channels, meanProduct: coefficients + 2 * channels,
                                        positiveInputOnly: masksByPositiveInput, into: inputGradient)
    }
}
