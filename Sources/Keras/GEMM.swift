/// Matrix multiply for convolutions and Dense layers: C[m][n] = bias[n] + sum_k A[m][k] * B[k][n],
/// optionally clamped (ReLU) as it is stored.
///
/// B (the weights) is packed once at load into column panels 16 wide, zero-padded, so the inner
/// loop reads it contiguously. A 6x16 register tile (12 vector accumulators: the AVX2 register
/// file minus two loads and a broadcast) covers blocks of rows (`multiplyBlock`, which convolutions
/// call directly on the image); `gemm` multiplies activations in place for Dense layers, with a
/// one-row kernel for left-over rows whose unrolled K loop keeps eight accumulators in flight.
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

/// What happens to results as they are stored: the activations cheap enough to fuse.
enum GEMMEpilogue {
    case none, relu, relu6

    /// The epilogue that implements `activation`, if any; the caller applies the rest afterwards.
    static func fusing(_ activation: Activation) -> GEMMEpilogue? {
        switch activation {
        case .linear: return GEMMEpilogue.none
        case .relu: return .relu
        case .relu6: return .relu6
        default: return nil
        }
    }
}

/// C (m x n, row stride ldc) = A (m x k, row stride lda) * B + bias.
func gemm(rowCount m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
          c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue) {
    let k = b.rows
    let width = PackedMatrix.panelWidth
    for panel in 0..<b.panelCount {
        let bPanel = UnsafePointer(b.panels.pointer + panel &* k &* width)
        let bias = UnsafePointer(b.bias.pointer + panel &* width)
        let firstColumn = panel &* width
        let columns = min(width, b.columns &- firstColumn)
        var row = 0
        // Blocks of up to six rows share one pass over the weights; a lone row takes the one-row
        // kernel, which does no wasted multiplications.
        while m &- row >= 2 {
            let rows = min(6, m &- row)
            let a0 = a + row &* lda
            func start(_ index: Int) -> UnsafePointer<Float> { index < rows ? a0 + index &* lda : a0 }
            multiplyBlock(rows: rows, RowPointers(a0, start(1), start(2), start(3), start(4), start(5)),
                          segmentCount: 1, segmentLength: k, segmentStride: 0, b: bPanel, bias: bias, c: c + (row &* ldc &+ firstColumn), ldc: ldc,
                          columns: columns, epilogue: epilogue)
            row &+= rows
        }
        while row < m {
            multiplyRow(k: k, a: a + row &* lda, b: bPanel, bias: bias, c: c + (row &* ldc &+ firstColumn),
                        columns: columns, epilogue: epilogue)
            row &+= 1
        }
    }
}

extension GEMMEpilogue {
    /// The clamp that implements the epilogue: results become min(max(x, lower), upper).
    var bounds: (lower: Vec8, upper: Vec8) {
        switch self {
        case .none: return (Vec8(repeating: -.infinity), Vec8(repeating: .infinity))
        case .relu: return (Vec8(repeating: 0), Vec8(repeating: .infinity))
        case .relu6: return (Vec8(repeating: 0), Vec8(repeating: 6))
        }
    }
}

/// Stores 16 results (clamped), or the first `columns` of them (the last panel of an N that is
/// not a multiple of 16).
@inline(__always)
private func storeRow(_ low: Vec8, _ high: Vec8, _ c: UnsafeMutablePointer<Float>, columns: Int,
                      bounds: (lower: Vec8, upper: Vec8)) {
    let low = lanewiseMin(lanewiseMax(low, bounds.lower), bounds.upper)
    let high = lanewiseMin(lanewiseMax(high, bounds.lower), bounds.upper)
    if columns == 16 {
        store8(low, c)
        store8(high, c + 8)
    } else {
        storePartialRow(low, high, c, columns: columns)
    }
}

@inline(never)
private func storePartialRow(_ low: Vec8, _ high: Vec8, _ c: UnsafeMutablePointer<Float>, columns: Int) {
    for lane in 0..<min(columns, 8) { c[lane] = low[lane] }
    if columns > 8 { for lane in 0..<(columns &- 8) { c[8 &+ lane] = high[lane] } }
}

/// Where each of the six rows of a block starts.
typealias RowPointers = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                         UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

/// The 6x16 register tile: up to six rows of A against one 16-column panel of B.
///
/// Row r of A starts at `a.r` (rows past `rows` are computed but not stored). K is walked as
/// `segmentCount` runs of `segmentLength` contiguous values, every row advancing by
/// `segmentStride` between runs while B continues: this lets a convolution read its patches
/// straight from the image, one kernel row per segment (implicit GEMM, no im2col copy).
func multiplyBlock(rows: Int, _ a: RowPointers, segmentCount: Int, segmentLength: Int,
                   segmentStride: Int, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, epilogue: GEMMEpilogue) {
    let biasLow = load8(bias), biasHigh = load8(bias + 8)
    var c0l = biasLow, c0h = biasHigh, c1l = biasLow, c1h = biasHigh, c2l = biasLow, c2h = biasHigh
    var c3l = biasLow, c3h = biasHigh, c4l = biasLow, c4h = biasHigh, c5l = biasLow, c5h = biasHigh
    var a0 = a.0, a1 = a.1, a2 = a.2, a3 = a.3, a4 = a.4, a5 = a.5
    var bp = b
    for _ in 0..<segmentCount {
        var index = 0
        while index < segmentLength {
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
        a0 += segmentStride; a1 += segmentStride; a2 += segmentStride
        a3 += segmentStride; a4 += segmentStride; a5 += segmentStride
    }
    // The epilogue and stores are written out here: as a helper function they were not inlined.
    if epilogue != .none {
        let (lower, upper) = epilogue.bounds
        c0l = lanewiseMin(lanewiseMax(c0l, lower), upper); c0h = lanewiseMin(lanewiseMax(c0h, lower), upper)
        c1l = lanewiseMin(lanewiseMax(c1l, lower), upper); c1h = lanewiseMin(lanewiseMax(c1h, lower), upper)
        c2l = lanewiseMin(lanewiseMax(c2l, lower), upper); c2h = lanewiseMin(lanewiseMax(c2h, lower), upper)
        c3l = lanewiseMin(lanewiseMax(c3l, lower), upper); c3h = lanewiseMin(lanewiseMax(c3h, lower), upper)
        c4l = lanewiseMin(lanewiseMax(c4l, lower), upper); c4h = lanewiseMin(lanewiseMax(c4h, lower), upper)
        c5l = lanewiseMin(lanewiseMax(c5l, lower), upper); c5h = lanewiseMin(lanewiseMax(c5h, lower), upper)
    }
    if columns == 16 {
        store8(c0l, c); store8(c0h, c + 8)
        if rows > 1 { store8(c1l, c + ldc); store8(c1h, c + (ldc &+ 8)) }
        if rows > 2 { store8(c2l, c + 2 &* ldc); store8(c2h, c + (2 &* ldc &+ 8)) }
        if rows > 3 { store8(c3l, c + 3 &* ldc); store8(c3h, c + (3 &* ldc &+ 8)) }
        if rows > 4 { store8(c4l, c + 4 &* ldc); store8(c4h, c + (4 &* ldc &+ 8)) }
        if rows > 5 { store8(c5l, c + 5 &* ldc); store8(c5h, c + (5 &* ldc &+ 8)) }
    } else {
        storePartialRow(c0l, c0h, c, columns: columns)
        if rows > 1 { storePartialRow(c1l, c1h, c + ldc, columns: columns) }
        if rows > 2 { storePartialRow(c2l, c2h, c + 2 &* ldc, columns: columns) }
        if rows > 3 { storePartialRow(c3l, c3h, c + 3 &* ldc, columns: columns) }
        if rows > 4 { storePartialRow(c4l, c4h, c + 4 &* ldc, columns: columns) }
        if rows > 5 { storePartialRow(c5l, c5h, c + 5 &* ldc, columns: columns) }
    }
}

/// One row of A against one panel, K unrolled by four so eight accumulators hide FMA latency
/// (a Dense layer on a single sample is this loop).
@inline(__always)
private func multiplyRow(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, columns: Int, epilogue: GEMMEpilogue) {
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
    storeRow((l0 + l1) + (l2 + l3), (h0 + h1) + (h2 + h3), c, columns: columns, bounds: epilogue.bounds)
}
