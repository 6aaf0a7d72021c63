import Datasets

/// Which samples one epoch trains on, and in which order: every labelled image, plus the
/// outlier images (non-digits for a "not a digit" model) — all of them every epoch, or
/// `outliersPerEpoch` of them drawn afresh each epoch from a larger pool.
///
/// Redrawing shows the model many more kinds of outlier over a run at the cost of one fixed
/// sample (tf-keras prototype scripts/compare_not_a_digit.py: 0.5 non-digits per digit drawn
/// from ~43,000 each epoch), so it does not learn one sample of them by heart.
///
/// A sample index below `trainingCount` is that labelled image; `trainingCount + k` is outlier
/// `k`. Draws depend only on the seed and the epoch: the same run sees the same samples.
struct EpochSampler: Equatable {
    let trainingCount: Int
    let outlierCount: Int
    /// Outliers per epoch (at most `outlierCount`; equal to it: every outlier, no draw).
    let outliersPerEpoch: Int
    let seed: UInt64
    let shuffle: Bool

    init(trainingCount: Int, outlierCount: Int, outliersPerEpoch: Int?, seed: UInt64, shuffle: Bool) {
        self.trainingCount = trainingCount
        self.outlierCount = outlierCount
        self.outliersPerEpoch = min(outliersPerEpoch ?? outlierCount, outlierCount)
        self.seed = seed
        self.shuffle = shuffle
    }

    var samplesPerEpoch: Int { trainingCount + outliersPerEpoch }

    /// The outliers epoch `epoch` (1-based) draws, as indices into the outlier images, in the
    /// order drawn (a partial Fisher-Yates shuffle: distinct, uniform over the pool).
    func outliers(epoch: Int) -> [Int] {
        guard outliersPerEpoch < outlierCount else { return Array(0..<outlierCount) }
        var pool = Array(0..<outlierCount)
        var random = SeededRandom(seed: seed, stream: [0x0D7_1E55, UInt64(epoch)])
        for position in 0..<outliersPerEpoch {
            pool.swapAt(position, Int.random(in: position..<outlierCount, using: &random))
        }
        return Array(pool[0..<outliersPerEpoch])
    }

    /// The epoch's sample indices in training order (shuffled when `shuffle` is on, with the
    /// stream the trainer has always used, so runs without a draw are as before).
    func samples(epoch: Int) -> [Int] {
        var order = Array(0..<trainingCount)
        order.reserveCapacity(samplesPerEpoch)
        order += outliers(epoch: epoch).map { trainingCount + $0 }
        if shuffle {
            var random = SeededRandom(seed: seed, stream: [0x5AFF1E, UInt64(epoch)])
            order.shuffle(using: &random)
        }
        return order
    }
}
