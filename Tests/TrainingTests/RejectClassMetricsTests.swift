import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// A model with a reject class is measured as the server reads it: the other classes' images
/// by the most probable of the other classes, and how many of them the reject class wins,
/// beside the plain accuracy (the most probable of every class).
final class RejectClassMetricsTests: XCTestCase {
    func testTallyReadsTheOtherClassesAsTheServerDoes() {
        // Four classes, the last the reject class.
        let rows: [[Float]] = [
            [0.6, 0.2, 0.1, 0.1],  // 0: right, accepted
            [0.2, 0.1, 0.1, 0.6],  // 0: the reject class wins, the other classes still read 0
            [0.1, 0.3, 0.1, 0.5],  // 0: the reject class wins, the other classes read 1
            [0.3, 0.3, 0.2, 0.2],  // 1: a tie of 0 and 1 goes to the first, 0: wrong
            [0.1, 0.1, 0.1, 0.7],  // labelled as the reject class: not one of the other classes' images
            [0.25, 0.25, 0.25, 0.25],  // an outlier (label -1): not counted
        ]
        let labels = [0, 0, 0, 1, 3, CrossEntropyLoss.outlier]
        var tally = RejectClassTally(rejectLabel: 3, classes: 4)
        rows.flatMap { $0 }.withUnsafeBufferPointer { tally.add(probabilities: $0.baseAddress!, labels: labels[...]) }
        let metrics = tally.metrics(rejectClass: "none")
        XCTAssertEqual(metrics, RejectClassMetrics(rejectClass: "none", images: 4, correct: 2, rejected: 2))
        XCTAssertEqual(metrics.accuracy, 0.5)
        XCTAssertEqual(metrics.rejectRate, 0.5)

        // The reject class first: the other classes are 1 and 2.
        var first = RejectClassTally(rejectLabel: 0, classes: 3)
        [Float]([0.5, 0.3, 0.2, 0.1, 0.2, 0.7]).withUnsafeBufferPointer { first.add(probabilities: $0.baseAddress!, labels: [1, 1][...]) }
        XCTAssertEqual(first.metrics(rejectClass: "x"), RejectClassMetrics(rejectClass: "x", images: 2, correct: 1, rejected: 1))
        XCTAssertEqual(RejectClassTally(rejectLabel: 0, classes: 3).metrics(rejectClass: "x").accuracy, 0, "no images: 0, not NaN")
    }

    /// End to end: with `train_args.outlier_class` the run's train and test figures carry the
    /// reject class's metrics, equal to what the engine reading the written file gives.
    func testTrainingRunReportsTheRejectClassAsTheServerReadsIt() throws {
        let names = ["across", "down", "diagonal", "none"]
        func named(_ images: LabelledImages) throws -> LabelledImages {
            try LabelledImages(shape: images.shape, pixels: images.pixels, labels: images.labels, classNames: names)
        }
        let training = try named(LearningTests.patterns(count: 120, seed: 1))
        // Test patterns drowned in noise to different degrees, so that the reject class wins some.
        let clean = LearningTests.patterns(count: 90, seed: 2)
        var random = SeededRandom(seed: 6)
        var pixels = [UInt8](repeating: 0, count: 90 * 144)
        for index in 0..<90 {
            let weight = Float(index % 6) / 5
            for offset in 0..<144 {
                let noise = random.uniform(0, 256)
                pixels[index * 144 + offset] = UInt8((1 - weight) * Float(clean.image(index)[offset]) + weight * Float(noise))
            }
        }
        let test = try LabelledImages(shape: clean.shape, pixels: .bytes(pixels), labels: clean.labels, classNames: names)
        var outlierRandom = SeededRandom(seed: 3)
        let outliers = try LabelledImages(shape: clean.shape, pixels: .bytes((0..<(200 * 144)).map { _ in UInt8(outlierRandom.uniform(0, 256)) }),
                                          labels: [Int](repeating: 0, count: 200), classNames: names)
        let body = #"{"network": "mlp", "dataset_args": {"image_size": [12, 12], "class_names": ["across", "down", "diagonal", "none"]}, "network_args": {"layer_sizes": [16]}, "train_args": {"epochs": 3, "batch_size": 16, "optimizer": "adam", "outlier_class": "none", "seed": 2}}"#
        let outcome = try TrainingRun(request: try TrainingRequest.parse(json: Array(body.utf8)))
            .run(data: DatasetSplits(training: training, test: test), outliers: outliers)
        let model = try KerasModel.load(bytes: outcome.bytes)
        func expected(_ images: LabelledImages) throws -> (plain: Double, reject: RejectClassMetrics) {
            var plainRight = 0, correct = 0, rejected = 0
            for index in 0..<images.count {
                let p = try model.predict(images.image(index), batchSize: 1)
                let label = images.labels[index]
                let best = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
                let other = (0..<3).max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
                if best == label { plainRight += 1 }
                if other == label { correct += 1 }
                if best == 3 { rejected += 1 }
            }
            return (Double(plainRight) / Double(images.count),
                    RejectClassMetrics(rejectClass: "none", images: images.count, correct: correct, rejected: rejected))
        }
        let testExpected = try expected(test)
        let testReject = try XCTUnwrap(outcome.test?.reject)
        XCTAssertEqual(testReject, testExpected.reject)
        XCTAssertEqual(outcome.test!.accuracy, testExpected.plain, accuracy: 1e-12, "the plain figure is unchanged: argmax of every class")
        XCTAssertGreaterThan(testReject.rejected, 0, "the noisiest test images are refused")
        XCTAssertGreaterThan(testReject.accuracy, outcome.test!.accuracy, "a refused image the other classes read right is no mistake here")
        XCTAssertEqual(outcome.train.reject, try expected(training).reject)

        // Without a reject class, nothing more is reported.
        let plainBody = body.replacingOccurrences(of: #", "outlier_class": "none""#, with: "")
        let plain = try TrainingRun(request: try TrainingRequest.parse(json: Array(plainBody.utf8)))
            .run(data: DatasetSplits(training: training, test: test))
        XCTAssertNil(plain.test?.reject)
        XCTAssertNil(plain.train.reject)
    }
}
