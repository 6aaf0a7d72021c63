import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// `dataset_args.numbers`: a model trained on some digits has one output per digit and its
/// file says which (class_names), so the MNIST plugin can answer those digits only.
final class SubsetTrainingTests: XCTestCase {
    /// LearningTests' three patterns as the digits 0, 1 and 7, plus noise images labelled 3 and 5.
    static func digits(count: Int, seed: UInt64) -> LabelledImages {
        let patterns = LearningTests.patterns(count: count, seed: seed)
        var random = SeededRandom(seed: seed ^ 0xD1617)
        let noise = (0..<(count / 3 * 144)).map { _ in UInt8(random.uniform(0, 255)) }
        let digitOfPattern = [0, 1, 7]
        return try! LabelledImages(shape: patterns.shape, pixels: .bytes({ if case .bytes(let b) = patterns.pixels { return b + noise }; return [] }()),
                                   labels: patterns.labels.map { digitOfPattern[$0] } + (0..<(count / 3)).map { $0 % 2 == 0 ? 3 : 5 },
                                   classNames: LabelledImages.digitClassNames())
    }

    func testNumbersTrainOneOutputPerDigitAndTheFileNamesThem() throws {
        let data = DatasetSplits(training: Self.digits(count: 240, seed: 1), test: Self.digits(count: 60, seed: 2))
        let request = try TrainingRequest.parse(json: Array("""
            {"network": "lenet5", "dataset_args": {"image_size": [12, 12, 1], "numbers": [0, 1, 7]},
             "train_args": {"epochs": 3, "batch_size": 16, "optimizer": "adam"}}
            """.utf8))
        XCTAssertEqual(request.classes, ["0", "1", "7"])
        let outcome = try TrainingRun(request: request).run(data: data)
        XCTAssertEqual(outcome.file.classNames, ["0", "1", "7"])
        XCTAssertEqual(try ModelClassNames.read(bytes: outcome.bytes), ["0", "1", "7"])
        let model = try KerasModel.load(bytes: outcome.bytes)
        XCTAssertEqual(model.outputSize, 3)
        XCTAssertGreaterThan(outcome.test?.accuracy ?? 0, 0.9, "measured on the test images of 0, 1 and 7 only")
        // The engine, scoring the file on all the test images, leaves out the 3s and 5s and
        // agrees with what the trainer measured.
        let evaluation = try ModelEvaluation.evaluate(model, classNames: ["0", "1", "7"], on: data.test!)
        XCTAssertEqual(evaluation.leftOut, 20)
        XCTAssertEqual(evaluation.images, 60)
        XCTAssertEqual(evaluation.accuracy, outcome.test!.accuracy, accuracy: 1e-12)
        XCTAssertEqual(evaluation.loss, outcome.test!.loss, accuracy: 1e-4)
        XCTAssertEqual(evaluation.confusion.map { $0.reduce(0, +) }, [20, 20, 20])
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.metricsJSON.utf8)) as? [String: Any])
        XCTAssertEqual(metrics["images"] as? Int, 60)
        XCTAssertEqual(((metrics["classes"] as? [String: Any])?["7"] as? [String: Any])?["images"] as? Int, 20)
        XCTAssertThrowsError(try ModelEvaluation.evaluate(model, classNames: ["0", "1"], on: data.test!))
        XCTAssertThrowsError(try ModelEvaluation.evaluate(model, classNames: ["2", "4", "6"], on: data.test!)) {
            XCTAssertTrue("\($0)".contains("none of the 80 images"), "\($0)")
        }
        // Without numbers: every class of the data, ten outputs, named 0-9.
        let all = try TrainingRun(request: try TrainingRequest.parse(json: Array("""
            {"network": "mlp", "dataset_args": {"image_size": [12, 12, 1]}, "train_args": {"epochs": 1}}
            """.utf8))).run(data: data)
        XCTAssertEqual(all.file.classNames, LabelledImages.digitClassNames())
        XCTAssertEqual(try KerasModel.load(bytes: all.bytes).outputSize, 10)
    }

    /// Outliers (trained towards the uniform distribution, their labels unused) go with a subset.
    func testOutliersTrainBesideASubset() throws {
        let request = try TrainingRequest.parse(json: Array("""
            {"network": "mlp", "dataset_args": {"image_size": [12, 12, 1], "numbers": [0, 7]}, "train_args": {"epochs": 1}}
            """.utf8))
        let outliers = Self.digits(count: 30, seed: 5)  // ten class names, for a model of two
        let outcome = try TrainingRun(request: request).run(data: DatasetSplits(training: Self.digits(count: 60, seed: 4)),
                                                            outliers: outliers)
        XCTAssertEqual(outcome.file.classNames, ["0", "7"])
        XCTAssertEqual(try KerasModel.load(bytes: outcome.bytes).outputSize, 2)
    }

    func testBadNumbersNameTheKeyAndAnEmptySubsetIsRefused() throws {
        let cases: [(String, String)] = [
            (#""numbers": []"#, "dataset_args.numbers must be a non-empty list of digits 0-9"),
            (#""numbers": [0, 12]"#, "dataset_args.numbers[1] must be a digit 0-9, got 12"),
            (#""numbers": [1, 1]"#, "dataset_args.numbers[1] repeats the digit 1"),
            (#""numbers": ["7"]"#, "dataset_args.numbers[0] must be a digit 0-9, got 7"),
            (#""numbers": 7"#, "dataset_args.numbers must be a non-empty list"),
            (#""numbers": [true]"#, "dataset_args.numbers[0] must be a digit 0-9"),
        ]
        for (setting, message) in cases {
            XCTAssertThrowsError(try TrainingRequest.parse(json: Array(#"{"network": "mlp", "dataset_args": {\#(setting)}}"#.utf8))) {
                XCTAssertTrue("\($0)".contains(message), "\(setting): \($0)")
            }
        }
        let request = try TrainingRequest.parse(json: Array(#"{"network": "mlp", "dataset_args": {"image_size": [12, 12], "numbers": [8, 9]}}"#.utf8))
        XCTAssertThrowsError(try TrainingRun(request: request).run(data: DatasetSplits(training: Self.digits(count: 30, seed: 3)))) {
            XCTAssertTrue("\($0)".contains("no image is of class 8, 9: the subset is empty"), "\($0)")
        }
    }
}
