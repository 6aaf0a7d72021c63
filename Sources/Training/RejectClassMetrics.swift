/// How a classifier with a reject class (such as "not a digit", `train_args.outlier_class`)
/// does on images of its other classes, read the way a server that refuses by that class reads
/// them: an accepted image is the most probable of the other classes, and the reject class wins
/// an image when it is the most probable of all. The plain accuracy (the most probable of all
/// classes) counts every image the reject class wins as a mistake, so it is neither figure: a
/// model whose plain test accuracy is 0.976 may read 0.99 of the digits right and refuse 1 %.
public struct RejectClassMetrics: Sendable, Equatable {
    /// The reject class's name.
    public let rejectClass: String
    /// Images labelled with one of the other classes (images labelled as the reject class are
    /// not counted here).
    public let images: Int
    /// Of those, how many the most probable of the other classes reads right.
    public let correct: Int
    /// Of those, how many the reject class wins (its probability the highest of all).
    public let rejected: Int

    /// correct / images: accuracy over the other classes, as the server reads an accepted image.
    public var accuracy: Double { images == 0 ? 0 : Double(correct) / Double(images) }
    /// rejected / images: the share of real images of the other classes the reject class wins.
    public var rejectRate: Double { images == 0 ? 0 : Double(rejected) / Double(images) }
}

/// Counts `RejectClassMetrics` over rows of class probabilities, batch after batch.
struct RejectClassTally {
    let rejectLabel: Int
    let classes: Int
    private(set) var images = 0
    private(set) var correct = 0
    private(set) var rejected = 0

    init(rejectLabel: Int, classes: Int) {
        self.rejectLabel = rejectLabel
        self.classes = classes
    }

    /// `labels.count` rows of `classes` probabilities. Ties go to the first of equal maxima, as
    /// numpy.argmax and the MNIST plugin choose.
    mutating func add(probabilities: UnsafePointer<Float>, labels: ArraySlice<Int>) {
        for (row, label) in labels.enumerated() where label != rejectLabel && label >= 0 {
            let p = probabilities + row * classes
            var best = 0, bestOther = rejectLabel == 0 ? 1 : 0
            for k in 1..<classes where p[k] > p[best] { best = k }
            for k in 0..<classes where k != rejectLabel && p[k] > p[bestOther] { bestOther = k }
            images += 1
            if bestOther == label { correct += 1 }
            if best == rejectLabel { rejected += 1 }
        }
    }

    func metrics(rejectClass: String) -> RejectClassMetrics {
        RejectClassMetrics(rejectClass: rejectClass, images: images, correct: correct, rejected: rejected)
    }
}
