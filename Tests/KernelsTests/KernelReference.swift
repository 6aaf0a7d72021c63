import Kernels
import TestSupport
import XCTest

/// Plain scalar definitions of what the kernels compute, in Double, and the seeded data they run
/// on. Every kernel set this machine runs is checked against these.
enum Reference {
    /// C = op(A) op(B) (+ C), row-major, as the kernels' general GEMM documents it.
    static func gemm(m: Int, n: Int, k: Int, a: [Float], lda: Int, transposeA: Bool, b: [Float], ldb: Int,
                     transposeB: Bool, c: [Float], ldc: Int, accumulate: Bool) -> [Float] {
        gemmWithMagnitude(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                          transposeB: transposeB, c: c, ldc: ldc, accumulate: accumulate).result
    }

    /// The product and, per element, the sum of its terms' magnitudes: float32 rounding error is
    /// bounded in proportion to the latter, whatever the order of summation.
    static func gemmWithMagnitude(m: Int, n: Int, k: Int, a: [Float], lda: Int, transposeA: Bool, b: [Float],
                                  ldb: Int, transposeB: Bool, c: [Float], ldc: Int, accumulate: Bool)
        -> (result: [Float], magnitude: [Float]) {
        var result = c
        var magnitude = c.map { abs($0) }
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c[i * ldc + j]) : 0
                var size = abs(sum)
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                    size += abs(Double(x) * Double(y))
                }
                result[i * ldc + j] = Float(sum)
                magnitude[i * ldc + j] = Float(size)
            }
        }
        return (result, magnitude)
    }

    /// NHWC convolution with (kh, kw, in, out) weights, zero padding, bias, then the epilogue.
    static func convolve(_ input: [Float], batch: Int, window w: Window2D, inputChannels: Int, outputChannels: Int,
                         weights: [Float], bias: [Float], epilogue: Epilogue) -> [Float] {
        var output = [Float](repeating: 0, count: batch * w.outputPixels * outputChannels)
        for image in 0..<batch {
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    for o in 0..<outputChannels {
                        var sum = Double(bias[o])
                        for ky in 0..<w.kernelHeight {
                            let inY = outY * w.strideHeight - w.padTop + ky * w.dilationHeight
                            guard inY >= 0, inY < w.inputHeight else { continue }
                            for kx in 0..<w.kernelWidth {
                                let inX = outX * w.strideWidth - w.padLeft + kx * w.dilationWidth
                                guard inX >= 0, inX < w.inputWidth else { continue }
                                for c in 0..<inputChannels {
                                    let pixel = input[((image * w.inputHeight + inY) * w.inputWidth + inX) * inputChannels + c]
                                    let weight = weights[((ky * w.kernelWidth + kx) * inputChannels + c) * outputChannels + o]
                                    sum += Double(pixel) * Double(weight)
                                }
                            }
                        }
                        output[((image * w.outputHeight + outY) * w.outputWidth + outX) * outputChannels + o] =
                            apply(epilogue, Float(sum))
                    }
                }
            }
        }
        return output
    }

    static func apply(_ epilogue: Epilogue, _ x: Float) -> Float {
        switch epilogue {
        case .none: return x
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        }
    }

    /// For each output pixel, the input pixels (flat NHWC indexes, channel 0) its window covers.
    static func windowPixels(_ w: Window2D, image: Int, outY: Int, outX: Int) -> [Int] {
        var pixels: [Int] = []
        for ky in 0..<w.kernelHeight {
            let inY = outY * w.strideHeight - w.padTop + ky
            guard inY >= 0, inY < w.inputHeight else { continue }
            for kx in 0..<w.kernelWidth {
                let inX = outX * w.strideWidth - w.padLeft + kx
                guard inX >= 0, inX < w.inputWidth else { continue }
                pixels.append((image * w.inputHeight + inY) * w.inputWidth + inX)
            }
        }
        return pixels
    }
}

/// Seeded test data: the same values on every run and machine.
struct SeededValues {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in float() } }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Fails with the worst element when any differs by more than `tolerance` relative to
/// max(1, |expected|), or to `magnitude` (the sum of the terms' sizes) where given: sums of many
/// products round differently per CPU class.
func assertClose(_ actual: [Float], _ expected: [Float], magnitude: [Float]? = nil, tolerance: Float = 2e-5,
                 _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message): size", file: file, line: line)
    guard actual.count == expected.count else { return }
    var worst: Float = 0
    var worstIndex = 0
    for index in actual.indices {
        let scale = max(1, magnitude?[index] ?? abs(expected[index]))
        let difference = abs(actual[index] - expected[index]) / scale
        if !(difference <= worst) { worst = difference; worstIndex = index }
    }
    XCTAssert(worst <= tolerance,
              "\(message): element \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex])",
              file: file, line: line)
}

/// Every kernel set this machine runs (at least portable), each test run once per set.
func forEachRunnableSet(_ body: (any KernelSet.Type) throws -> Void) rethrows {
    let runnable = Kernels.runnable
    XCTAssert(runnable.contains(.portable), "the portable kernels always run")
    for cpu in runnable {
        guard let kernels = Kernels.set(for: cpu) else { XCTFail("\(cpu) runnable but not compiled"); continue }
        try body(kernels)
    }
}
