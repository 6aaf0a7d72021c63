import Foundation
import ImageCodecs

/// How a model's outputs say whether a field holds a digit at all (`DigitClasses.scoring`).
public enum DigitScoring: String, Sendable, Equatable {
    /// A "not a digit" output (trained with outlier exposure on generated non-digits): the
    /// score is 1 - p(not a digit).
    case rejectClass = "reject-class"
    /// Digits only, as the upstream MAX-MNIST model: the largest softmax probability. A weak
    /// score (such models are confident on noise), the only one their outputs allow.
    case softmaxMaximum = "softmax-maximum"
}

/// One digit as the model read it.
public struct DigitReading: Sendable, Equatable {
    /// Where it is in the input picture; nil when the whole picture was read as one digit.
    public var box: PixelRect?
    /// The probabilities of the digits 0-9, indexed by digit, summing to 1 (a digit the model
    /// does not know gets 0).
    public var probabilities: [Float]
    /// How sure the model is that this is a digit at all, 0-1.
    public var digitScore: Float

    public var prediction: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0 }
    /// The probability that this is a digit and the predicted one: how the finder's readings
    /// are compared.
    var confidence: Float { digitScore * (probabilities.max() ?? 0) }

    /// A reading from one field's model output (probabilities, one per class of `classes`).
    public init(box: PixelRect?, output: [Float], classes: DigitClasses) {
        self.box = box
        // One allocation (this runs for every field read): the digits' outputs are gathered
        // into place, skipping the reject output, then normalised in place.
        var probabilities = [Float](repeating: 0, count: 10)
        var digitShare: Float = 0
        var slot = 0
        for (outputIndex, p) in output.enumerated() where outputIndex != classes.rejectOutput {
            guard slot < classes.digits.count else { break }
            probabilities[classes.digits[slot]] = p
            digitShare += p
            slot += 1
        }
        switch classes.scoring {
        case .rejectClass:
            digitScore = max(0, min(1, digitShare))
            if digitShare > 0 {
                for index in probabilities.indices { probabilities[index] /= digitShare }
            } else {
                for index in probabilities.indices { probabilities[index] = 0 }
                for digit in classes.digits { probabilities[digit] = 1 / Float(classes.count) }
            }
            self.probabilities = probabilities
        case .softmaxMaximum:
            self.probabilities = probabilities
            digitScore = probabilities.max() ?? 0
        }
    }
}

/// Picks, for each candidate the finder saw, the reading the model is surest of, and gives the
/// digits in reading order. A reading scores the sum over its digits of log(confidence) + β:
/// an extra digit is worth having when the model is more than e^-β = 90 % sure of it, so two
/// good digits beat one that swallows the second, and one good digit beats two pieces of it.
/// A piece of ink a reading leaves unread costs β too: read as well with it as without, a
/// digit keeps its piece (the bar of a 5 stays with its body). A reading that cuts one mark
/// into several digits is taken only when every piece has a digit score of at least
/// `threshold`: touching digits are digits each, while a letter n cut into a 1 and a hook is
/// not two digits of which one is refused.
public enum DigitReader {
    /// β = -log(0.9).
    static let digitPrior: Float = 0.10536
    /// `outputs` holds one model output per field, in `found.fields` order; `threshold` is the
    /// digit score under which a digit is refused.
    public static func read(_ found: FoundDigits, outputs: [[Float]], classes: DigitClasses, threshold: Float = 0) -> [DigitReading] {
        var next = 0
        var digits: [DigitReading] = []
        for candidate in found.candidates {
            var best: [DigitReading] = []
            var bestScore = -Float.infinity
            for (reading, kind) in zip(candidate.readings, candidate.kinds) {
                let read = reading.map { region -> DigitReading in
                    defer { next += 1 }
                    return DigitReading(box: region.box, output: outputs[next], classes: classes)
                }
                var unread = 0
                switch kind {
                case .apart(let leftOut): unread = leftOut  // specks the reading leaves out
                case .joined: if read.count > 1 && read.contains(where: { $0.digitScore < threshold }) { continue }
                }
                let score = read.reduce(Float(0)) { $0 + log(max($1.confidence, 1e-12)) + digitPrior }
                    - Float(unread) * digitPrior
                if score > bestScore {
                    bestScore = score
                    best = read
                }
            }
            if digits.isEmpty { digits = best } else { digits += best }
        }
        return ReadingOrder.sorted(digits) { $0.box ?? PixelRect(x: 0, y: 0, width: 0, height: 0) }
    }
}
