import Foundation

/// A classifier's raw output as probabilities, whichever way the model ends.
public enum ClassScores {
    /// A model ending in softmax already gives probabilities (all non-negative, summing to 1);
    /// anything else (logits: a negative score, or a sum far from 1) gets a softmax here.
    public static func probabilities(_ scores: [Float]) -> [Float] {
        let sum = scores.reduce(0, +)
        if scores.allSatisfy({ $0 >= 0 }), abs(sum - 1) < 1e-3 { return scores }
        let peak = scores.max() ?? 0
        let exponentials = scores.map { Foundation.exp($0 - peak) }
        let total = exponentials.reduce(0, +)
        return total > 0 ? exponentials.map { $0 / total } : scores
    }
}
