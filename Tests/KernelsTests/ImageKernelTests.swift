import Kernels
import XCTest

/// Convolution, im2col/col2im, depthwise convolution and pooling on every kernel set this
/// machine runs, against scalar references.
final class ImageKernelTests: XCTestCase {
    /// Windows covering 'valid' and 'same', strides, dilation, pointwise and a non-square kernel.
    static let windows: [(Window2D, Int, Int)] = [
        (Window2D(inputHeight: 28, inputWidth: 28, kernelHeight: 3, kernelWidth: 3, samePadding: false)!, 1, 32),
        (Window2D(inputHeight: 13, inputWidth: 13, kernelHeight: 3, kernelWidth: 3, samePadding: false)!, 32, 64),
        (Window2D(inputHeight: 9, inputWidth: 7, kernelHeight: 3, kernelWidth: 3, samePadding: true)!, 3, 5),
        (Window2D(inputHeight: 10, inputWidth: 11, kernelHeight: 5, kernelWidth: 5, strideHeight: 2, strideWidth: 2,
                  samePadding: true)!, 4, 40),
        (Window2D(inputHeight: 9, inputWidth: 9, kernelHeight: 3, kernelWidth: 3, dilationHeight: 2, dilationWidth: 2,
                  samePadding: true)!, 2, 7),
        (Window2D(inputHeight: 6, inputWidth: 5, kernelHeight: 1, kernelWidth: 1, samePadding: false)!, 8, 33),
        (Window2D(inputHeight: 8, inputWidth: 6, kernelHeight: 2, kernelWidth: 3, strideHeight: 2, strideWidth: 1,
                  samePadding: true)!, 3, 16),
        // The default model's shapes: 1 -> 24 and 24 -> 48 channels, 'same' (a last panel of one vector or less).
        (Window2D(inputHeight: 10, inputWidth: 9, kernelHeight: 3, kernelWidth: 3, samePadding: true)!, 1, 24),
        (Window2D(inputHeight: 7, inputWidth: 7, kernelHeight: 3, kernelWidth: 3, samePadding: true)!, 24, 48),
    ]

    func testConvolutionMatchesTheReference() {
        var values = SeededValues(seed: 10)
        forEachRunnableSet { kernels in
            for (window, inputChannels, outputChannels) in Self.windows {
                let plan = ConvolutionPlan(window: window, inputChannels: inputChannels, outputChannels: outputChannels)
                let batch = 2
                let input = values.floats(batch * window.inputPixels * inputChannels)
                let weights = values.floats(plan.patchLength * outputChannels)
                let bias = values.floats(outputChannels)
                // With an output affine map (a BatchNormalization after the ReLU) or without.
                let scale = values.floats(outputChannels).map { $0 * 2 }
                let shift = values.floats(outputChannels)
                for (epilogue, affine) in [(Epilogue.none, false), (.relu, false), (.relu, true)] {
                    let packed = weights.withUnsafeBufferPointer { w in
                        bias.withUnsafeBufferPointer { b in
                            kernels.pack(w.baseAddress!, rows: plan.patchLength, columns: outputChannels, ldb: outputChannels,
                                         transposed: false, bias: b.baseAddress)
                        }
                    }
                    if affine { packed.setOutputAffine(scale: scale, shift: shift) }
                    var output = [Float](repeating: .nan, count: batch * window.outputPixels * outputChannels)
                    var scratch = [Float](repeating: 0, count: max(kernels.convolutionScratchCount(plan), 1))
                    input.withUnsafeBufferPointer { input in
                        output.withUnsafeMutableBufferPointer { output in
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                kernels.convolve(input.baseAddress!, batch: batch, plan: plan, weights: packed,
                                                 output: output.baseAddress!, epilogue: epilogue, scratch: scratch.baseAddress!)
                            }
                        }
                    }
                    var expected = Reference.convolve(input, batch: batch, window: window, inputChannels: inputChannels,
                                                      outputChannels: outputChannels, weights: weights, bias: bias,
                                                      epilogue: epilogue)
                    if affine {
                        for index in expected.indices {
                            expected[index] = expected[index] * scale[index % outputChannels] + shift[index % outputChannels]
                        }
                    }
                    assertClose(output, expected,
                                "\(kernels.cpu) \(window) \(inputChannels)->\(outputChannels) \(epilogue) affine \(affine)")
                }
            }
        }
    }

    /// im2col then GEMM is the convolution; col2im is im2col's adjoint: <im2col(x), y> = <x, col2im(y)>.
    func testIm2colAndCol2imServeAsConvolutionAndItsGradient() {
        var values = SeededValues(seed: 11)
        forEachRunnableSet { kernels in
            for (window, inputChannels, outputChannels) in Self.windows {
                let plan = ConvolutionPlan(window: window, inputChannels: inputChannels, outputChannels: outputChannels)
                let batch = 2
                let rows = batch * window.outputPixels
                let x = values.floats(batch * window.inputPixels * inputChannels)
                var columns = [Float](repeating: .nan, count: rows * plan.patchLength)
                x.withUnsafeBufferPointer { x in
                    columns.withUnsafeMutableBufferPointer {
                        kernels.im2col(x.baseAddress!, batch: batch, plan: plan, columns: $0.baseAddress!)
                    }
                }
                let weights = values.floats(plan.patchLength * outputChannels)
                let viaGEMM = Reference.gemm(m: rows, n: outputChannels, k: plan.patchLength, a: columns, lda: plan.patchLength,
                                             transposeA: false, b: weights, ldb: outputChannels, transposeB: false,
                                             c: [Float](repeating: 0, count: rows * outputChannels), ldc: outputChannels,
                                             accumulate: false)
                let direct = Reference.convolve(x, batch: batch, window: window, inputChannels: inputChannels,
                                                outputChannels: outputChannels, weights: weights,
                                                bias: [Float](repeating: 0, count: outputChannels), epilogue: .none)
                assertClose(viaGEMM, direct, "\(kernels.cpu) im2col \(window)")

                let y = values.floats(columns.count)
                var folded = values.floats(x.count)
                let before = folded
                y.withUnsafeBufferPointer { y in
                    folded.withUnsafeMutableBufferPointer {
                        kernels.col2imAccumulate(y.baseAddress!, batch: batch, plan: plan, image: $0.baseAddress!)
                    }
                }
                let left = zip(columns, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let right = zip(x, zip(folded, before)).reduce(0.0) { $0 + Double($1.0) * Double($1.1.0 - $1.1.1) }
                XCTAssertEqual(left, right, accuracy: 1e-3 * max(1, abs(left)), "\(kernels.cpu) col2im adjoint \(window)")
            }
        }
    }

    func testDepthwiseConvolutionMatchesTheReference() {
        var values = SeededValues(seed: 12)
        forEachRunnableSet { kernels in
            for (window, channels, _) in Self.windows {
                for multiplier in [1, 2] {
                    let batch = 2
                    let outChannels = channels * multiplier
                    let input = values.floats(batch * window.inputPixels * channels)
                    let weights = values.floats(window.kernelHeight * window.kernelWidth * outChannels)
                    let bias = values.floats(outChannels)
                    var output = [Float](repeating: .nan, count: batch * window.outputPixels * outChannels)
                    input.withUnsafeBufferPointer { input in
                        output.withUnsafeMutableBufferPointer { output in
                            kernels.depthwiseConvolve(input.baseAddress!, batch: batch, window: window, channels: channels,
                                                      multiplier: multiplier, weights: weights, bias: bias,
                                                      output: output.baseAddress!)
                        }
                    }
                    // A depthwise convolution is a full one whose weights are zero across channels.
                    var full = [Float](repeating: 0, count: window.kernelHeight * window.kernelWidth * channels * outChannels)
                    for tap in 0..<(window.kernelHeight * window.kernelWidth) {
                        for c in 0..<channels {
                            for m in 0..<multiplier {
                                full[(tap * channels + c) * outChannels + c * multiplier + m] =
                                    weights[tap * outChannels + c * multiplier + m]
                            }
                        }
                    }
                    let expected = Reference.convolve(input, batch: batch, window: window, inputChannels: channels,
                                                      outputChannels: outChannels, weights: full, bias: bias, epilogue: .none)
                    assertClose(output, expected, "\(kernels.cpu) depthwise \(window) x\(multiplier)")
                }
            }
        }
    }

    static let poolWindows = [
        Window2D(inputHeight: 26, inputWidth: 26, kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
                 samePadding: false)!,
        Window2D(inputHeight: 7, inputWidth: 9, kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2,
                 samePadding: true)!,
        Window2D(inputHeight: 5, inputWidth: 5, kernelHeight: 2, kernelWidth: 2, samePadding: true)!,
    ]

    func testPoolingAndItsGradientMatchTheReference() {
        var values = SeededValues(seed: 13)
        forEachRunnableSet { kernels in
            for window in Self.poolWindows {
                for channels in [1, 5, 24, 32, 37, 44] {
                    let batch = 2
                    let input = values.floats(batch * window.inputPixels * channels)
                    let gradient = values.floats(batch * window.outputPixels * channels)
                    for kind in [PoolKind.max, .average] {
                        var output = [Float](repeating: .nan, count: gradient.count)
                        var inputGradient = [Float](repeating: 0, count: input.count)
                        input.withUnsafeBufferPointer { input in
                            output.withUnsafeMutableBufferPointer {
                                kernels.pool(kind, input.baseAddress!, batch: batch, window: window, channels: channels,
                                             output: $0.baseAddress!)
                            }
                            gradient.withUnsafeBufferPointer { gradient in
                                inputGradient.withUnsafeMutableBufferPointer {
                                    kernels.poolGradient(kind, input: input.baseAddress!, outputGradient: gradient.baseAddress!,
                                                         batch: batch, window: window, channels: channels,
                                                         inputGradient: $0.baseAddress!)
                                }
                            }
                        }
                        var expected = [Float](repeating: 0, count: output.count)
                        var expectedGradient = [Float](repeating: 0, count: input.count)
                        for image in 0..<batch {
                            for outY in 0..<window.outputHeight {
                                for outX in 0..<window.outputWidth {
                                    let pixels = Reference.windowPixels(window, image: image, outY: outY, outX: outX)
                                    for c in 0..<channels {
                                        let at = ((image * window.outputHeight + outY) * window.outputWidth + outX) * channels + c
                                        let taps = pixels.map { $0 * channels + c }
                                        if kind == .max {
                                            let best = taps.max { input[$0] < input[$1] }!
                                            let first = taps.first { input[$0] == input[best] }!
                                            expected[at] = input[best]
                                            expectedGradient[first] += gradient[at]
                                        } else {
                                            expected[at] = taps.reduce(0) { $0 + input[$1] } / Float(taps.count)
                                            for tap in taps { expectedGradient[tap] += gradient[at] / Float(taps.count) }
                                        }
                                    }
                                }
                            }
                        }
                        assertClose(output, expected, "\(kernels.cpu) \(kind) pool \(window) c\(channels)")
                        assertClose(inputGradient, expectedGradient, "\(kernels.cpu) \(kind) gradient \(window) c\(channels)")
                    }
                }
            }
        }
    }
}
