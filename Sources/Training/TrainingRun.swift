import Datasets
import Foundation
import Keras

/// What a finished job produced: the model file (as bytes and as parts), the metrics the
/// Imagia response reports, and the per-epoch history.
public struct TrainingOutcome: Sendable {
    public struct Metrics: Sendable, Equatable {
        public let loss: Double
        /// The most probable of all the classes against the label (Keras's accuracy).
        public let accuracy: Double
        /// With a reject class (`train_args.outlier_class`): the other classes' accuracy as the
        /// server reads them, and the share of their images the reject class wins.
        public var reject: RejectClassMetrics? = nil
    }

    public let file: KerasModelFile
    public let bytes: [UInt8]
    public let train: Metrics
    public let test: Metrics?
    public let history: [EpochReport]
    public let parameterCount: Int

}

/// Runs one `TrainingRequest` on data: builds the network (from the catalog, or from a model
/// file's configuration and weights), trains it, measures it on the training and test images,
/// and writes the Keras file, checking that the inference engine reading that file predicts
/// what the trained network predicts.
public struct TrainingRun {
    public let request: TrainingRequest
    public var threads = 2
    public var niceness: Int32 = 0
    /// What the run may allocate (network weights, estimated working set); refused before allocating.
    public var limits = TrainingLimits()
    /// Reads a model file for `network: "file"` (the service restricts where it may read).
    public var readModelFile: (String) throws -> [UInt8] = { path in
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.invalidSetting("network_args.path", "'\(path)' cannot be read")
        }
        return [UInt8](data)
    }

    public init(request: TrainingRequest) { self.request = request }

    /// The network the request describes, for `classes` outputs (a file's model keeps its own).
    public func makeNetwork(classes: Int) throws -> Network {
        switch request.network {
        case let .catalog(name, argumentBytes):
            let arguments = (try? JSONSerialization.jsonObject(with: Data(argumentBytes)) as? [String: Any]) ?? [:]
            let configuration = try NetworkCatalog.configuration(network: name, arguments: arguments, shape: request.imageShape,
                                                                 classes: classes)
            return try Network(configuration: configuration, weights: nil, seed: request.configuration.seed, limits: limits)
        case let .file(path):
            let contents: ModelFileContents
            do {
                contents = try ModelFileContents(bytes: try readModelFile(path))
            } catch let error as KerasError {
                throw TrainingError.invalidSetting("network_args.path", "'\(path)' is not a usable Keras model file: \(error)")
            }
            return try Network(configuration: contents.configuration, weights: contents.weights, kerasVersion: contents.kerasVersion,
                               seed: request.configuration.seed, limits: limits)
        }
    }

    /// Checks, before a job is queued, that the network this request builds for `classes`
    /// outputs and `images` training images stays within `limits` (building it within them).
    public func checkLimits(classes: Int, images: Int) throws {
        let network = try makeNetwork(classes: classes)
        try limits.checkMemory(network, batch: min(request.configuration.batchSize, max(images, 1)), threads: threads,
                               optimizerSlots: request.configuration.optimizer.slotCount)
    }

    /// `plain` (optional): more labelled images, trained with `data.training` but never
    /// augmented (`Trainer.fit`); they are not part of the validation split.
    public func run(data allClasses: DatasetSplits, plain allPlain: LabelledImages? = nil, outliers anyOutliers: LabelledImages? = nil,
                    cancellation: CancellationFlag? = nil, progress: (TrainingEvent) -> Void = { _ in }) throws -> TrainingOutcome {
        let data = try request.classes.map { try allClasses.selecting(classes: $0) } ?? allClasses
        let plain = try allPlain.map { images in try request.classes.map { try DatasetSplits(training: images).selecting(classes: $0).training } ?? images }
        // Outliers train towards the uniform distribution whatever their labels: with a subset
        // of classes they keep their pixels and take the subset's class list.
        var outliers = anyOutliers
        if request.classes != nil, let images = anyOutliers {
            outliers = try LabelledImages(shape: images.shape, pixels: images.pixels, labels: [Int](repeating: 0, count: images.count),
                                          classNames: data.training.classNames)
        }
        if case .catalog = request.network, data.training.shape != request.imageShape {
            throw TrainingError.dataMismatch(
                "the training images are \(data.training.shape), dataset_args.image_size is \(request.imageShape.array)")
        }
        let network = try makeNetwork(classes: data.training.classNames.count)
        try limits.checkMemory(network, batch: min(request.configuration.batchSize, data.training.count + (plain?.count ?? 0) + (outliers?.count ?? 0)),
                               threads: threads, optimizerSlots: request.configuration.optimizer.slotCount)
        var configuration = request.configuration
        if let name = request.outlierClass {
            guard let label = data.training.classNames.firstIndex(of: name) else {
                throw TrainingError.invalidSetting("train_args.outlier_class", "names '\(name)', which is not one of the classes trained "
                                                   + "(\(data.training.classNames.joined(separator: ", ")))")
            }
            configuration.outlierLabel = label
        }
        configuration.threads = threads
        configuration.niceness = niceness
        let trainer = try Trainer(network: network, configuration: configuration)
        var training = data.training
        var validation: LabelledImages? = nil
        if request.validationSplit > 0 {
            let split = try training.split(validationFraction: request.validationSplit)
            guard !split.validation.isEmpty, !split.training.isEmpty else {
                throw TrainingError.invalidSetting("train_args.validation_split", "leaves no images on one side of the split")
            }
            (training, validation) = (split.training, split.validation)
        }
        let history = try trainer.fit(training, plain: plain, validation: validation, outliers: outliers, cancellation: cancellation,
                                      progress: progress)
        let trainMetrics = trainer.evaluate(training, rejectLabel: configuration.outlierLabel)
        var testMetrics: (loss: Double, accuracy: Double, reject: RejectClassMetrics?)? = nil
        if let test = data.test {
            try trainer.check(test, what: "test")
            testMetrics = trainer.evaluate(test, rejectLabel: configuration.outlierLabel)
        }
        var file = network.kerasFile
        file.classNames = data.training.classNames
        let bytes = try file.encode()
        try verify(bytes, against: trainer, sample: data.test ?? training)
        return TrainingOutcome(file: file, bytes: bytes,
                               train: .init(loss: trainMetrics.loss, accuracy: trainMetrics.accuracy, reject: trainMetrics.reject),
                               test: testMetrics.map { .init(loss: $0.loss, accuracy: $0.accuracy, reject: $0.reject) }, history: history,
                               parameterCount: network.parameterCount)
    }

    /// The written file, read back by the inference engine, must predict as the trained network.
    private func verify(_ bytes: [UInt8], against trainer: Trainer, sample images: LabelledImages) throws {
        let sample = images.subset(Array(0..<min(64, images.count)))
        let expected = trainer.predict(sample)
        let model = try KerasModel.load(bytes: bytes)
        var input = [Float](repeating: 0, count: sample.count * model.inputSize)
        input.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<sample.count { sample.copyImage(index, into: buffer.baseAddress! + index * model.inputSize) }
        }
        let actual = try model.predict(input, batchSize: sample.count)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        guard actual.count == expected.count, worst <= 1e-4 else {
            throw TrainingError.unsupported("the written model file predicts up to \(worst) away from the trained network (a writer fault)")
        }
    }
}
