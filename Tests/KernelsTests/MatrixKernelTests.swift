import Kernels
import XCTest

/// GEMM in both forms on every kernel set this machine runs, against the scalar reference:
/// ragged sizes (partial tiles and panels), every epilogue, bias or none, accumulate.
final class MatrixKernelTests: XCTestCase {
    func testSelfTestPassesOnEveryRunnableSet() {
        forEachRunnableSet { kernels in XCTAssert(kernels.selfTest(), "\(kernels.cpu)") }
    }

    func testPackedGEMMMatchesTheReference() {
        var values = SeededValues(seed: 1)
        // N of 1-16 take the one-vector panels (on AVX-512; up to 8 on AVX2, 4 portable).
        // N of 24, 40 and 48 leave a last panel of one vector or less (narrow on AVX-512 / AVX2).
        let shapes = [(1, 1, 1), (2, 10, 3), (5, 16, 9), (6, 31, 17), (7, 32, 4), (13, 33, 40), (64, 50, 288), (3, 65, 8),
                      (1, 8, 37), (9, 4, 5), (14, 12, 40), (7, 24, 9), (1, 24, 30), (11, 48, 216), (1, 48, 20),
                      (8, 40, 13)]
        forEachRunnableSet { kernels in
            for (m, n, k) in shapes {
                for epilogue in [Epilogue.none, .relu, .relu6] {
                    for accumulate in [false, true] {
                        let ldc = n + 3  // the columns past n must stay untouched
                        let a = values.floats(m * k).map { $0 * 4 }
                        let b = values.floats(k * n)
                        let bias = values.floats(n)
                        let c = values.floats(m * ldc)
                        let packed = b.withUnsafeBufferPointer { b in
                            bias.withUnsafeBufferPointer { bias in
                                kernels.pack(b.baseAddress!, rows: k, columns: n, ldb: n, transposed: false,
                                             bias: bias.baseAddress)
                            }
                        }
                        var result = c
                        a.withUnsafeBufferPointer { a in
                            result.withUnsafeMutableBufferPointer { result in
                                kernels.gemm(rows: m, a: a.baseAddress!, lda: k, b: packed, c: result.baseAddress!,
                                             ldc: ldc, epilogue: epilogue, accumulate: accumulate)
                            }
                        }
                        var (expected, magnitude) = Reference.gemmWithMagnitude(
                            m: m, n: n, k: k, a: a, lda: k, transposeA: false, b: b, ldb: n, transposeB: false, c: c,
                            ldc: ldc, accumulate: accumulate)
                        for row in 0..<m {
                            for column in 0..<ldc {
                                let index = row * ldc + column
                                expected[index] = column < n
                                    ? Reference.apply(epilogue, expected[index] + bias[column]) : c[index]
                            }
                        }
                        assertClose(result, expected, magnitude: magnitude, tolerance: 1e-6,
                                    "\(kernels.cpu) \(m)x\(n)x\(k) \(epilogue) accumulate \(accumulate)")
                    }
                }
            }
        }
    }

    /// A per-column scale and shift after the epilogue (a BatchNormalization after a ReLU):
    /// y = relu(A B + bias) * scale + shift, for one row and for blocks, wide and narrow panels.
    func testOutputAffineFollowsTheEpilogue() {
        var values = SeededValues(seed: 4)
        forEachRunnableSet { kernels in
            for (m, n, k) in [(1, 24, 9), (7, 24, 9), (13, 48, 30), (1, 48, 30), (6, 5, 4), (9, 70, 11)] {
                for epilogue in [Epilogue.none, .relu, .relu6] {
                    let a = values.floats(m * k).map { $0 * 4 }
                    let b = values.floats(k * n)
                    let bias = values.floats(n)
                    let scale = values.floats(n).map { $0 * 3 }
                    let shift = values.floats(n)
                    let packed = b.withUnsafeBufferPointer { b in
                        bias.withUnsafeBufferPointer { bias in
                            kernels.pack(b.baseAddress!, rows: k, columns: n, ldb: n, transposed: false, bias: bias.baseAddress)
                        }
                    }
                    packed.setOutputAffine(scale: scale, shift: shift)
                    let ldc = n + 1
                    let c = values.floats(m * ldc)
                    var result = c
                    a.withUnsafeBufferPointer { a in
                        result.withUnsafeMutableBufferPointer {
                            kernels.gemm(rows: m, a: a.baseAddress!, lda: k, b: packed, c: $0.baseAddress!, ldc: ldc,
                                         epilogue: epilogue, accumulate: false)
                        }
                    }
                    var (expected, magnitude) = Reference.gemmWithMagnitude(
                        m: m, n: n, k: k, a: a, lda: k, transposeA: false, b: b, ldb: n, transposeB: false, c: c,
                        ldc: ldc, accumulate: false)
                    for row in 0..<m {
                        for column in 0..<ldc {
                            let index = row * ldc + column
                            if column < n {
                                expected[index] = Reference.apply(epilogue, expected[index] + bias[column]) * scale[column]
                                    + shift[column]
                                magnitude[index] = magnitude[index] * abs(scale[column]) + abs(shift[column])
                            } else {
                                expected[index] = c[index]
                            }
                        }
                    }
                    assertClose(result, expected, magnitude: magnitude, tolerance: 1e-6,
                                "\(kernels.cpu) \(m)x\(n)x\(k) \(epilogue) with an output affine map")
                }
            }
        }
    }

    func testPackingReadsTransposedWeights() {
        var values = SeededValues(seed: 2)
        forEachRunnableSet { kernels in
            for (m, n, k) in [(9, 21, 14), (5, 48, 7), (3, 24, 10)] {
            let a = values.floats(m * k)
            let b = values.floats(k * n)          // k x n
            var bTransposed = [Float](repeating: 0, count: n * k)
            for p in 0..<k { for j in 0..<n { bTransposed[j * k + p] = b[p * n + j] } }
            func run(_ weights: [Float], transposed: Bool) -> [Float] {
                let packed = weights.withUnsafeBufferPointer {
                    kernels.pack($0.baseAddress!, rows: k, columns: n, ldb: transposed ? k : n, transposed: transposed, bias: nil)
                }
                var c = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { a in
                    c.withUnsafeMutableBufferPointer {
                        kernels.gemm(rows: m, a: a.baseAddress!, lda: k, b: packed, c: $0.baseAddress!, ldc: n,
                                     epilogue: .none, accumulate: false)
                    }
                }
                return c
            }
            XCTAssertEqual(run(b, transposed: false), run(bTransposed, transposed: true), "\(kernels.cpu) n \(n)")
            }
            XCTAssertEqual(kernels.pack([1, 2], rows: 1, columns: 2, ldb: 2, transposed: false, bias: nil).cpu, kernels.cpu)
        }
    }

    /// C [+]= op(A)·B + bias with A read transposed in place, against two references: the
    /// Double product (tolerance), and each element summed exactly as the kernels document it,
    /// bias + C, then the products in K order one multiply-add each (fused except on the x86-64
    /// baseline): bit for bit. The shapes put m and n on both sides of every class's tile and
    /// panel edges (six rows; panels of one or two vectors of 4, 8 or 16) and lda below m as
    /// the convolutions' in-place gradient reads A (rows that overlap).
    func testTransposedAGEMMMatchesTheReferenceBitForBit() {
        var values = SeededValues(seed: 11)
        let shapes = [(1, 1, 1, 1), (3, 16, 838, 1), (5, 7, 9, 5), (7, 33, 20, 9), (8, 6, 3, 8), (9, 5, 4, 9),
                      (15, 12, 13, 15), (16, 16, 10, 16), (17, 32, 11, 17), (31, 1, 6, 33), (32, 64, 61, 32),
                      (33, 17, 5, 40), (47, 40, 7, 47), (48, 32, 222, 16), (49, 24, 8, 49), (64, 6, 9, 64),
                      (65, 70, 12, 66), (96, 64, 61, 32), (100, 11, 14, 100), (130, 48, 3, 131)]
        #if arch(arm64)
        let fusedEverywhere = true
        #else
        let fusedEverywhere = false
        #endif
        forEachRunnableSet { kernels in
            let fused = fusedEverywhere || kernels.cpu != .portable
            for (m, n, k, lda) in shapes {
                for accumulate in [false, true] {
                    let ldc = n + 3  // the columns past n must stay untouched
                    let a = values.floats((k - 1) * lda + m)
                    let b = values.floats(k * n)
                    let bias = values.floats(n)
                    let c = values.floats(m * ldc)
                    let packed = b.withUnsafeBufferPointer { b in
                        bias.withUnsafeBufferPointer { bias in
                            kernels.pack(b.baseAddress!, rows: k, columns: n, ldb: n, transposed: false, bias: bias.baseAddress)
                        }
                    }
                    var result = c
                    a.withUnsafeBufferPointer { a in
                        result.withUnsafeMutableBufferPointer { result in
                            kernels.gemm(transposedA: a.baseAddress!, m: m, lda: lda, b: packed, c: result.baseAddress!, ldc: ldc,
                                         accumulate: accumulate)
                        }
                    }
                    var exact = c
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = accumulate ? bias[j] + c[i * ldc + j] : bias[j]
                            for p in 0..<k {
                                sum = fused ? sum.addingProduct(a[p * lda + i], b[p * n + j]) : sum + a[p * lda + i] * b[p * n + j]
                            }
                            exact[i * ldc + j] = sum
                        }
                    }
                    let label = "\(kernels.cpu) \(m)x\(n)x\(k) lda \(lda) +=\(accumulate)"
                    XCTAssertEqual(result, exact, label)
                    var (expected, magnitude) = Reference.gemmWithMagnitude(
                        m: m, n: n, k: k, a: a, lda: lda, transposeA: true, b: b, ldb: n, transposeB: false, c: c, ldc: ldc,
                        accumulate: accumulate)
                    for i in 0..<m {
                        for j in 0..<n { expected[i * ldc + j] += bias[j] }
                        for j in n..<ldc { expected[i * ldc + j] = c[i * ldc + j] }
                    }
                    assertClose(result, expected, magnitude: magnitude, tolerance: 1e-6, label)
                }
            }
        }
    }

    func testGeneralGEMMWithEveryTransposeAndAccumulate() {
        var values = SeededValues(seed: 3)
        forEachRunnableSet { kernels in
            // Tall operands (k of hundreds: dW = Xᵀ dY) across several panels, and narrow ones.
            for (m, n, k) in [(1, 1, 1), (7, 5, 3), (6, 33, 19), (40, 17, 70), (3, 2, 0), (13, 70, 300), (20, 8, 257)] {
                for transposeA in [false, true] {
                    for transposeB in [false, true] {
                        for accumulate in [false, true] {
                            let lda = (transposeA ? m : k) + 2, ldb = (transposeB ? k : n) + 1, ldc = n + 2
                            let a = values.floats((transposeA ? k : m) * lda)
                            let b = values.floats((transposeB ? n : k) * ldb)
                            let c = values.floats(m * ldc)
                            var result = c
                            a.withUnsafeBufferPointer { a in
                                b.withUnsafeBufferPointer { b in
                                    result.withUnsafeMutableBufferPointer { result in
                                        kernels.gemm(m: m, n: n, k: k, a: a.baseAddress!, lda: lda, transposeA: transposeA,
                                                     b: b.baseAddress!, ldb: ldb, transposeB: transposeB,
                                                     c: result.baseAddress!, ldc: ldc, accumulate: accumulate)
                                    }
                                }
                            }
                            var (expected, magnitude) = Reference.gemmWithMagnitude(
                                m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                                transposeB: transposeB, c: c, ldc: ldc, accumulate: accumulate)
                            for row in 0..<m { for column in n..<ldc { expected[row * ldc + column] = c[row * ldc + column] } }
                            assertClose(result, expected, magnitude: magnitude, tolerance: 1e-6,
                                        "\(kernels.cpu) \(m)x\(n)x\(k) A\(transposeA ? "T" : "") B\(transposeB ? "T" : "") +=\(accumulate)")
                        }
                    }
                }
            }
        }
    }
}
