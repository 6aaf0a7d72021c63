import Datasets
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Keras

/// How a model is trained: Keras's `fit` arguments and the optimizer, plus what makes a run
/// repeatable (the seed) and polite on a shared machine (threads, niceness).
public struct TrainingConfiguration: Sendable {
    public var epochs = 10
    public var batchSize = 32
    public var optimizer = OptimizerSettings(.rmsprop)
    /// Seeds initial weights, shuffling, augmentation and dropout.
    public var seed: UInt64 = 0
    /// Reshuffle the training images every epoch (Keras's default).
    public var shuffle = true
    /// Redrawn for every image every epoch; `.none` trains on the images as they are.
    public var augmentation = Augmentation.none
    /// Threads doing the arithmetic (each layer's batch is split between them).
    public var threads = 2
    /// Nice value of the training threads (0: normal; 10: after everything else, for serving).
    public var niceness: Int32 = 0
    /// Weight of the uniform-target loss for images labelled as outliers (outlier exposure).
    public var outlierWeight: Float = 0.5
    /// How many of the outlier images each epoch trains on, drawn afresh every epoch from all
    /// of them (nil: every outlier image, every epoch). See `EpochSampler`.
    public var outliersPerEpoch: Int? = nil
    /// The class outlier images are trained as (a reject class, e.g. "not a digit"); nil:
    /// towards the uniform distribution (outlier exposure, `outlierWeight`).
    public var outlierLabel: Int? = nil
    /// Whether `augmentation` distorts the outlier images too (false: they are trained as they
    /// are, e.g. non-digits already in the form the digit finder gives the model).
    public var augmentOutliers = true

    public init() {}

    public func validate() throws {
        guard epochs > 0 else { throw TrainingError.invalidSetting("train_args.epochs", "must be a positive whole number, got \(epochs)") }
        guard batchSize > 0 else {
            throw TrainingError.invalidSetting("train_args.batch_size", "must be a positive whole number, got \(batchSize)")
        }
        guard threads >= 1, threads <= 256 else { throw TrainingError.invalidSetting("threads", "must be between 1 and 256") }
        if let count = outliersPerEpoch, count < 1 {
            throw TrainingError.invalidSetting("train_args.outliers_per_epoch", "must be a positive whole number, got \(count)")
        }
        try optimizer.learningRate.validate()
        try augmentation.validate()
    }
}

/// What the trainer reports as it goes.
public enum TrainingEvent: Sendable {
    /// After each batch: running means over the epoch so far, as Keras's progress bar shows them.
    case batch(BatchProgress)
    case epoch(EpochReport)
}

public struct BatchProgress: Sendable {
    public let epoch: Int, epochs: Int
    public let batch: Int, batches: Int
    public let loss: Double, accuracy: Double
    public let samplesPerSecond: Double
    /// Seconds since the epoch began, and a linear estimate of those left in the whole run.
    public let elapsed: Double, remaining: Double
}

public struct EpochReport: Sendable, Equatable {
    public let epoch: Int
    public let loss: Double, accuracy: Double
    public let validationLoss: Double?, validationAccuracy: Double?
    /// Wall-clock seconds, and CPU seconds of the whole process (every thread) in the epoch.
    public let seconds: Double
    public let cpuSeconds: Double
    public let learningRate: Double
}

/// CPU time the process has used, all threads together.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Lets another thread stop a run between two batches.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

/// Keras's `fit` loop for a `Network`: shuffled mini-batches, forward, softmax cross-entropy,
/// backward, one optimizer update per batch, metrics per epoch.
public final class Trainer {
    public let network: Network
    public let configuration: TrainingConfiguration
    let gang: WorkerGang
    let optimizer: Optimizer
    let loss: CrossEntropyLoss
    private let finalStage: ActivationStage
    private var step = 0

    public init(network: Network, configuration: TrainingConfiguration) throws {
        try configuration.validate()
        guard let stage = network.layers.last?.activationStage, stage.activation == .softmax else {
            throw TrainingError.unsupported("a model whose last layer does not end in softmax (cross-entropy training needs class probabilities)")
        }
        stage.outputGradientIsPreActivation = true
        self.network = network
        self.configuration = configuration
        finalStage = stage
        gang = WorkerGang(threads: configuration.threads, niceness: configuration.niceness)
        optimizer = Optimizer(configuration.optimizer, parameters: network.trainableParameters)
        loss = CrossEntropyLoss(classes: network.outputSize, outlierWeight: configuration.outlierWeight)
    }

    /// Optimizer updates so far.
    public var iterations: Int { optimizer.iterations }

    /// Checks that `images` fit the network: shape, and a class per output.
    public func check(_ images: LabelledImages, what: String) throws {
        guard images.shape.array == network.inputShape else {
            throw TrainingError.dataMismatch("the \(what) images are \(images.shape), the model takes \(network.inputShape.map(String.init).joined(separator: "x"))")
        }
        guard images.classNames.count <= network.outputSize else {
            throw TrainingError.dataMismatch("the \(what) data has \(images.classNames.count) classes, the model outputs \(network.outputSize)")
        }
        guard !images.isEmpty else { throw TrainingError.dataMismatch("the \(what) data holds no images") }
    }

    /// Trains for `configuration.epochs` epochs; `progress` hears every batch and epoch.
    /// `outliers` (optional) are extra images trained towards the uniform distribution (or as
    /// class `outlierLabel`), shuffled in with the labelled ones: all of them, or
    /// `outliersPerEpoch` drawn afresh each epoch. `plain` (optional) are more labelled images
    /// trained with `training` but never augmented: e.g. digits cut from real pictures by the
    /// digit finder, already as varied as a served picture is, beside distorted MNIST digits.
    @discardableResult
    public func fit(_ augmentable: LabelledImages, plain: LabelledImages? = nil, validation: LabelledImages? = nil,
                    outliers: LabelledImages? = nil, cancellation: CancellationFlag? = nil,
                    progress: (TrainingEvent) -> Void = { _ in }) throws -> [EpochReport] {
        try check(augmentable, what: "training")
        if let plain { try check(plain, what: "plain training") }
        // Plain images follow the augmentable ones: index >= augmentedCount is never distorted.
        let training = try plain.map { try augmentable.appending($0) } ?? augmentable
        let augmentedCount = augmentable.count
        if let validation { try check(validation, what: "validation") }
        if let outliers { try check(outliers, what: "outlier") }
        gang.lowerPriority()
        let configuration = self.configuration
        if let label = configuration.outlierLabel, !(0..<network.outputSize).contains(label) {
            throw TrainingError.dataMismatch("outliers are trained as class \(label), the model outputs \(network.outputSize)")
        }
        let sampler = EpochSampler(trainingCount: training.count, outlierCount: outliers?.count ?? 0,
                                   outliersPerEpoch: configuration.outliersPerEpoch, seed: configuration.seed, shuffle: configuration.shuffle)
        let outlierLabel = configuration.outlierLabel ?? CrossEntropyLoss.outlier
        let sampleCount = sampler.samplesPerEpoch
        let batchSize = min(configuration.batchSize, sampleCount)
        let batches = (sampleCount + batchSize - 1) / batchSize
        let input = FloatBuffer(count: batchSize * network.inputSize)
        var reports: [EpochReport] = []
        let runStart = DispatchTime.now().uptimeNanoseconds
        for epoch in 1...configuration.epochs {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            let epochCPU = processCPUSeconds()
            let order = sampler.samples(epoch: epoch)
            var totals = CrossEntropyLoss.Result()
            let learningRate = optimizer.currentLearningRate
            for batch in 0..<batches {
                if cancellation?.isCancelled == true { throw TrainingError.cancelled }
                let indices = Array(order[(batch * batchSize)..<min((batch + 1) * batchSize, sampleCount)])
                let labels = indices.map { $0 < training.count ? training.labels[$0] : outlierLabel }
                let result = trainStep(input.pointer, labels: labels) { slice in
                    gather(indices, slice: slice, training: training, augmentedCount: augmentedCount, outliers: outliers,
                           into: input.pointer, epoch: epoch)
                }
                guard result.lossSum.isFinite else { throw TrainingError.diverged(epoch: epoch, batch: batch + 1) }
                totals.add(result)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
                let done = Double((epoch - 1) * batches + batch + 1), total = Double(configuration.epochs * batches)
                let runElapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
                progress(.batch(BatchProgress(epoch: epoch, epochs: configuration.epochs, batch: batch + 1, batches: batches,
                                              loss: totals.meanLoss, accuracy: totals.accuracy,
                                              samplesPerSecond: Double(totals.samples) / max(elapsed, 1e-9), elapsed: elapsed,
                                              remaining: runElapsed / done * (total - done))))
            }
            let validationResult = validation.map { evaluate($0) }
            let report = EpochReport(epoch: epoch, loss: totals.meanLoss, accuracy: totals.accuracy,
                                     validationLoss: validationResult?.loss, validationAccuracy: validationResult?.accuracy,
                                     seconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9,
                                     cpuSeconds: processCPUSeconds() - epochCPU, learningRate: learningRate)
            reports.append(report)
            progress(.epoch(report))
        }
        return reports
    }

    /// One optimizer update from one batch; `fill` puts each piece's images into `input` first.
    /// Returns the batch's loss and accuracy.
    func trainStep(_ input: UnsafeMutablePointer<Float>, labels: [Int], fill: (BatchSlice) -> Void = { _ in }) -> CrossEntropyLoss.Result {
        let result = lossAndGradients(input, labels: labels, fill: fill)
        optimizer.step()
        step += 1
        return result
    }

    /// Forward in training mode, the loss, and backward, the batch split in pieces that the
    /// gang's threads take as they come (`Network.trainingStep`): afterwards every trainable
    /// parameter's gradient holds d(loss)/d(parameter). Nothing is updated.
    func lossAndGradients(_ input: UnsafeMutablePointer<Float>, labels: [Int], fill: (BatchSlice) -> Void = { _ in })
        -> CrossEntropyLoss.Result {
        let mode = PassMode(training: true, seed: configuration.seed, step: step)
        let batch = labels.count
        let pieces = batchPieces(batch, threads: gang.threadCount)
        network.prepare(batch: batch, pieces: pieces, mode: mode)
        let results = UnsafeMutablePointer<CrossEntropyLoss.Result>.allocate(capacity: pieces)
        results.initialize(repeating: CrossEntropyLoss.Result(), count: pieces)
        defer { results.deallocate() }
        let classes = network.outputSize
        network.trainingStep(UnsafePointer(input), batch: batch, pieces: pieces, mode: mode, gang: gang, begin: fill) { slice, output in
            results[slice.piece] = loss.evaluate(logits: finalStage.logits(start: slice.start),
                                                 probabilities: output + slice.start * classes,
                                                 labels: labels[slice.start..<(slice.start + slice.count)], batch: slice.count,
                                                 gradient: network.outputGradient(slice), normalizer: batch)
        }
        network.finishBackward(pieces: pieces)
        var total = CrossEntropyLoss.Result()
        for piece in 0..<pieces { total.add(results[piece]) }
        return total
    }

    /// Copies (and, when configured, distorts) one piece's images of a batch; training images
    /// from `augmentedCount` on are plain (copied as they are).
    func gather(_ indices: [Int], slice: BatchSlice, training: LabelledImages, augmentedCount: Int, outliers: LabelledImages?,
                into input: UnsafeMutablePointer<Float>, epoch: Int) {
        let size = network.inputSize
        let augmentation = configuration.augmentation
        var original = [Float](repeating: 0, count: augmentation.isIdentity ? 0 : size)
        for position in slice.start..<(slice.start + slice.count) {
            let index = indices[position]
            let destination = input + position * size
            let (source, sourceIndex) = index < training.count ? (training, index) : (outliers!, index - training.count)
            let isOutlier = index >= training.count
            if augmentation.isIdentity || (isOutlier && !configuration.augmentOutliers) || (!isOutlier && index >= augmentedCount) {
                source.copyImage(sourceIndex, into: destination)
                continue
            }
            original.withUnsafeMutableBufferPointer { buffer in
                source.copyImage(sourceIndex, into: buffer.baseAddress!)
                var random = SeededRandom(seed: configuration.seed, stream: [0xA09, UInt64(epoch), UInt64(index)])
                augmentation.apply(buffer.baseAddress!, shape: training.shape, into: destination, random: &random)
            }
        }
    }

    /// Loss and accuracy on `images` in inference mode (dropout off, stored BN statistics) and,
    /// when `rejectLabel` names a reject class, how the other classes' images fare as a server
    /// that refuses by it reads them (`RejectClassMetrics`), from the same predictions.
    public func evaluate(_ images: LabelledImages, rejectLabel: Int? = nil, batchSize: Int = 256)
        -> (loss: Double, accuracy: Double, reject: RejectClassMetrics?) {
        var totals = CrossEntropyLoss.Result()
        var tally = rejectLabel.map { RejectClassTally(rejectLabel: $0, classes: network.outputSize) }
        forEachBatch(images, batchSize: batchSize) { output, start, count in
            let labels = images.labels[start..<(start + count)]
            totals.add(loss.evaluate(logits: finalStage.logits(start: 0), probabilities: output,
                                     labels: labels, batch: count, gradient: nil, normalizer: count))
            tally?.add(probabilities: output, labels: labels)
        }
        let reject = tally.map { tally in
            tally.metrics(rejectClass: images.classNames.indices.contains(tally.rejectLabel) ? images.classNames[tally.rejectLabel]
                                                                                              : String(tally.rejectLabel))
        }
        return (totals.meanLoss, totals.accuracy, reject)
    }

    /// The model's outputs (class probabilities) for `images`, one row per image.
    public func predict(_ images: LabelledImages, batchSize: Int = 256) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(images.count * network.outputSize)
        forEachBatch(images, batchSize: batchSize) { output, _, count in
            result += UnsafeBufferPointer(start: output, count: count * network.outputSize)
        }
        return result
    }

    private func forEachBatch(_ images: LabelledImages, batchSize: Int, _ body: (UnsafePointer<Float>, Int, Int) -> Void) {
        let size = network.inputSize
        let input = FloatBuffer(count: min(batchSize, max(images.count, 1)) * size)
        let mode = PassMode(training: false, seed: 0, step: 0)
        var start = 0
        while start < images.count {
            let count = min(batchSize, images.count - start)
            let pieces = batchPieces(count, threads: gang.threadCount)
            network.prepare(batch: count, pieces: pieces, mode: mode)
            var output: UnsafeMutablePointer<Float>?
            let first = start
            gang.run(pieces) { piece in
                let slice = splitBatch(count, pieces: pieces, piece: piece)
                for offset in slice.start..<(slice.start + slice.count) {
                    images.copyImage(first + offset, into: input.pointer + offset * size)
                }
                let result = network.forward(UnsafePointer(input.pointer), slice: slice, mode: mode)
                if piece == 0 { output = result }
            }
            body(UnsafePointer(output!), start, count)
            start += count
        }
    }
}
