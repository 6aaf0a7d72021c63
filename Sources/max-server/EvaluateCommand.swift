import Datasets
import Foundation
import Keras
import Training

/// `max-server evaluate MODEL --data FILE [--metrics metrics.json]`: scores a classifier file
/// on labelled images as the server would run it, for a pipeline's evaluate stage.
enum EvaluateCommand {
    static let command = Command(
        name: "evaluate",
        summary: "score a Keras classifier on labelled images (accuracy, loss, per class, confusion)",
        help: """
        usage: max-server evaluate MODEL --data PATH [--metrics FILE] [--numbers LIST] [--class-names LIST]

        Runs MODEL (a Keras .h5 or .keras) with our engine on the images of PATH (Kaggle CSV, MNIST
        IDX, Keras .npz or TFRecord, as `dataset convert` reads them; the test part when PATH has
        one) and prints the accuracy, the loss (sparse categorical cross-entropy), the accuracy of
        each class and what each was mistaken for. Labels are matched to the model's outputs by the
        class names its file records (class_names, written by `max-server train`), else outputs
        0..N-1 are the digits 0..N-1; images of other classes are left out and counted.
          --metrics FILE       also write the figures as JSON (what `dvc metrics show` reads)
          --numbers LIST       score only the images of these digits (e.g. 0,1,7)
          --class-names LIST   the model's classes, in output order, for a file that records none
        """,
        spec: ArgumentSpec(valued: ["--data", "--metrics", "--numbers", "--class-names"], maxPositionals: 1, minPositionals: 1,
                           lists: ["--numbers", "--class-names"]),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let modelPath = arguments.positionals[0]
        guard let dataPath = arguments.value("--data") else { throw UsageError("--data PATH is required") }
        let numbers = try arguments.value("--numbers").map { text in try DatasetCommand.failing { try ClassList.parse(text) } }
        let given = try arguments.value("--class-names").map { text in try DatasetCommand.failing { try ClassList.parse(text) } }

        let model = try ModelSummaryCommand.loadModel(path: modelPath, weights: nil)
        let recorded: [String]?
        do {
            recorded = try ModelClassNames.read(path: modelPath)
        } catch let error as KerasError {
            throw CommandFailure("\(modelPath): \(error)")
        }
        let classNames = given ?? recorded ?? (0..<model.outputSize).map(String.init)
        let source = given != nil ? "--class-names" : recorded != nil ? "its class_names" : "output order"
        guard classNames.count == model.outputSize else {
            throw CommandFailure("\(modelPath): the model has \(model.outputSize) outputs, \(source) names \(classNames.count) classes")
        }

        let splits = try DatasetCommand.failing { try DatasetFile.load(path: dataPath) }
        var images = splits.test ?? splits.training
        let part = splits.test != nil ? "the test part of \(dataPath)" : dataPath
        if let numbers {
            if let missing = numbers.first(where: { !classNames.contains($0) }) {
                throw CommandFailure("--numbers: the model has no class '\(missing)' (its classes are \(classNames.joined(separator: ", ")))")
            }
            images = try DatasetCommand.failing(context: dataPath) { try images.selecting(classes: numbers) }
        }
        let evaluation: ModelEvaluation
        do {
            evaluation = try ModelEvaluation.evaluate(model, classNames: classNames, on: images)
        } catch let error as TrainingError {
            throw CommandFailure("\(dataPath): \(error)")
        }

        print("model \(modelPath): \(classNames.count) classes (\(classNames.joined(separator: ", "))) from \(source)")
        print("data \(part): \(evaluation.images) images of those classes"
              + (evaluation.leftOut > 0 ? ", \(evaluation.leftOut) of other classes left out" : ""))
        print(String(format: "accuracy %.4f (%d of %d), loss %.4f", evaluation.accuracy, evaluation.correct, evaluation.images, evaluation.loss))
        print(table(evaluation))
        if let metricsPath = arguments.value("--metrics") {
            do {
                try Data(evaluation.metricsJSON.utf8).write(to: URL(fileURLWithPath: metricsPath), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(metricsPath): \(error.localizedDescription)")
            }
            print("wrote \(metricsPath)")
        }
        return 0
    }

    /// One row per class with images: how many, its accuracy, and the classes its mistakes went to.
    static func table(_ evaluation: ModelEvaluation) -> String {
        let width = max(5, evaluation.classNames.map(\.count).max() ?? 1)
        var lines = ["class".padding(toLength: width, withPad: " ", startingAt: 0) + "  images  accuracy  mistaken for"]
        for (index, name) in evaluation.classNames.enumerated() {
            guard let accuracy = evaluation.accuracy(ofClass: index) else { continue }
            let row = evaluation.confusion[index]
            let mistakes = row.indices.filter { $0 != index && row[$0] > 0 }.sorted { row[$0] > row[$1] }
                .map { "\(evaluation.classNames[$0]) x \(row[$0])" }.joined(separator: ", ")
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "  %6d  %8.4f  ", row.reduce(0, +), accuracy) + mistakes)
        }
        return lines.joined(separator: "\n")
    }
}
