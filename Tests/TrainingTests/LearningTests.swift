import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// End to end on small synthetic digits: training learns, the file it writes is what was
/// trained, and training can continue from that file.
final class LearningTests: XCTestCase {
    /// Three classes of 12x12 images: a bar across, a bar down, or a diagonal, with noise.
    static func patterns(count: Int, seed: UInt64) -> LabelledImages {
        var random = SeededRandom(seed: seed)
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for index in 0..<count {
            let label = index % 3
            let offset = Int(random.uniform(2, 10))
            for y in 0..<12 {
                for x in 0..<12 {
                    let on = label == 0 ? y == offset : label == 1 ? x == offset : x == y
                    pixels.append(UInt8(min(255, (on ? 200 : 0) + Int(random.uniform(0, 40)))))
                }
            }
            labels.append(label)
        }
        return try! LabelledImages(shape: ImageShape(height: 12, width: 12), pixels: .bytes(pixels), labels: labels,
                                   classNames: ["across", "down", "diagonal"])
    }

    func request(_ body: String) throws -> TrainingRequest { try TrainingRequest.parse(json: Array(body.utf8)) }

    func testLeNetLearnsAndItsFileMatches() throws {
        let data = DatasetSplits(training: Self.patterns(count: 240, seed: 1), test: Self.patterns(count: 60, seed: 2))
        let run = TrainingRun(request: try request("""
            {"network": "lenet5", "dataset_args": {"image_size": [12, 12, 1]},
             "train_args": {"epochs": 4, "batch_size": 16, "optimizer": "adam", "validation_split": 0.2}}
            """))
        var epochs = 0
        var batches = 0
        let outcome = try run.run(data: data) { event in
            switch event {
            case .batch: batches += 1
            case .epoch(let report):
                epochs += 1
                XCTAssertNotNil(report.validationAccuracy)
            }
        }
        XCTAssertEqual(epochs, 4)
        XCTAssertEqual(batches, 4 * 12)  // 192 training images after the split, batches of 16
        XCTAssertGreaterThan(outcome.test?.accuracy ?? 0, 0.9)
        XCTAssertLessThan(outcome.history.last!.loss, outcome.history.first!.loss)
        // The engine reading the written file gets the accuracy the trainer measured.
        let model = try KerasModel.load(bytes: outcome.bytes)
        var correct = 0
        let test = data.test!
        for index in 0..<test.count {
            let probabilities = try model.predict(test.image(index), batchSize: 1)
            if probabilities.firstIndex(of: probabilities.max()!) == test.labels[index] { correct += 1 }
        }
        XCTAssertEqual(Double(correct) / Double(test.count), outcome.test!.accuracy, accuracy: 1e-9)
        XCTAssertEqual(try KerasModelFile.read(bytes: outcome.bytes), outcome.file)
    }

    func testFineTuningStartsFromTheFilesWeights() throws {
        let data = DatasetSplits(training: Self.patterns(count: 90, seed: 3), test: Self.patterns(count: 30, seed: 4))
        let first = try TrainingRun(request: try request("""
            {"network": "mlp", "dataset_args": {"image_size": [12, 12]}, "network_args": {"layer_sizes": [16]},
             "train_args": {"epochs": 3, "batch_size": 10}}
            """)).run(data: data)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(UUID().uuidString).h5")
        try Data(first.bytes).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        var second = TrainingRun(request: try request("""
            {"network": "file", "network_args": {"path": "\(path.path)"}, "dataset_args": {"image_size": [12, 12]},
             "train_args": {"epochs": 1, "batch_size": 10, "learning_rate": 0}}
            """))
        second.threads = 1
        let again = try second.run(data: data)
        // A learning rate of zero leaves the weights as the file had them.
        XCTAssertEqual(again.file.layers, first.file.layers)
        XCTAssertEqual(again.test?.accuracy, first.test?.accuracy)
        second = TrainingRun(request: try request(#"{"network": "file", "network_args": {"path": "/nonexistent.h5"}}"#))
        XCTAssertThrowsError(try second.run(data: data)) { XCTAssertTrue("\($0)".contains("network_args.path"), "\($0)") }
    }

    func testDataThatDoesNotFitIsRefused() throws {
        let run = TrainingRun(request: try request(#"{"network": "mlp"}"#))  // 28x28 expected
        XCTAssertThrowsError(try run.run(data: DatasetSplits(training: Self.patterns(count: 6, seed: 1)))) {
            XCTAssertTrue("\($0)".contains("12x12x1"), "\($0)")
        }
    }
}

/// "Not a digit": outlier exposure lowers the confidence on images of no class; an extra class
/// is just one more name.
final class RejectTests: XCTestCase {
    func noise(_ count: Int, seed: UInt64) -> LabelledImages {
        var random = SeededRandom(seed: seed)
        return try! LabelledImages(shape: ImageShape(height: 12, width: 12),
                                   pixels: .bytes((0..<(count * 144)).map { _ in UInt8(random.uniform(0, 256)) }),
                                   labels: [Int](repeating: 0, count: count), classNames: ["across", "down", "diagonal"])
    }

    func meanConfidence(_ outcome: TrainingOutcome, on images: LabelledImages) throws -> Double {
        let model = try KerasModel.load(bytes: outcome.bytes)
        var total = 0.0
        for index in 0..<images.count { total += Double(try model.predict(images.image(index), batchSize: 1).max()!) }
        return total / Double(images.count)
    }

    func testOutlierExposureLowersConfidenceOnNoise() throws {
        let data = DatasetSplits(training: LearningTests.patterns(count: 150, seed: 1), test: LearningTests.patterns(count: 30, seed: 2))
        let body = #"{"network": "mlp", "dataset_args": {"image_size": [12, 12]}, "network_args": {"layer_sizes": [32]}, "train_args": {"epochs": 6, "batch_size": 15, "optimizer": "adam", "outlier_weight": 1.0}}"#
        let request = try TrainingRequest.parse(json: Array(body.utf8))
        let plain = try TrainingRun(request: request).run(data: data)
        let exposed = try TrainingRun(request: request).run(data: data, outliers: noise(150, seed: 3))
        let unseenNoise = noise(40, seed: 9)
        let plainConfidence = try meanConfidence(plain, on: unseenNoise)
        let exposedConfidence = try meanConfidence(exposed, on: unseenNoise)
        XCTAssertLessThan(exposedConfidence, plainConfidence - 0.1, "plain \(plainConfidence), with outliers \(exposedConfidence)")
        XCTAssertLessThan(exposedConfidence, 0.6)
        XCTAssertGreaterThan(exposed.test?.accuracy ?? 0, 0.9, "the classes are still learnt")
    }

    func testExtraClassFromClassNames() throws {
        let request = try TrainingRequest.parse(json: Array(#"{"network": "mlp", "dataset_args": {"image_size": [12, 12], "class_names": ["a", "b", "c", "none"]}, "train_args": {"epochs": 1}}"#.utf8))
        XCTAssertEqual(request.classNames, ["a", "b", "c", "none"])
        let base = LearningTests.patterns(count: 30, seed: 1)
        let four = try LabelledImages(shape: base.shape, pixels: base.pixels, labels: base.labels.map { $0 == 2 ? 3 : $0 },
                                      classNames: request.classNames)
        let outcome = try TrainingRun(request: request).run(data: DatasetSplits(training: four))
        XCTAssertEqual(try KerasModel.load(bytes: outcome.bytes).outputShape, [4])
        XCTAssertThrowsError(try TrainingRequest.parse(json: Array(#"{"network": "mlp", "dataset_args": {"class_names": ["a", "a"]}}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("dataset_args.class_names names a class twice"), "\($0)")
        }
    }
}
