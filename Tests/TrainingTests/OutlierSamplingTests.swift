import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// Outliers redrawn every epoch (`train_args.outliers_per_epoch`): each epoch trains on every
/// labelled image and a fresh, seeded draw from the outlier pool; `train_args.outlier_class`
/// trains them as a reject class.
final class OutlierSamplingTests: XCTestCase {
    func testEachEpochDrawsAFreshRepeatableSampleOfTheOutliers() {
        let sampler = EpochSampler(trainingCount: 50, outlierCount: 1000, outliersPerEpoch: 100, seed: 7, shuffle: true)
        XCTAssertEqual(sampler.samplesPerEpoch, 150)
        var seen = Set<Int>()
        var previous: Set<Int>? = nil
        for epoch in 1...20 {
            let samples = sampler.samples(epoch: epoch)
            XCTAssertEqual(samples.count, 150)
            XCTAssertEqual(Set(samples.filter { $0 < 50 }), Set(0..<50), "every labelled image, every epoch")
            let drawn = Set(samples.filter { $0 >= 50 })
            XCTAssertEqual(drawn.count, 100, "100 distinct outliers")
            XCTAssertTrue(drawn.allSatisfy { (50..<1050).contains($0) })
            if let previous {
                // Two independent draws of 100 of 1000 share ~10; one fixed sample would share all 100.
                XCTAssertLessThan(drawn.intersection(previous).count, 30, "epoch \(epoch) redrew its outliers")
            }
            previous = drawn
            seen.formUnion(drawn)
            XCTAssertEqual(sampler.samples(epoch: epoch), samples, "the same seed and epoch give the same samples")
        }
        XCTAssertGreaterThan(seen.count, 700, "twenty epochs show most of the pool (expected ~880 of 1000)")
        let other = EpochSampler(trainingCount: 50, outlierCount: 1000, outliersPerEpoch: 100, seed: 8, shuffle: true)
        XCTAssertNotEqual(Set(other.samples(epoch: 1).filter { $0 >= 50 }), Set(sampler.samples(epoch: 1).filter { $0 >= 50 }))
    }

    /// Without a per-epoch count every outlier is trained every epoch, in the order the trainer
    /// has always used (the same run, the same model as before the option existed).
    func testWithoutACountEveryOutlierEveryEpochInTheOldOrder() {
        let sampler = EpochSampler(trainingCount: 30, outlierCount: 20, outliersPerEpoch: nil, seed: 3, shuffle: true)
        XCTAssertEqual(sampler.samplesPerEpoch, 50)
        for epoch in 1...3 {
            var expected = Array(0..<50)
            var random = SeededRandom(seed: 3, stream: [0x5AFF1E, UInt64(epoch)])
            expected.shuffle(using: &random)
            XCTAssertEqual(sampler.samples(epoch: epoch), expected)
        }
        // A count beyond the pool takes the whole pool.
        XCTAssertEqual(EpochSampler(trainingCount: 5, outlierCount: 4, outliersPerEpoch: 9, seed: 1, shuffle: false).samples(epoch: 2),
                       Array(0..<9))
    }

    func noise(_ count: Int, seed: UInt64) -> LabelledImages {
        var random = SeededRandom(seed: seed)
        return try! LabelledImages(shape: ImageShape(height: 12, width: 12),
                                   pixels: .bytes((0..<(count * 144)).map { _ in UInt8(random.uniform(0, 256)) }),
                                   labels: [Int](repeating: 0, count: count), classNames: ["across", "down", "diagonal", "none"])
    }

    /// End to end: epochs are as long as the labelled images plus the draw, and the outliers,
    /// trained as the reject class, teach the model to call unseen noise "none".
    func testTrainingDrawsOutliersPerEpochAsTheRejectClass() throws {
        let names = ["across", "down", "diagonal", "none"]
        let base = LearningTests.patterns(count: 150, seed: 1)
        let training = try LabelledImages(shape: base.shape, pixels: base.pixels, labels: base.labels, classNames: names)
        let body = #"{"network": "mlp", "dataset_args": {"image_size": [12, 12], "class_names": ["across", "down", "diagonal", "none"]}, "network_args": {"layer_sizes": [32]}, "train_args": {"epochs": 8, "batch_size": 15, "optimizer": "adam", "outlier_class": "none", "outliers_per_epoch": 30, "seed": 4}}"#
        let request = try TrainingRequest.parse(json: Array(body.utf8))
        XCTAssertEqual(request.outlierClass, "none")
        XCTAssertEqual(request.configuration.outliersPerEpoch, 30)
        var batchesPerEpoch: [Int: Int] = [:]
        let outcome = try TrainingRun(request: request).run(data: DatasetSplits(training: training), outliers: noise(600, seed: 3)) { event in
            if case .batch(let progress) = event { batchesPerEpoch[progress.epoch] = progress.batches }
        }
        XCTAssertEqual(batchesPerEpoch, Dictionary(uniqueKeysWithValues: (1...8).map { ($0, 12) }), "(150 + 30) / 15 batches, not (150 + 600) / 15")
        let model = try KerasModel.load(bytes: outcome.bytes)
        XCTAssertEqual(model.outputShape, [4])
        let unseen = noise(40, seed: 9)
        var rejected = 0
        for index in 0..<unseen.count {
            let p = try model.predict(unseen.image(index), batchSize: 1)
            if p.firstIndex(of: p.max()!) == 3 { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 36, "unseen noise is the reject class")
        XCTAssertGreaterThan(outcome.train.accuracy, 0.9, "the classes are still learnt")
    }

    /// `train_args.augment_outliers: false`: augmentation distorts the labelled images and leaves
    /// the outliers exactly as they are (non-digits already in the finder's form).
    func testOutliersCanBeLeftUnaugmented() throws {
        let training = LearningTests.patterns(count: 3, seed: 1)
        let outliers = noise(3, seed: 2)
        func gathered(augmentOutliers: Bool) throws -> [Float] {
            let json = try NetworkCatalog.configuration(network: "mlp", arguments: [:], shape: training.shape, classes: 4)
            var configuration = TrainingConfiguration()
            configuration.augmentation = Augmentation(rotationDegrees: 20, zoom: 0.2, shiftPixels: 2)
            configuration.augmentOutliers = augmentOutliers
            let trainer = try Trainer(network: try Network(configuration: json, weights: nil, seed: 1), configuration: configuration)
            var input = [Float](repeating: 0, count: 2 * 144)
            input.withUnsafeMutableBufferPointer { buffer in
                trainer.gather([0, 3 + 1], slice: BatchSlice(start: 0, count: 2, piece: 0, pieces: 1, batch: 2),
                               training: training, augmentedCount: training.count, outliers: outliers,
                               into: buffer.baseAddress!, epoch: 1)
            }
            return input
        }
        let plain = try gathered(augmentOutliers: false), distorted = try gathered(augmentOutliers: true)
        XCTAssertEqual(Array(plain[144...]), outliers.image(1), "the outlier as it is")
        XCTAssertNotEqual(Array(distorted[144...]), outliers.image(1), "augmented when asked")
        XCTAssertNotEqual(Array(plain[..<144]), training.image(0), "labelled images are still augmented")
        XCTAssertEqual(try TrainingRequest.parse(json: Array(#"{"network": "mlp", "train_args": {"augment_outliers": false}}"#.utf8))
                        .configuration.augmentOutliers, false)
        XCTAssertTrue(try TrainingRequest.parse(json: Array(#"{"network": "mlp"}"#.utf8)).configuration.augmentOutliers)
    }

    /// `plain` data (`--plain-data`): trained beside the augmentable images but never distorted,
    /// whatever `augment` says; the augmentable ones still are.
    func testPlainImagesAreNeverAugmented() throws {
        let augmentable = LearningTests.patterns(count: 4, seed: 1), plain = LearningTests.patterns(count: 3, seed: 2)
        let training = try augmentable.appending(plain)
        let json = try NetworkCatalog.configuration(network: "mlp", arguments: [:], shape: training.shape, classes: 4)
        var configuration = TrainingConfiguration()
        configuration.augmentation = Augmentation(rotationDegrees: 20, zoom: 0.2, shiftPixels: 2)
        let trainer = try Trainer(network: try Network(configuration: json, weights: nil, seed: 1), configuration: configuration)
        var input = [Float](repeating: 0, count: 4 * 144)
        input.withUnsafeMutableBufferPointer { buffer in
            // Rows 0 and 2 of the augmentable images, rows 0 and 2 of the plain ones (indices 4 + ...).
            trainer.gather([0, 4, 2, 6], slice: BatchSlice(start: 0, count: 4, piece: 0, pieces: 1, batch: 4),
                           training: training, augmentedCount: augmentable.count, outliers: nil, into: buffer.baseAddress!, epoch: 1)
        }
        XCTAssertNotEqual(Array(input[0..<144]), augmentable.image(0), "augmentable images are distorted")
        XCTAssertNotEqual(Array(input[288..<432]), augmentable.image(2), "augmentable images are distorted")
        XCTAssertEqual(Array(input[144..<288]), plain.image(0), "plain images as they are")
        XCTAssertEqual(Array(input[432..<576]), plain.image(2), "plain images as they are")

        // Through TrainingRun: the plain images are trained (more batches per epoch) and their classes count.
        let body = #"{"network": "mlp", "dataset_args": {"image_size": [12, 12]}, "network_args": {"layer_sizes": [16]}, "train_args": {"epochs": 1, "batch_size": 10, "augment": true, "seed": 4}}"#
        var batches = 0
        _ = try TrainingRun(request: try TrainingRequest.parse(json: Array(body.utf8)))
            .run(data: DatasetSplits(training: LearningTests.patterns(count: 40, seed: 1)), plain: LearningTests.patterns(count: 30, seed: 2)) { event in
                if case .batch(let progress) = event { batches = progress.batches }
            }
        XCTAssertEqual(batches, 7, "(40 + 30) / 10 batches")
    }

    func testBadSettingsNameTheirKey() throws {
        func message(_ body: String, run: Bool = false) -> String {
            do {
                let request = try TrainingRequest.parse(json: Array(body.utf8))
                if run {
                    _ = try TrainingRun(request: request).run(data: DatasetSplits(training: LearningTests.patterns(count: 30, seed: 1)),
                                                               outliers: noise(10, seed: 2))
                }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message(#"{"network": "mlp", "train_args": {"outliers_per_epoch": 0}}"#)
                        .contains("train_args.outliers_per_epoch must be a whole number from 1"))
        XCTAssertTrue(message(#"{"network": "mlp", "train_args": {"outliers_per_epoch": 2.5}}"#).contains("train_args.outliers_per_epoch"))
        XCTAssertTrue(message(#"{"network": "mlp", "train_args": {"outlier_class": "nothing"}}"#)
                        .contains("train_args.outlier_class must name one of dataset_args.class_names (0, 1, 2"))
        // Data whose classes lack the reject class (e.g. a subset of digits): refused, by name.
        let subset = message(#"{"network": "mlp", "dataset_args": {"image_size": [12, 12], "class_names": ["across", "down", "diagonal", "none"]}, "train_args": {"epochs": 1, "outlier_class": "none"}}"#, run: true)
        XCTAssertTrue(subset.contains("train_args.outlier_class names 'none', which is not one of the classes trained (across, down, diagonal)"), subset)
    }
}
