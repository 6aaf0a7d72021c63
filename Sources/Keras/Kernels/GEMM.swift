/// Matrix multiply for convolutions and Dense layers: C[m][n] = bias[n] + sum_k A[m][k] * B[k][n].
///
/// B (the weights) is packed once at load into column panels 16 wide, zero-padded, so the inner
/// loop reads it contiguously. A 6x16 register tile (12 vector accumulators, the AVX2 register file
/// minus loads and a broadcast) covers full row blocks; left-over rows use a one-row kernel with
/// the K loop unrolled so that eight independent accumulators hide the FMA latency.
final class PackedMatrix {
    static let panelWidth = 16
    let rows: Int      // K
    let columns: Int   // N
    let panelCount: Int
    /// panelCount panels of rows x 16 floats.
    let panels: AlignedBuffer
    /// panelCount x 16 biases (zero where absent or padded).
    let bias: AlignedBuffer

    /// `weights` is K x N row-major (Keras's kernel layout flattened); `bias` has N values or is empty.
    init(weights: [Float], rows: Int, columns: Int, bias: [Float]) {
        self.rows = rows
        self.columns = columns
        let width = PackedMatrix.panelWidth
        panelCount = (columns + width - 1) / width
        panels = AlignedBuffer(count: panelCount * rows * width)
        self.bias = AlignedBuffer(count: panelCount * width)
        for panel in 0..<panelCount {
            for k in 0..<rows {
                for lane in 0..<width {
                    let column = panel * width + lane
                    if column < columns {
                        panels.pointer[(panel * rows + k) * width + lane] = weights[k * columns + column]
                    }
                }
            }
        }
        for column in 0..<min(columns, bias.count) { self.bias.pointer[column] = bias[column] }
    }
}

/// C (m x n, row stride ldc) = A (m x k, row stride lda) * B + bias.
func gemm(rowCount m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
          c: UnsafeMutablePointer<Float>, ldc: Int) {
    let k = b.rows
    let width = PackedMatrix.panelWidth
    for panel in 0..<b.panelCount {
        let bPanel = UnsafePointer(b.panels.pointer + panel &* k &* width)
        let bias = UnsafePointer(b.bias.pointer + panel &* width)
        let firstColumn = panel &* width
        let columns = min(width, b.columns &- firstColumn)
        var row = 0
        while row &+ 6 <= m {
            kernel6x16(k: k, a: a + row &* lda, lda: lda, b: bPanel, bias: bias,
                       c: c + (row &* ldc &+ firstColumn), ldc: ldc, columns: columns)
            row &+= 6
        }
        while row < m {
            kernel1x16(k: k, a: a + row &* lda, b: bPanel, bias: bias, c: c + (row &* ldc &+ firstColumn),
                       columns: columns)
            row &+= 1
        }
    }
}

@inline(__always)
private func storeRow(_ low: Vec8, _ high: Vec8, _ c: UnsafeMutablePointer<Float>, columns: Int) {
    if columns == 16 {
        store8(low, c)
        store8(high, c + 8)
    } else {
        for lane in 0..<min(columns, 8) { c[lane] = low[lane] }
        if columns > 8 { for lane in 0..<(columns &- 8) { c[8 &+ lane] = high[lane] } }
    }
}

@inline(__always)
private func kernel6x16(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int) {
    let a0 = a, a1 = a + lda, a2 = a + 2 &* lda, a3 = a + 3 &* lda, a4 = a + 4 &* lda, a5 = a + 5 &* lda
    let biasLow = load8(bias), biasHigh = load8(bias + 8)
    var c0l = biasLow, c0h = biasHigh, c1l = biasLow, c1h = biasHigh, c2l = biasLow, c2h = biasHigh
    var c3l = biasLow, c3h = biasHigh, c4l = biasLow, c4h = biasHigh, c5l = biasLow, c5h = biasHigh
    var bp = b
    var index = 0
    while index < k {
        let bl = load8(bp), bh = load8(bp + 8)
        var s = Vec8(repeating: a0[index])
        multiplyAdd(&c0l, s, bl); multiplyAdd(&c0h, s, bh)
        s = Vec8(repeating: a1[index])
        multiplyAdd(&c1l, s, bl); multiplyAdd(&c1h, s, bh)
        s = Vec8(repeating: a2[index])
        multiplyAdd(&c2l, s, bl); multiplyAdd(&c2h, s, bh)
        s = Vec8(repeating: a3[index])
        multiplyAdd(&c3l, s, bl); multiplyAdd(&c3h, s, bh)
        s = Vec8(repeating: a4[index])
        multiplyAdd(&c4l, s, bl); multiplyAdd(&c4h, s, bh)
        s = Vec8(repeating: a5[index])
        multiplyAdd(&c5l, s, bl); multiplyAdd(&c5h, s, bh)
        bp += 16
        index &+= 1
    }
    storeRow(c0l, c0h, c, columns: columns)
    storeRow(c1l, c1h, c + ldc, columns: columns)
    storeRow(c2l, c2h, c + 2 &* ldc, columns: columns)
    storeRow(c3l, c3h, c + 3 &* ldc, columns: columns)
    storeRow(c4l, c4h, c + 4 &* ldc, columns: columns)
    storeRow(c5l, c5h, c + 5 &* ldc, columns: columns)
}

@inline(__always)
private func kernel1x16(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        c: UnsafeMutablePointer<Float>, columns: Int) {
    var l0 = load8(bias), h0 = load8(bias + 8)
    var l1 = Vec8(), h1 = Vec8(), l2 = Vec8(), h2 = Vec8(), l3 = Vec8(), h3 = Vec8()
    var index = 0
    var bp = b
    while index &+ 4 <= k {
        let s0 = Vec8(repeating: a[index]), s1 = Vec8(repeating: a[index &+ 1])
        let s2 = Vec8(repeating: a[index &+ 2]), s3 = Vec8(repeating: a[index &+ 3])
        multiplyAdd(&l0, s0, load8(bp)); multiplyAdd(&h0, s0, load8(bp + 8))
        multiplyAdd(&l1, s1, load8(bp + 16)); multiplyAdd(&h1, s1, load8(bp + 24))
        multiplyAdd(&l2, s2, load8(bp + 32)); multiplyAdd(&h2, s2, load8(bp + 40))
        multiplyAdd(&l3, s3, load8(bp + 48)); multiplyAdd(&h3, s3, load8(bp + 56))
        bp += 64
        index &+= 4
    }
    while index < k {
        let s = Vec8(repeating: a[index])
        multiplyAdd(&l0, s, load8(bp)); multiplyAdd(&h0, s, load8(bp + 8))
        bp += 16
        index &+= 1
    }
    storeRow((l0 + l1) + (l2 + l3), (h0 + h1) + (h2 + h3), c, columns: columns)
}
