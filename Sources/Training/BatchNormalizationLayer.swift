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
    // Statistics of the current batch for the backward pass: every piece keeps its own copy
    // (the same values, combined in the same order), so no piece waits on another's write.
    private var batchStatistics = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var statisticsCapacity = 1
    // Per-piece partial results (piece x channels), combined in piece order: two for the forward
    // pass (the piece's mean and Σ(x - mean)²) and two for the backward (Σdy, Σdy·x̂), so that a piece already in
    // the backward pass never overwrites sums another piece is still reading in the forward.
    private var partial = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partialSecond = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var backwardPartial = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var backwardPartialSecond = UnsafeMutablePointer<Double>.allocate(capacity: 1)
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
    }

    deinit {
        for buffer in [partial, partialSecond, backwardPartial, backwardPartialSecond] { buffer.deallocate() }
        batchStatistics.deallocate()
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "axis": -1, "momentum": Double(momentum), "epsilon": Double(epsilon),
         "center": beta != nil, "scale": gamma != nil,
         "beta_initializer": Initializer.zeros.kerasConfig, "gamma_initializer": Initializer.ones.kerasConfig,
         "moving_mean_initializer": Initializer.zeros.kerasConfig, "moving_variance_initializer": Initializer.ones.kerasConfig,
         "beta_regularizer": jsonNull, "gamma_regularizer": jsonNull, "beta_constraint": jsonNull, "gamma_constraint": jsonNull]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        if statisticsCapacity < 2 * pieces * channels {
            batchStatistics.deallocate()
            statisticsCapacity = 2 * pieces * channels
            batchStatistics = .allocate(capacity: statisticsCapacity)
        }
        guard partialCapacity < pieces * channels else { return }
        for buffer in [partial, partialSecond, backwardPartial, backwardPartialSecond] { buffer.deallocate() }
        partialCapacity = pieces * channels
        partial = .allocate(capacity: partialCapacity)
        partialSecond = .allocate(capacity: partialCapacity)
        backwardPartial = .allocate(capacity: partialCapacity)
        backwardPartialSecond = .allocate(capacity: partialCapacity)
    }

    /// Σ over pieces of a per-piece, per-channel sum, in piece order.
    private func combine(_ sums: UnsafeMutablePointer<Double>, pieces: Int) -> [Double] {
        (0..<channels).map { c in (0..<pieces).reduce(0.0) { $0 + sums[$1 * channels + c] } }
    }

    /// Rows of `channels` values in samples [0, count).
    private func rows(_ samples: Int) -> Int { samples * (inputSampleSize / channels) }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        guard mode.training else {
            // Inference: the stored statistics.
            normalize(input, output, rows: rows(slice.count), mean: movingMean.values,
                      inverse: movingVariance.values.map { 1 / ($0 + epsilon).squareRoot() })
            return
        }
        let channels = self.channels, pieces = slice.pieces, piece = slice.piece
        // Every piece finds the mean and squared deviations of its rows (one pass, exact as two),
        // meets the others, then merges all pieces' moments in piece order.
        let pieceMeans = partial + piece * channels, pieceSquares = partialSecond + piece * channels
        let kept = batchStatistics + 2 * piece * channels
        channelMoments(input, rows: rows(slice.count), channels: channels, mean: pieceMeans, squares: pieceSquares)
        slice.barrier.wait()
        let n = Double(rows(slice.batch))
        var batchMean = [Double](repeating: 0, count: channels), batchSquares = batchMean
        var seen = 0.0
        for other in 0..<pieces {
            let count = Double(rows(splitBatch(slice.batch, pieces: pieces, piece: other, barrier: slice.barrier).count))
            guard count > 0 else { continue }
            let total = seen + count
            for c in 0..<channels {
                let delta = partial[other * channels + c] - batchMean[c]
                batchMean[c] += delta * count / total
                batchSquares[c] += partialSecond[other * channels + c] + delta * delta * seen * count / total
            }
            seen = total
        }
        let batchVariance = batchSquares.map { $0 / n }
        let mean = batchMean.map { Float($0) }
        let inverse = batchVariance.map { 1 / (Float($0) + epsilon).squareRoot() }
        normalize(input, output, rows: rows(slice.count), mean: mean, inverse: inverse)
        for c in 0..<channels {
            kept[c] = mean[c]
            kept[channels + c] = inverse[c]
        }
        // Piece 0 moves the stored statistics (only inference reads them).
        guard piece == 0 else { return }
        let correction = inputShape.count == 3 && n > 1 ? n / (n - 1) : 1
        let stored = movingMean.value.pointer, storedVariance = movingVariance.value.pointer
        for c in 0..<channels {
            stored[c] = stored[c] * momentum + Float(batchMean[c]) * (1 - momentum)
            storedVariance[c] = storedVariance[c] * momentum + Float(batchVariance[c] * correction) * (1 - momentum)
        }
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

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        let channels = self.channels, pieces = slice.pieces, piece = slice.piece
        // This piece's copy of the batch statistics from the forward pass.
        let kept = UnsafePointer(batchStatistics + 2 * piece * channels)
        // Pass 1: Σ dy and Σ dy·x̂ per channel (dβ and dγ), combined across pieces.
        let sumGradientPiece = backwardPartial + piece * channels, sumProductPiece = backwardPartialSecond + piece * channels
        sumGradientChannels(outputGradient, input, rows: rows(slice.count), channels: channels, mean: kept, inverse: kept + channels,
                            gradientSums: sumGradientPiece, productSums: sumProductPiece)
        slice.barrier.wait()
        let sumGradient = combine(backwardPartial, pieces: pieces), sumProduct = combine(backwardPartialSecond, pieces: pieces)
        if piece == 0 {
            if let gamma { for c in 0..<channels { gamma.gradient.pointer[c] = Float(sumProduct[c]) } }
            if let beta { for c in 0..<channels { beta.gradient.pointer[c] = Float(sumGradient[c]) } }
        }
        guard let inputGradient else { return }
        // Pass 2: dx = γ/σ · (dy - mean(dy) - x̂ · mean(dy·x̂)).
        let n = Float(rows(slice.batch))
        let gammaValues = gamma?.values ?? [Float](repeating: 1, count: channels)
        let coefficients = (0..<channels).map { gammaValues[$0] * kept[channels + $0] }
            + sumGradient.map { Float($0) / n } + sumProduct.map { Float($0) / n }
        coefficients.withUnsafeBufferPointer { values in
            let base = values.baseAddress!
            batchNormalizationInputGradient(UnsafePointer(outputGradient), input, rows: rows(slice.count), channels: channels,
                                            mean: kept, inverse: kept + channels, scale: base, meanGradient: base + channels,
                                            meanProduct: base + 2 * channels, into: inputGradient)
        }
    }
}
