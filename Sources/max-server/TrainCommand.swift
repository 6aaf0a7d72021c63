import Datasets
import Foundation
import Glibc
import Keras
import MAXFramework
import Training
import TrainingService

/// `max-server train CONFIG --data PATH --out FILE`: trains a model in Swift and writes a Keras
/// 2 .h5 that tf-keras loads; ends with the Imagia result and the file's md5sum line.
enum TrainCommand {
    static let command = Command(
        name: "train",
        summary: "train a model (Imagia JSON config) on digit data and write a Keras .h5",
        help: """
        usage: max-server train CONFIG --data PATH --out FILE [OPTIONS]

        CONFIG is the Imagia training JSON, inline ('{"network": "lenet5", ...}') or a file:
          {"network": "mlp" | "lenet5" | "mnist_cnn" | "mnist_small" | "file",
           "network_args": {"layer_sizes": [128, 128], "dropout_amount": 0.2, "activation": "relu"}
                           (lenet5: activation, dropout_amount; file: path of a Keras model to fine-tune),
           "dataset_args": {"image_size": [28, 28, 1], "class_names": ["0", ..., "9"] (one more for a reject class),
                            "numbers": [0, 1, 7] (train on these digits only)},
           "train_args": {"batch_size": 32, "epochs": 10, "optimizer": "rmsprop", "learning_rate": 0.001,
                          "validation_split": 0.0, "augment": false, "seed": 0, "shuffle": true, "outlier_weight": 0.5,
                          "outlier_class": "not a digit" (train --outliers as this class), "outliers_per_epoch": 5000,
                          "augment_outliers": true (false: augment leaves --outliers images as they are)}}
        The optimizer is a name (sgd, adam, rmsprop, adadelta) or a Keras optimizer object, with
        Keras's defaults; learning_rate a number or a Keras schedule object (CosineDecay, ...).

        options:
          --data PATH        training data: Kaggle CSV (label,pixel0..; .gz or not), MNIST IDX
                             (the images file, or a directory of the four files) or Keras's mnist.npz
          --plain-data PATH  more training data (any of those formats), trained with --data but never
                             augmented (train_args.augment distorts only --data): e.g. digits cut
                             from real pictures, beside MNIST digits that are distorted
          --test-data PATH   test data in any of those formats (default: the test split of an IDX
                             directory or .npz; none for a CSV)
          --out FILE         where to write the model (.h5); written whole or not at all
          --outliers PATH    images that are none of the classes (any format; their labels are ignored),
                             trained towards the uniform distribution (outlier exposure, weight
                             train_args.outlier_weight, default 0.5), shuffled in with the data;
                             with train_args.outlier_class, trained as that class instead
          --outliers-per-epoch N  overrides train_args.outliers_per_epoch: each epoch draws N of
                             the --outliers images afresh (seeded), instead of all of them every epoch
          --epochs N         overrides train_args.epochs
          --batch-size N     overrides train_args.batch_size
          --seed N           overrides train_args.seed (repeatable runs: same seed, same model)
          --numbers LIST     overrides dataset_args.numbers: train on these digits only (e.g. 0,1,7),
                             one output each; the model file names them (class_names)
          --threads N        threads doing the arithmetic (default: the number of cores)
          --progress MODE    bar (a line redrawn per batch), lines (one per epoch), none, or auto
                             (default: bar on a terminal, lines otherwise); progress goes to stderr
          --history FILE     also write the per-epoch history as JSON
          --predictions FILE also write, as JSON, what the written model (read back by the engine)
                             predicts for every test image: {"outputs": [[p0, ..., p9], ...]}
          --model-json       print the configuration (model.to_json()) of the network CONFIG builds, and exit

        Prints the Imagia result ({"message": {"status", "train", "test"}}) and the file's line for
        md5sums.txt on stdout. With train_args.outlier_class, train and test also give reject_class,
        accuracy_without_reject (the other classes read as the most probable of them, as the server
        reads an accepted image) and reject_rate (the share of their images the reject class wins). Bad input (configuration, data, paths) prints one line and exits 1.
        """,
        spec: ArgumentSpec(valued: ["--data", "--plain-data", "--test-data", "--outliers", "--outliers-per-epoch", "--out", "--epochs", "--batch-size", "--seed", "--numbers", "--threads",
                                    "--progress", "--history", "--predictions"], flags: ["--model-json"],
                           maxPositionals: 1, minPositionals: 1, lists: ["--numbers"]),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        if arguments.has("--model-json") { return try printModelJSON(arguments) }
        guard let dataPath = arguments.value("--data") else { throw UsageError("--data PATH is required") }
        guard let outPath = arguments.value("--out") else { throw UsageError("--out FILE is required") }
        let progressMode = arguments.value("--progress") ?? "auto"
        guard ["auto", "bar", "lines", "none"].contains(progressMode) else {
            throw UsageError("--progress must be auto, bar, lines or none")
        }
        let threads = try arguments.int("--threads") ?? ProcessInfo.processInfo.activeProcessorCount
        guard threads >= 1, threads <= 256 else { throw UsageError("--threads must be between 1 and 256") }

        var request: TrainingRequest
        do {
            request = try TrainingRequest.parse(json: try configurationBytes(arguments.positionals[0]))
            if let epochs = try arguments.int("--epochs") {
                guard epochs > 0 else { throw TrainingError.invalidSetting("--epochs", "must be a positive whole number, got \(epochs)") }
                request.configuration.epochs = epochs
            }
            if let batch = try arguments.int("--batch-size") {
                guard batch > 0 else { throw TrainingError.invalidSetting("--batch-size", "must be a positive whole number, got \(batch)") }
                request.configuration.batchSize = batch
            }
            if let seed = try arguments.int("--seed") {
                guard seed >= 0 else { throw TrainingError.invalidSetting("--seed", "must be a whole number >= 0, got \(seed)") }
                request.configuration.seed = UInt64(seed)
            }
            if let count = try arguments.int("--outliers-per-epoch") {
                guard count > 0 else {
                    throw TrainingError.invalidSetting("--outliers-per-epoch", "must be a positive whole number, got \(count)")
                }
                request.configuration.outliersPerEpoch = count
            }
            if let text = arguments.value("--numbers") {
                let list = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(whereSeparator: { $0 == "," || $0 == " " })
                request.classes = try TrainingRequest.numbers(list.map { item -> Any in Int(item).map { $0 as Any } ?? String(item) },
                                                              key: "--numbers")
            }
        } catch let error as TrainingError {
            throw CommandFailure("configuration: \(error)")
        }
        try checkWritable(outPath)

        let options = DatasetFile.Options(shape: request.imageShape, classNames: request.classNames)
        var data: DatasetSplits
        var outliers: LabelledImages?
        var plain: LabelledImages?
        do {
            data = try DatasetFile.load(path: dataPath, options: options)
            if let plainPath = arguments.value("--plain-data") {
                plain = try DatasetFile.load(path: plainPath, options: options).training
            }
            if let testPath = arguments.value("--test-data") {
                data.test = try DatasetFile.load(path: testPath, options: options).training
            }
            if let outlierPath = arguments.value("--outliers") {
                outliers = try DatasetFile.load(path: outlierPath, options: options).training
            }
            // Announced as trained: only the digits asked for (TrainingRun would keep them anyway).
            if let classes = request.classes { data = try data.selecting(classes: classes) }
        } catch let error as DatasetError {
            throw CommandFailure("data: \(error)")
        }

        let printer = ProgressPrinter(mode: progressMode == "auto" ? (isatty(STDERR_FILENO) != 0 ? "bar" : "lines") : progressMode)
        printer.announce(request: request, data: data, plain: plain?.count ?? 0, outliers: outliers?.count ?? 0, threads: threads)
        var run = TrainingRun(request: request)
        run.threads = threads
        run.limits = .machine
        let outcome: TrainingOutcome
        do {
            outcome = try run.run(data: data, plain: plain, outliers: outliers, progress: printer.report)
        } catch let error as TrainingError {
            printer.finishLine()
            throw CommandFailure(error.description)
        } catch let error as DatasetError {
            printer.finishLine()
            throw CommandFailure("data: \(error)")
        }
        printer.finishLine()
        printer.summarize(outcome)
        do {
            try Data(outcome.bytes).write(to: URL(fileURLWithPath: outPath), options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(outPath): \(error.localizedDescription)")
        }
        if let historyPath = arguments.value("--history") {
            let history = JSONValue.array(outcome.history.map(TrainingResponses.epoch))
            do {
                try Data((history.serialized + "\n").utf8).write(to: URL(fileURLWithPath: historyPath), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(historyPath): \(error.localizedDescription)")
            }
        }
        if let predictionsPath = arguments.value("--predictions") {
            try writePredictions(outcome.bytes, images: data.test ?? data.training, to: predictionsPath)
        }
        print(TrainingResponses.result(outcome).serialized)
        print("\(MD5.hex(of: outcome.bytes))  \(outPath)")
        return 0
    }

    static func printModelJSON(_ arguments: ParsedArguments) throws -> Int32 {
        do {
            let request = try TrainingRequest.parse(json: try configurationBytes(arguments.positionals[0]))
            let network = try TrainingRun(request: request).makeNetwork(classes: request.classes?.count ?? request.classNames.count)
            print(String(decoding: network.kerasConfiguration, as: UTF8.self))
            return 0
        } catch let error as TrainingError {
            throw CommandFailure("configuration: \(error)")
        }
    }

    /// The written file's predictions, by the inference engine, for scripts that compare them
    /// with tf-keras's (scripts/check-keras-writer.py).
    static func writePredictions(_ bytes: [UInt8], images: LabelledImages, to path: String) throws {
        do {
            let model = try KerasModel.load(bytes: bytes)
            var rows: [JSONValue] = []
            for index in 0..<images.count {
                rows.append(.array(try model.predict(images.image(index), batchSize: 1).map { .number(Double($0)) }))
            }
            try Data((JSONValue.object([("outputs", .array(rows))]).serialized + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch let error as KerasError {
            throw CommandFailure("--predictions: \(error)")
        } catch {
            throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Inline JSON, or the contents of the file it names.
    static func configurationBytes(_ argument: String) throws -> [UInt8] {
        if argument.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" }).first == "{" { return Array(argument.utf8) }
        guard let data = FileManager.default.contents(atPath: argument) else {
            throw CommandFailure("configuration: '\(argument)' is neither inline JSON nor a readable file")
        }
        return [UInt8](data)
    }

    /// Fails before hours of training if the result could not be written.
    static func checkWritable(_ path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure("--out: the directory \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw CommandFailure("--out: the directory \(folder) is not writable")
        }
    }
}

/// Progress on stderr: a bar redrawn in place per batch (epoch, batch, loss, accuracy,
/// throughput, time left), or one plain line per epoch for logs and pipes.
final class ProgressPrinter {
    let mode: String
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(mode: String) { self.mode = mode }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    func announce(request: TrainingRequest, data: DatasetSplits, plain: Int = 0, outliers: Int = 0, threads: Int) {
        guard mode != "none" else { return }
        let network: String
        switch request.network {
        case let .catalog(name, _): network = name
        case let .file(path): network = path
        }
        let c = request.configuration
        var outlierText = ""
        if outliers > 0 {
            let perEpoch = min(c.outliersPerEpoch ?? outliers, outliers)
            outlierText = " + \(perEpoch == outliers ? "" : "\(perEpoch) per epoch of ")\(outliers) outliers"
                + (request.outlierClass.map { " as '\($0)'" } ?? "")
        }
        let plainText = plain > 0 ? " + \(plain) plain (never augmented)" : ""
        write("training \(network) on \(data.training.count) images\(plainText)\(outlierText)\(data.test.map { ", testing on \($0.count)" } ?? "") "
              + "(\(c.epochs) epochs, batch \(c.batchSize), \(c.optimizer.kind.rawValue), \(threads) thread\(threads == 1 ? "" : "s"), seed \(c.seed))\n")
    }

    func report(_ event: TrainingEvent) {
        switch (mode, event) {
        case let ("bar", .batch(progress)):
            let now = DispatchTime.now().uptimeNanoseconds
            guard progress.batch == progress.batches || now - lastDraw > 100_000_000 else { return }
            lastDraw = now
            let width = 24
            let filled = width * progress.batch / max(progress.batches, 1)
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
            write("\repoch \(progress.epoch)/\(progress.epochs) [\(bar)] \(progress.batch)/\(progress.batches)  "
                  + String(format: "loss %.4f  accuracy %.4f  %.0f img/s", progress.loss, progress.accuracy, progress.samplesPerSecond)
                  + "  left \(duration(progress.remaining)) ")
            drawn = true
        case let ("bar", .epoch(report)), let ("lines", .epoch(report)):
            finishLine()
            var line = String(format: "epoch %d: loss %.4f accuracy %.4f", report.epoch, report.loss, report.accuracy)
            if let loss = report.validationLoss, let accuracy = report.validationAccuracy {
                line += String(format: " val_loss %.4f val_accuracy %.4f", loss, accuracy)
            }
            line += String(format: " (%.1f s, %.1f s CPU, learning rate %.3g)", report.seconds, report.cpuSeconds, report.learningRate)
            write(line + "\n")
        default:
            break
        }
    }

    /// With a reject class, one line per measured set saying what the plain accuracy (the most
    /// probable of all classes) does not: how the other classes' images are read by a server that
    /// refuses by the reject class, and how many of them it refuses.
    func summarize(_ outcome: TrainingOutcome) {
        guard mode != "none" else { return }
        for (name, metrics) in [("train", outcome.train), ("test", outcome.test)] {
            guard let metrics, let reject = metrics.reject else { continue }
            write("\(name): accuracy " + String(format: "%.4f", metrics.accuracy) + " over every class; without '\(reject.rejectClass)': "
                  + String(format: "%.4f", reject.accuracy) + " of the \(reject.images) images of the other classes read right "
                  + "(the most probable of the other classes), '\(reject.rejectClass)' the most probable for \(reject.rejected) "
                  + String(format: "(%.2f %%)", 100 * reject.rejectRate) + "\n")
        }
    }

    func finishLine() {
        if drawn { write("\n") }
        drawn = false
    }

    private func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
