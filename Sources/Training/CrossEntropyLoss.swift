import Foundation

/// Softmax cross-entropy for integer labels, computed from the logits as Keras does when a
/// model ends in softmax (`sparse_categorical_crossentropy`): loss = -log softmax(z)[label],
/// gradient w.r.t. z = (softmax(z) - onehot) / batch, averaged over the batch
/// (Keras's sum_over_batch_size).
///
/// Outlier exposure (Hendrycks et al.): a sample labelled `CrossEntropyLoss.outlier` is pulled
/// towards the uniform distribution instead, its loss -mean_k log softmax(z)_k weighted by
/// `outlierWeight`, so the model learns to be unsure of things that are not digits.
struct CrossEntropyLoss {
    static let outlier = -1
    let classes: Int
    var outlierWeight: Float = 0.5

    struct Result {
        var lossSum: Double = 0
        var correct = 0
        /// Samples with a class label (outliers are not counted in accuracy).
        var labelled = 0
        var samples = 0

        mutating func add(_ other: Result) {
            lossSum += other.lossSum
            correct += other.correct
            labelled += other.labelled
            samples += other.samples
        }

        var meanLoss: Double { samples > 0 ? lossSum / Double(samples) : 0 }
        var accuracy: Double { labelled > 0 ? Double(correct) / Double(labelled) : 0 }
    }

    /// `batch` rows of logits (and the matching softmax outputs); writes the gradient w.r.t. the
    /// logits into `gradient` when given, scaled by 1 / `normalizer` (the batch size).
    func evaluate(logits: UnsafePointer<Float>, probabilities: UnsafePointer<Float>, labels: ArraySlice<Int>, batch: Int,
                  gradient: UnsafeMutablePointer<Float>?, normalizer: Int) -> Result {
        var result = Result()
        let scale = 1 / Float(max(normalizer, 1))
        for (row, label) in zip(0..<batch, labels) {
            let z = logits + row * classes, p = probabilities + row * classes
            var maximum = -Float.infinity
            for k in 0..<classes { maximum = max(maximum, z[k]) }
            var sum: Double = 0
            for k in 0..<classes { sum += Double(Foundation.exp(z[k] - maximum)) }
            let logSum = Double(maximum) + Foundation.log(sum)
            var best = 0
            for k in 1..<classes where p[k] > p[best] { best = k }
            result.samples += 1
            if label == CrossEntropyLoss.outlier {
                var total: Double = 0
                for k in 0..<classes { total += logSum - Double(z[k]) }
                result.lossSum += Double(outlierWeight) * total / Double(classes)
                if let gradient {
                    let g = gradient + row * classes
                    for k in 0..<classes { g[k] = outlierWeight * (p[k] - 1 / Float(classes)) * scale }
                }
                continue
            }
            result.labelled += 1
            if best == label { result.correct += 1 }
            result.lossSum += logSum - Double(z[label])
            if let gradient {
                let g = gradient + row * classes
                for k in 0..<classes { g[k] = (p[k] - (k == label ? 1 : 0)) * scale }
            }
        }
        return result
    }
}
