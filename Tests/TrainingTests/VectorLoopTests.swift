import Foundation
import KernelInterface
import Kernels
import XCTest
@testable import Training

/// The vectorised element-wise loops of the backward pass against plain definitions: exact where
/// they only select values (ReLU mask, max-pool routing), within float rounding where they sum.
final class VectorLoopTests: XCTestCase {
    /// Small integers, so windows often tie: the first maximum in row-major order must win, as
    /// in every kernel class's poolGradient. Odd sizes leave a row and a column no window covers;
    /// 11 channels take the vector path and the scalar tail.
    func testMaxPoolGradientRoutesAsTheKernels() throws {
        for (height, width, channels) in [(5, 7, 11), (4, 4, 8), (3, 3, 3), (6, 5, 16)] {
            let batch = 2
            let window = try XCTUnwrap(Window2D(inputHeight: height, inputWidth: width, kernelHeight: 2, kernelWidth: 2,
                                                strideHeight: 2, strideWidth: 2, samePadding: false))
            let input = randomValues(batch * height * width * channels, seed: UInt64(height * width)).map { ($0 * 2).rounded() }
            let outputGradient = randomValues(batch * window.outputPixels * channels, seed: 3)
            // As ReLU outputs (zeros among them) when the pool applies the ReLU's mask.
            for positiveOnly in [false, true] {
                let x = positiveOnly ? input.map { max($0, 0) } : input
                var pooled = [Float](repeating: .nan, count: outputGradient.count)
                var winners = [Int32](repeating: 9, count: outputGradient.count)
                maxPool2x2Forward(input: x, batch: batch, height: height, width: width, outputHeight: window.outputHeight,
                                  outputWidth: window.outputWidth, channels: channels, positiveOnly: positiveOnly,
                                  output: &pooled, winners: &winners)
                XCTAssertTrue(winners.allSatisfy { $0 <= (positiveOnly ? 4 : 3) })
                var fast = [Float](repeating: .nan, count: x.count)
                maxPool2x2Gradient(winners: winners, outputGradient: outputGradient, batch: batch, height: height, width: width,
                                   outputHeight: window.outputHeight, outputWidth: window.outputWidth, channels: channels,
                                   inputGradient: &fast)
                for cpu in Kernels.runnable {
                    let kernels = Kernels.set(for: cpu)!
                    var reference = [Float](repeating: 0, count: x.count)
                    kernels.poolGradient(.max, input: x, outputGradient: outputGradient, batch: batch, window: window,
                                         channels: channels, inputGradient: &reference)
                    if positiveOnly { reference = zip(reference, x).map { $1 > 0 ? $0 : 0 } }  // the ReLU's mask
                    XCTAssertEqual(fast, reference, "\(cpu) \(height)x\(width)x\(channels) positiveOnly \(positiveOnly)")
                    var expected = [Float](repeating: .nan, count: pooled.count)
                    kernels.pool(.max, x, batch: batch, window: window, channels: channels, output: &expected)
                    XCTAssertEqual(pooled, expected, "\(cpu) forward")
                }
            }
        }
    }

    /// BatchNormalization's input gradient with a ReLU's mask folded in is the plain one masked.
    func testBatchNormalizationInputGradientAppliesTheReLUMask() {
        let (rows, channels) = (9, 11)
        let x = randomValues(rows * channels, seed: 2).map { max($0, 0) }
        let dy = randomValues(rows * channels, seed: 3)
        let parameters = (0..<(5 * channels)).map { Float($0 % 7 + 1) / 8 }
        func gradient(masked: Bool) -> [Float] {
            var dx = [Float](repeating: .nan, count: x.count)
            parameters.withUnsafeBufferPointer { p in
                let base = p.baseAddress!
                batchNormalizationInputGradient(dy, x, rows: rows, channels: channels, mean: base, inverse: base + channels,
                                                scale: base + 2 * channels, meanGradient: base + 3 * channels,
                                                meanProduct: base + 4 * channels, positiveInputOnly: masked, into: &dx)
            }
            return dx
        }
        let plain = gradient(masked: false)
        XCTAssertTrue(x.contains(0) && plain.allSatisfy { $0 != 0 })
        XCTAssertEqual(gradient(masked: true), zip(plain, x).map { $1 > 0 ? $0 : 0 })
    }

    func testReLUMaskAndColumnSums() {
        let count = 8 * 37 + 5
        let output = randomValues(count, seed: 4) + [.nan, 0, -0.0]
        let gradient = randomValues(output.count, seed: 5)
        var masked = gradient
        maskByPositive(&masked, output: output, count: output.count)
        XCTAssertEqual(masked, zip(gradient, output).map { $1 > 0 ? $0 : 0 })

        for columns in [1, 7, 8, 45, 64, 75] {
            let rows = 53
            let matrix = randomValues(rows * columns, seed: UInt64(columns))
            var sums = [Float](repeating: 1, count: columns)
            addColumnSums(matrix, rows: rows, columns: columns, into: &sums)
            for column in 0..<columns {
                let expected = 1 + (0..<rows).reduce(0.0) { $0 + Double(matrix[$1 * columns + column]) }
                XCTAssertEqual(Double(sums[column]), expected, accuracy: 1e-5, "\(columns) columns, column \(column)")
            }
        }
    }

    /// Moments and sums over more rows than one float block (150 = 64 + 64 + 22), against Double
    /// sums of the same values.
    func testBatchNormalizationSums() {
        for channels in [5, 16, 19] {
            let rows = 150
            let x = randomValues(rows * channels, seed: UInt64(channels), low: -3, high: 5)
            let dy = randomValues(rows * channels, seed: 9)
            let mean = (0..<channels).map { c in Float((0..<rows).reduce(0.0) { $0 + Double(x[$1 * channels + c]) } / Double(rows)) }
            let inverse = (0..<channels).map { Float($0 % 3 + 1) / 2 }
            var means = [Double](repeating: .nan, count: channels), squares = means, gradientSums = means, productSums = means
            channelMoments(x, rows: rows, channels: channels, mean: &means, squares: &squares)
            sumGradientChannels(dy, x, rows: rows, channels: channels, mean: mean, inverse: inverse,
                                gradientSums: &gradientSums, productSums: &productSums)
            for c in 0..<channels {
                let column = (0..<rows).map { $0 * channels + c }
                let exactMean = column.reduce(0.0) { $0 + Double(x[$1]) } / Double(rows)
                XCTAssertEqual(means[c], exactMean, accuracy: 1e-6)
                XCTAssertEqual(squares[c], column.reduce(0.0) { $0 + pow(Double(x[$1]) - exactMean, 2) }, accuracy: 1e-3)
                XCTAssertEqual(gradientSums[c], column.reduce(0.0) { $0 + Double(dy[$1]) }, accuracy: 1e-4)
                XCTAssertEqual(productSums[c], column.reduce(0.0) { total, i in
                    total + Double(dy[i]) * (Double(x[i]) - Double(mean[c])) * Double(inverse[c])
                }, accuracy: 1e-3)
            }
        }
    }
}
