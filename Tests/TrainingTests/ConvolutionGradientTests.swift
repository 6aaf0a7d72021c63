import Datasets
import Foundation
import Keras
import Kernels
import XCTest
@testable import Training

/// Conv2D's input gradient, both ways it is computed (a transposed convolution for stride 1,
/// GEMM + col2im otherwise), against the definition summed term by term.
final class ConvolutionGradientTests: XCTestCase {
    func testInputGradientMatchesTheDefinition() throws {
        let cases: [(kernel: [Int], strides: [Int], dilation: [Int], padding: String)] = [
            ([3, 3], [1, 1], [1, 1], "valid"), ([3, 3], [1, 1], [1, 1], "same"), ([2, 3], [1, 1], [2, 1], "same"),
            ([4, 2], [1, 1], [1, 2], "valid"), ([3, 3], [2, 2], [1, 1], "same"), ([2, 2], [2, 1], [1, 1], "valid"),
        ]
        let (height, width, channels, filters, batch) = (7, 8, 3, 4, 3)
        for cpu in Kernels.runnable {
            for item in cases {
                let layer = try convolution([height, width, channels], filters: filters, item, cpu: cpu)
                let w = layer.window
                let input = randomValues(batch * height * width * channels, seed: 1)
                var gradient = randomValues(batch * w.outputPixels * filters, seed: 2)
                var inputGradient = [Float](repeating: .nan, count: input.count)
                var output = [Float](repeating: 0, count: gradient.count)
                let mode = PassMode(training: true, seed: 0, step: 0)
                layer.prepare(batch: batch, pieces: 1, mode: mode)
                let slice = splitBatch(batch, pieces: 1, piece: 0)
                input.withUnsafeBufferPointer { x in
                    output.withUnsafeMutableBufferPointer { y in
                        layer.forward(x.baseAddress!, y.baseAddress!, slice: slice, mode: mode)
                        gradient.withUnsafeMutableBufferPointer { dy in
                            inputGradient.withUnsafeMutableBufferPointer { dx in
                                layer.backward(x.baseAddress!, UnsafePointer(y.baseAddress!), outputGradient: dy.baseAddress!,
                                               inputGradient: dx.baseAddress!, slice: slice, mode: mode)
                            }
                        }
                    }
                }
                let kernel = layer.kernel.values
                var expected = [Float](repeating: 0, count: input.count)
                for b in 0..<batch {
                    for oy in 0..<w.outputHeight {
                        for ox in 0..<w.outputWidth {
                            for ky in 0..<w.kernelHeight {
                                for kx in 0..<w.kernelWidth {
                                    let y = oy * w.strideHeight - w.padTop + ky * w.dilationHeight
                                    let x = ox * w.strideWidth - w.padLeft + kx * w.dilationWidth
                                    guard y >= 0, y < height, x >= 0, x < width else { continue }
                                    for c in 0..<channels {
                                        for f in 0..<filters {
                                            expected[((b * height + y) * width + x) * channels + c] +=
                                                gradient[((b * w.outputHeight + oy) * w.outputWidth + ox) * filters + f]
                                                * kernel[((ky * w.kernelWidth + kx) * channels + c) * filters + f]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                let worst = zip(inputGradient, expected).map { abs($0 - $1) }.max() ?? .nan
                XCTAssertLessThan(worst, 1e-4, "\(cpu) \(item): dX differs from the definition by \(worst)")
            }
        }
    }

    /// dW against its definition, Σ over images and output pixels of input · dZ, for stride-1
    /// convolutions (read in place from the padded image) and a strided and a width-dilated one
    /// (unfolded patches), over a batch of 60 images.
    func testKernelGradientMatchesTheDefinition() throws {
        let cases: [(kernel: [Int], strides: [Int], dilation: [Int], padding: String)] = [
            ([3, 3], [1, 1], [1, 1], "valid"), ([3, 3], [1, 1], [1, 1], "same"), ([2, 3], [1, 1], [2, 1], "same"),
            ([3, 2], [2, 1], [1, 1], "same"), ([2, 2], [1, 1], [1, 2], "valid"),
        ]
        let (height, width, channels, filters, batch) = (12, 11, 5, 7, 60)
        for cpu in Kernels.runnable {
            for item in cases {
                let layer = try convolution([height, width, channels], filters: filters, item, cpu: cpu)
                let w = layer.window
                let input = randomValues(batch * height * width * channels, seed: 11)
                var gradient = randomValues(batch * w.outputPixels * filters, seed: 12)
                let outputGradient = gradient
                var output = [Float](repeating: 0, count: gradient.count)
                let mode = PassMode(training: true, seed: 0, step: 0)
                layer.prepare(batch: batch, pieces: 1, mode: mode)
                let slice = splitBatch(batch, pieces: 1, piece: 0)
                layer.forward(input, &output, slice: slice, mode: mode)
                layer.backward(input, output, outputGradient: &gradient, inputGradient: nil, slice: slice, mode: mode)
                layer.finishBackward(pieces: 1)
                var expected = [Double](repeating: 0, count: layer.kernel.count)
                for b in 0..<batch {
                    for oy in 0..<w.outputHeight {
                        for ox in 0..<w.outputWidth {
                            let dz = ((b * w.outputHeight + oy) * w.outputWidth + ox) * filters
                            for ky in 0..<w.kernelHeight {
                                for kx in 0..<w.kernelWidth {
                                    let y = oy * w.strideHeight - w.padTop + ky * w.dilationHeight
                                    let x = ox * w.strideWidth - w.padLeft + kx * w.dilationWidth
                                    guard y >= 0, y < height, x >= 0, x < width else { continue }
                                    for c in 0..<channels {
                                        let value = Double(input[((b * height + y) * width + x) * channels + c])
                                        let row = ((ky * w.kernelWidth + kx) * channels + c) * filters
                                        for f in 0..<filters { expected[row + f] += value * Double(outputGradient[dz + f]) }
                                    }
                                }
                            }
                        }
                    }
                }
                let worst = zip(layer.kernel.gradient.array, expected).map { abs(Double($0) - $1) }.max() ?? .nan
                XCTAssertLessThan(worst, 1e-3, "\(cpu) \(item): dW differs from the definition by \(worst)")
            }
        }
    }
}

extension ConvolutionGradientTests {
    /// A linear Conv2D layer of seeded weights, alone in a network, on the kernels of `cpu`.
    func convolution(_ inputShape: [Int], filters: Int,
                     _ item: (kernel: [Int], strides: [Int], dilation: [Int], padding: String),
                     cpu: CPUClass) throws -> Conv2DLayer {
        let configuration = sequential(inputShape, [
            ("Conv2D", ["filters": filters, "kernel_size": item.kernel, "strides": item.strides,
                        "dilation_rate": item.dilation, "padding": item.padding, "activation": "linear"]),
        ])
        let network = try Network(configuration: configuration, weights: nil, seed: 7, kernels: Kernels.set(for: cpu)!)
        return try XCTUnwrap(network.layers.first as? Conv2DLayer)
    }
}
