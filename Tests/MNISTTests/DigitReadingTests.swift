import Foundation
import ImageCodecs
import Logging
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// The plugin reading pictures of several digits, or none: one entry per digit with its box in
/// reading order, `?digits=one`, `?threshold=`, the cap on digits, "no digit" as 200 + message.
final class DigitReadingTests: XCTestCase {
    let log = LogCapture()

    func model(options: JSONValue = .object([])) throws -> AnyModel {
        try MNISTModel.plugin.make(PluginContext(options: options,
                                                 modelAsset: MNISTFixtures.root.appendingPathComponent(MNISTModel.defaultAsset),
                                                 logger: log.logger(.warning)))
    }

    func sheet() throws -> (bytes: [UInt8], truth: [(label: Int, box: [Int])]) {
        let folder = MNISTFixtures.root.appendingPathComponent("samples")
        let truth = try JSONValue.parse([UInt8](Data(contentsOf: folder.appendingPathComponent("sheet_ten_digits.json"))))
        var digits: [(label: Int, box: [Int])] = []
        for digit in try XCTUnwrap(truth["digits"]?.arrayValue) {
            let box: [Int] = digit["box"]?.arrayValue?.compactMap { $0.intValue } ?? []
            digits.append((digit["label"]?.intValue ?? -1, box))
        }
        return ([UInt8](try Data(contentsOf: folder.appendingPathComponent("sheet_ten_digits.png"))), digits)
    }

    func png(_ image: Image) -> [UInt8] { PNGEncoder.encode(image) }

    func testASheetAnswersEveryDigitWithItsBoxInReadingOrder() throws {
        let (bytes, truth) = try sheet()
        let answer = try model().run(ModelInput(bytes: bytes))
        XCTAssertEqual(answer.predictions.count, 10, "\(answer.predictions)")
        var right = 0
        for (prediction, digit) in zip(answer.predictions, truth) {
            let box = try XCTUnwrap(prediction["box"]?.arrayValue?.compactMap(\.intValue))
            XCTAssertEqual(box.count, 4)
            for (got, want) in zip([box[0], box[1], box[0] + box[2], box[1] + box[3]],
                                   [digit.box[0], digit.box[1], digit.box[0] + digit.box[2], digit.box[1] + digit.box[3]]) {
                XCTAssertEqual(got, want, accuracy: 3, "\(box) vs \(digit.box)")
            }
            if prediction["prediction"]?.intValue == digit.label { right += 1 }
            XCTAssertGreaterThanOrEqual(prediction["digit_score"]?.doubleValue ?? 0, 0.5)
        }
        XCTAssertGreaterThanOrEqual(right, 9, "\(answer.predictions.map { $0["prediction"]?.intValue ?? -1 }) vs \(truth.map(\.label))")
        XCTAssertTrue(answer.fields.isEmpty, "no message when digits are found")
    }

    func testDigitsOneReadsTheWholePictureAsOneDigit() throws {
        let (bytes, _) = try sheet()
        let answer = try model().run(ModelInput(bytes: bytes, query: [("digits", "one"), ("threshold", "0")]))
        XCTAssertEqual(answer.predictions.count, 1)
        XCTAssertEqual(answer.predictions.first?.objectMembers?.map(\.key), ["prediction", "probability", "digit_score"])
    }

    /// Uniform random noise (the Locust test's picture) and a blank page: 200, no digit, a message.
    func testNoiseAndBlankPicturesHoldNoDigit() throws {
        var state: UInt64 = 42
        var noise = Image(width: 500, height: 400, layout: .rgb)
        for index in noise.samples.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            noise.samples[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let served = try model()
        for (name, image) in [("noise", noise), ("blank", Image(width: 300, height: 200, layout: .rgb, fill: 250))] {
            let answer = try served.run(ModelInput(bytes: png(image)))
            XCTAssertEqual(answer.predictions.count, 0, "\(name): \(answer.predictions)")
            let message = answer.fields.first { $0.key == "message" }?.value.stringValue ?? ""
            XCTAssertTrue(message.hasPrefix("no digit found"), "\(name): \(message)")
        }
    }

    func testThresholdIsPerRequest() throws {
        let (bytes, _) = try sheet()
        let served = try model()
        let everything = try served.run(ModelInput(bytes: bytes, query: [("threshold", "0")])).predictions
        let nothing = try served.run(ModelInput(bytes: bytes, query: [("threshold", "1")])).predictions
        XCTAssertGreaterThanOrEqual(everything.count, 10)
        XCTAssertLessThan(nothing.count, 10)
        let scores = everything.compactMap { $0["digit_score"]?.doubleValue }
        XCTAssertTrue(scores.allSatisfy { (0...1).contains($0) })
    }

    /// `max_digits` caps the digits read; the answer says how many were left out.
    func testTheDigitCapIsConfigurableAndReported() throws {
        let (bytes, _) = try sheet()
        let answer = try model(options: .object([("max_digits", .int(3))])).run(ModelInput(bytes: bytes))
        XCTAssertLessThanOrEqual(answer.predictions.count, 3)
        XCTAssertEqual(answer.fields.first { $0.key == "omitted" }?.value, .int(7))
        XCTAssertTrue(answer.fields.first { $0.key == "message" }?.value.stringValue?.contains("more than 3") == true, "\(answer.fields)")
        XCTAssertThrowsError(try model(options: .object([("max_digits", .int(0))]))) { error in
            XCTAssertTrue("\(error)".contains("max_digits"), "\(error)")
        }
        XCTAssertThrowsError(try model(options: .object([("threshold", .number(1.5))]))) { error in
            XCTAssertTrue("\(error)".contains("threshold"), "\(error)")
        }
        // Declared, so the framework checks types and warns about unknown keys.
        XCTAssertEqual(Set(MNISTModel.plugin.options.map(\.name)), ["max_digits", "min_digit_height", "threshold", "digits"])
        var warnings: [String] = []
        let checked = try MNISTModel.plugin.checkedOptions(.object([("treshold", .number(0.5))]), place: "model", warnings: &warnings)
        XCTAssertTrue(warnings.first?.contains("did you mean 'threshold'") == true, "\(warnings)")
        XCTAssertEqual(checked["max_digits"], .int(100))
    }

    /// top_k gives each digit's k most probable readings, digit after digit.
    func testTopKPerDigit() throws {
        let (bytes, _) = try sheet()
        let predictions = try model().run(ModelInput(bytes: bytes, query: [("top_k", "3")])).predictions
        XCTAssertEqual(predictions.count, 30)
        for group in stride(from: 0, to: predictions.count, by: 3) {
            let boxes = predictions[group..<(group + 3)].map { $0["box"] }
            XCTAssertEqual(Set(boxes.map { $0?.serialized ?? "" }).count, 1)
            let probabilities = predictions[group..<(group + 3)].compactMap { $0["probability"]?.doubleValue }
            XCTAssertEqual(probabilities, probabilities.sorted(by: >))
        }
    }
}
