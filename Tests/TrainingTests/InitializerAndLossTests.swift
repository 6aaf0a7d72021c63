import Datasets
import Foundation
import XCTest
@testable import Training

/// Keras's initialisers (fans, limits, deviations), and the loss's outlier-exposure term.
final class InitializerAndLossTests: XCTestCase {
    func statistics(_ values: [Float]) -> (mean: Double, deviation: Double, largest: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return (mean, variance.squareRoot(), values.map { abs(Double($0)) }.max() ?? 0)
    }

    func testFansAndDistributions() throws {
        // Conv2D kernel (3, 3, 32, 64): fan_in 288, fan_out 576.
        XCTAssertEqual(Initializer.fans([3, 3, 32, 64]).fanIn, 288)
        XCTAssertEqual(Initializer.fans([3, 3, 32, 64]).fanOut, 576)
        XCTAssertEqual(Initializer.fans([784, 128]).fanIn, 784)
        var random = SeededRandom(seed: 1)
        let glorot = statistics(Initializer.glorotUniform.values(shape: [3, 3, 32, 64], random: &random))
        let limit = (6.0 / (288 + 576)).squareRoot()
        XCTAssertLessThanOrEqual(glorot.largest, limit)
        XCTAssertEqual(glorot.deviation, limit / 3.0.squareRoot(), accuracy: limit * 0.02)
        let he = try Initializer.parse("he_normal", default: .zeros, what: "test")
        let heValues = statistics(he.values(shape: [3, 3, 32, 64], random: &random))
        // Truncated at two deviations of a normal scaled so the result has deviation sqrt(2 / fan_in).
        XCTAssertEqual(heValues.deviation, (2.0 / 288).squareRoot(), accuracy: 0.004)
        XCTAssertLessThanOrEqual(heValues.largest, 2 * (2.0 / 288).squareRoot() / 0.87962566103423978 + 1e-6)
        XCTAssertEqual(try Initializer.parse(["class_name": "RandomNormal", "config": ["stddev": 0.5]], default: .zeros, what: "t"),
                       .randomNormal(mean: 0, standardDeviation: 0.5))
        XCTAssertThrowsError(try Initializer.parse("orthogonal", default: .zeros, what: "kernel_initializer")) {
            XCTAssertTrue("\($0)".contains("kernel_initializer 'orthogonal'"), "\($0)")
        }
        XCTAssertEqual(Initializer.zeros.values(shape: [4], random: &random), [0, 0, 0, 0])
    }

    /// An outlier's target is the uniform distribution: its gradient is λ(p - 1/K) / batch and its
    /// loss λ · mean_k(-log p_k); labelled samples are unaffected and outliers leave accuracy alone.
    func testOutlierExposure() {
        let loss = CrossEntropyLoss(classes: 3, outlierWeight: 0.5)
        let logits: [Float] = [2, 0, -1, 0.5, 0.5, 0.5]
        var probabilities = logits
        for row in 0..<2 {
            let z = logits[(row * 3)..<(row * 3 + 3)]
            let sum = z.map { Foundation.exp($0 - z.max()!) }.reduce(0, +)
            for k in 0..<3 { probabilities[row * 3 + k] = Foundation.exp(logits[row * 3 + k] - z.max()!) / sum }
        }
        var gradient = [Float](repeating: 0, count: 6)
        let result = logits.withUnsafeBufferPointer { z in
            probabilities.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    loss.evaluate(logits: z.baseAddress!, probabilities: p.baseAddress!, labels: [0, CrossEntropyLoss.outlier][...],
                                  batch: 2, gradient: g.baseAddress!, normalizer: 2)
                }
            }
        }
        XCTAssertEqual(result.labelled, 1)
        XCTAssertEqual(result.correct, 1)
        let uniformRowLoss = -Foundation.log(1.0 / 3)  // the second row is already uniform
        XCTAssertEqual(result.lossSum, -Foundation.log(Double(probabilities[0])) + 0.5 * uniformRowLoss, accuracy: 1e-5)
        XCTAssertEqual(gradient[0], (probabilities[0] - 1) / 2, accuracy: 1e-6)
        for k in 3..<6 { XCTAssertEqual(gradient[k], 0, accuracy: 1e-6, "a uniform output already matches the outlier target") }
    }

    /// The gang runs every piece exactly once, however many more pieces than threads, many
    /// times over (pieces are taken as they come, so a slow thread takes fewer).
    func testGangRunsEveryPieceOnceUnderRepetition() {
        let gang = WorkerGang(threads: 3)
        var counts = [Int](repeating: 0, count: 11)
        counts.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for round in 0..<300 {
                gang.run(round % 2 == 0 ? 11 : 5) { piece in base[piece] += 1 }
            }
        }
        XCTAssertEqual(counts, (0..<11).map { $0 < 5 ? 300 : 150 })
        XCTAssertEqual(batchPieces(128, threads: 2), 8, "16 samples a piece")
        XCTAssertEqual(batchPieces(5, threads: 2), 2, "at least one piece per thread")
        XCTAssertEqual(batchPieces(1, threads: 4), 1, "never an empty piece")
    }
}
