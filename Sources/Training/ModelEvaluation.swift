import Datasets
import Foundation
import Keras

/// How well a classifier file does on labelled images, as the inference engine runs it (the
/// same numbers a served model would give): accuracy, Keras's sparse categorical cross-entropy,
/// accuracy per class and the confusion matrix. The images are put in the model's class order
/// first (`LabelledImages.relabelled(as:)`): a model of the digits 0, 1 and 7 is scored on the
/// images of those digits, and the others are counted as left out.
public struct ModelEvaluation: Sendable, Equatable {
    public let classNames: [String]
    /// `confusion[actual][predicted]`: how many images of class `actual` the model called `predicted`.
    public let confusion: [[Int]]
    /// Mean cross-entropy of the true class, probabilities clipped to [1e-7, 1 - 1e-7] as Keras does.
    public let loss: Double
    /// Images of classes the model does not have.
    public let leftOut: Int

    public var images: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { classNames.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { images == 0 ? 0 : Double(correct) / Double(images) }

    /// The share of class `index`'s images the model got right (nil when there are none).
    public func accuracy(ofClass index: Int) -> Double? {
        let total = confusion[index].reduce(0, +)
        return total == 0 ? nil : Double(confusion[index][index]) / Double(total)
    }

    public static func evaluate(_ model: KerasModel, classNames: [String], on data: LabelledImages,
                                batchSize: Int = 256) throws -> ModelEvaluation {
        guard classNames.count == model.outputSize else {
            throw TrainingError.dataMismatch("the model has \(model.outputSize) outputs but \(classNames.count) class names")
        }
        guard data.shape.valueCount == model.inputSize else {
            throw TrainingError.dataMismatch("the images are \(data.shape), the model takes \(model.inputShape.map(String.init).joined(separator: "x"))")
        }
        let images = data.relabelled(as: classNames)
        guard !images.isEmpty else {
            throw TrainingError.dataMismatch("none of the \(data.count) images is of the model's classes (\(classNames.joined(separator: ", ")))")
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classNames.count), count: classNames.count)
        var lossSum = 0.0
        let size = model.inputSize
        var input = [Float](repeating: 0, count: min(batchSize, images.count) * size)
        var start = 0
        while start < images.count {
            let count = min(batchSize, images.count - start)
            input.withUnsafeMutableBufferPointer { buffer in
                for offset in 0..<count { images.copyImage(start + offset, into: buffer.baseAddress! + offset * size) }
            }
            let scores = try model.predict(Array(input[0..<(count * size)]), batchSize: count)
            for offset in 0..<count {
                let probabilities = ClassScores.probabilities(Array(scores[(offset * classNames.count)..<((offset + 1) * classNames.count)]))
                let actual = images.labels[start + offset]
                // The first of equal maxima, as numpy.argmax and the MNIST plugin choose.
                var predicted = 0
                for index in probabilities.indices where probabilities[index] > probabilities[predicted] { predicted = index }
                confusion[actual][predicted] += 1
                lossSum -= Foundation.log(min(max(Double(probabilities[actual]), 1e-7), 1 - 1e-7))
            }
            start += count
        }
        return ModelEvaluation(classNames: classNames, confusion: confusion, loss: lossSum / Double(images.count),
                               leftOut: data.count - images.count)
    }

    /// What `dvc metrics show` reads: accuracy, loss, counts, and accuracy and count per class.
    public var metricsJSON: String {
        var perClass: [String] = []
        for (index, name) in classNames.enumerated() {
            let total = confusion[index].reduce(0, +)
            let classAccuracy = accuracy(ofClass: index).map { Self.number($0) } ?? "null"
            perClass.append("    \(Self.quoted(name)): {\"accuracy\": \(classAccuracy), \"images\": \(total)}")
        }
        return """
        {
          "accuracy": \(Self.number(accuracy)),
          "loss": \(Self.number(loss)),
          "images": \(images),
          "left_out": \(leftOut),
          "classes": {
        \(perClass.joined(separator: ",\n"))
          }
        }

        """
    }

    private static func number(_ value: Double) -> String { value.isFinite ? String(format: "%.6f", value) : "null" }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"?\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
