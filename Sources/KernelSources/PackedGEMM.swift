// Matrix multiply against packed weights: C[m][n] = bias[n] + sum_k A[m][k] * B[k][n].
//
// B is packed once into column panels two vectors wide, zero-padded, so the inner loop reads it
// contiguously. A register tile of six rows by one panel (12 vector accumulators) covers blocks
// of rows (`multiplyBlock`, which convolutions call directly on the image); a lone row takes
// `multiplyRow`, whose unrolled K loop keeps eight accumulators in flight. A B of one vector's
// width or less (8- and 16-channel layers under AVX-512) is packed in one-vector panels and
// multiplied by the narrow forms of both, so half of every multiply-add is not spent on padding.
import KernelInterface

/// Rows of A in one register tile.
let tileRows = 6

extension Backend {
    public static func pack(_ b: UnsafePointer<Float>, rows: Int, columns: Int, ldb: Int, transposed: Bool,
                            bias: UnsafePointer<Float>?) -> PackedMatrix {
        let packedWidth = columns <= lanes ? lanes : panelWidth
        let panelCount = (columns + packedWidth - 1) / packedWidth
        let lastColumns = columns - max(panelCount - 1, 0) * packedWidth
        let packed = PackedMatrix(cpu: compiledClass, rows: rows, columns: columns, panelWidth: packedWidth,
                                  lastPanelWidth: lastColumns <= lanes ? lanes : packedWidth)
        let panels = packed.panels.pointer
        // The source is read once, row after row (a tall B is often larger than the cache):
        // a stored row of a transposed B is one column, written down its panel's lane; a row of
        // B is cut into its panels' pieces.
        if transposed {
            for column in 0..<columns {
                let source = b + column * ldb
                let panel = column / packedWidth
                let width = packed.width(ofPanel: panel)
                let destination = panels + panel * rows * packedWidth + column % packedWidth
                for k in 0..<rows { destination[k * width] = source[k] }
            }
        } else {
            for k in 0..<rows {
                let source = b + k * ldb
                for panel in 0..<packed.panelCount {
                    let first = panel * packedWidth
                    let width = packed.width(ofPanel: panel)
                    (panels + (panel * rows * packedWidth + k * width)).update(from: source + first,
                                                                               count: min(width, columns - first))
                }
            }
        }
        if let bias { packed.bias.pointer.update(from: bias, count: columns) }
        return packed
    }

    /// C (m x n, row stride ldc) = affine(epilogue([C +] A (m x k, row stride lda) * B + bias)), the
    /// affine map only when B has one (`PackedMatrix.outputAffine`).
    public static func gemm(rows m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                            c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, accumulate: Bool) {
        precondition(b.cpu == compiledClass, "weights packed for \(b.cpu) used by the \(compiledClass) kernels")
        let k = b.rows
        let affine = b.outputAffine
        for panel in 0..<b.panelCount {
            let bPanel = b.panelStart(panel)
            let firstColumn = panel &* b.panelWidth
            let bias = UnsafePointer(b.bias.pointer + firstColumn)
            let width = b.width(ofPanel: panel)
            let columns = min(width, b.columns &- firstColumn)
            let panelAffine = PanelAffine(affine, matrix: b, firstColumn: firstColumn)
            var row = 0
            // Blocks of up to six rows share one pass over the weights; a lone row takes the one-row
            // kernel, which does no wasted multiplications.
            while m &- row >= 2 {
                let rows = min(tileRows, m &- row)
                let a0 = a + row &* lda
                func start(_ index: Int) -> UnsafePointer<Float> { index < rows ? a0 + index &* lda : a0 }
                multiplyTile(rows: rows, RowPointers(a0, start(1), start(2), start(3), start(4), start(5)),
                             segmentCount: 1, segmentLength: k, segmentStride: 0, b: bPanel, bias: bias,
                             c: c + (row &* ldc &+ firstColumn), ldc: ldc, columns: columns, epilogue: epilogue,
                             accumulate: accumulate, narrow: width == lanes, affine: panelAffine)
                row &+= rows
            }
            while row < m {
                if width == lanes {
                    multiplyRowNarrow(k: k, a: a + row &* lda, b: bPanel, bias: bias, c: c + (row &* ldc &+ firstColumn),
                                      columns: columns, epilogue: epilogue, accumulate: accumulate, affine: panelAffine)
                } else {
                    multiplyRow(k: k, a: a + row &* lda, b: bPanel, bias: bias, c: c + (row &* ldc &+ firstColumn),
                                columns: columns, epilogue: epilogue, accumulate: accumulate, affine: panelAffine)
                }
                row &+= 1
            }
        }
    }
}

extension PackedMatrix {
    /// Where panel `panel` starts (every panel before it is `panelWidth` wide).
    @inline(__always)
    func panelStart(_ panel: Int) -> UnsafePointer<Float> { UnsafePointer(panels.pointer + panel &* rows &* panelWidth) }
}

/// One panel's output scales and shifts (PackedMatrix.outputAffine, from its first column on).
struct PanelAffine {
    let scale: UnsafePointer<Float>
    let shift: UnsafePointer<Float>

    /// nil when the matrix has no affine map (`buffer` is its outputAffine, read once per call).
    @inline(__always)
    init?(_ buffer: AlignedBuffer?, matrix: PackedMatrix, firstColumn: Int) {
        guard let buffer else { return nil }
        scale = UnsafePointer(buffer.pointer + firstColumn)
        shift = UnsafePointer(buffer.pointer + (matrix.panelCount &* matrix.panelWidth &+ firstColumn))
    }
}

/// Where each of the six rows of a block starts.
typealias RowPointers = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                         UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

/// One tile row's results (two vectors), or the first `columns` of them for the last panel of an
/// N that is not a multiple of the panel width.
@inline(__always)
private func storeRow(_ low: Vec, _ high: Vec, _ c: UnsafeMutablePointer<Float>, columns: Int) {
    if columns == panelWidth {
        store(low, c)
        store(high, c + lanes)
    } else {
        storePartialRow(low, high, c, columns: columns)
    }
}

@inline(__always)
private func storePartialRow(_ low: Vec, _ high: Vec, _ c: UnsafeMutablePointer<Float>, columns: Int) {
    if columns >= lanes {
        store(low, c)
        storePrefix(high, c + lanes, count: columns &- lanes)
    } else {
        storePrefix(low, c, count: columns)
    }
}

/// C's current values (the first `columns`, zeros past them) for the accumulate form. Returned,
/// not added through inout: an accumulator whose address is taken stays in memory in the loop.
@inline(__always)
private func loadRow(_ c: UnsafeMutablePointer<Float>, columns: Int) -> (Vec, Vec) {
    columns == panelWidth ? (load(c), load(c + lanes)) : loadPartialRow(c, columns: columns)
}

@inline(never)
private func loadPartialRow(_ c: UnsafeMutablePointer<Float>, columns: Int) -> (Vec, Vec) {
    var low = Vec(), high = Vec()
    for lane in 0..<min(columns, lanes) { low[lane] = c[lane] }
    if columns > lanes { for lane in 0..<(columns &- lanes) { high[lane] = c[lanes &+ lane] } }
    return (low, high)
}

/// The register tile for a panel of either width: `narrow` for one-vector panels.
@inline(__always)
func multiplyTile(rows: Int, _ a: RowPointers, segmentCount: Int, segmentLength: Int, segmentStride: Int,
                  b: UnsafePointer<Float>, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                  columns: Int, epilogue: Epilogue, accumulate: Bool = false, narrow: Bool,
                  affine: PanelAffine? = nil) {
    if narrow {
        multiplyBlockNarrow(rows: rows, a, segmentCount: segmentCount, segmentLength: segmentLength,
                            segmentStride: segmentStride, b: b, bias: bias, c: c, ldc: ldc, columns: columns,
                            epilogue: epilogue, accumulate: accumulate, affine: affine)
    } else {
        multiplyBlock(rows: rows, a, segmentCount: segmentCount, segmentLength: segmentLength,
                      segmentStride: segmentStride, b: b, bias: bias, c: c, ldc: ldc, columns: columns,
                      epilogue: epilogue, accumulate: accumulate, affine: affine)
    }
}

/// One vector's worth of results (the first `columns` of it) stored, or C's current values loaded.
@inline(__always)
private func storePartialVector(_ value: Vec, _ c: UnsafeMutablePointer<Float>, columns: Int) {
    storePrefix(value, c, count: min(columns, lanes))
}

@inline(__always)
private func loadVector(_ c: UnsafeMutablePointer<Float>, columns: Int) -> Vec {
    if columns == lanes { return load(c) }
    var value = Vec()
    for lane in 0..<min(columns, lanes) { value[lane] = c[lane] }
    return value
}

/// The 6-row tile against a one-vector panel: six accumulators, one load of B per step.
func multiplyBlockNarrow(rows: Int, _ a: RowPointers, segmentCount: Int, segmentLength: Int,
                         segmentStride: Int, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, epilogue: Epilogue,
                         accumulate: Bool = false, affine: PanelAffine? = nil) {
    let start = load(bias)
    var c0 = start, c1 = start, c2 = start, c3 = start, c4 = start, c5 = start
    if accumulate {
        c0 += loadVector(c, columns: columns)
        if rows > 1 { c1 += loadVector(c + ldc, columns: columns) }
        if rows > 2 { c2 += loadVector(c + 2 &* ldc, columns: columns) }
        if rows > 3 { c3 += loadVector(c + 3 &* ldc, columns: columns) }
        if rows > 4 { c4 += loadVector(c + 4 &* ldc, columns: columns) }
        if rows > 5 { c5 += loadVector(c + 5 &* ldc, columns: columns) }
    }
    var a0 = a.0, a1 = a.1, a2 = a.2, a3 = a.3, a4 = a.4, a5 = a.5
    var bp = b
    if segmentLength == 1 {
        // A read transposed: one shared offset, as in `multiplyBlock`.
        var offset = 0
        for _ in 0..<segmentCount {
            let weights = load(bp)
            multiplyAdd(&c0, Vec(repeating: a0[offset]), weights)
            multiplyAdd(&c1, Vec(repeating: a1[offset]), weights)
            multiplyAdd(&c2, Vec(repeating: a2[offset]), weights)
            multiplyAdd(&c3, Vec(repeating: a3[offset]), weights)
            multiplyAdd(&c4, Vec(repeating: a4[offset]), weights)
            multiplyAdd(&c5, Vec(repeating: a5[offset]), weights)
            bp += lanes
            offset &+= segmentStride
        }
    }
    for _ in 0..<(segmentLength == 1 ? 0 : segmentCount) {
        var index = 0
        while index < segmentLength {
            let weights = load(bp)
            multiplyAdd(&c0, Vec(repeating: a0[index]), weights)
            multiplyAdd(&c1, Vec(repeating: a1[index]), weights)
            multiplyAdd(&c2, Vec(repeating: a2[index]), weights)
            multiplyAdd(&c3, Vec(repeating: a3[index]), weights)
            multiplyAdd(&c4, Vec(repeating: a4[index]), weights)
            multiplyAdd(&c5, Vec(repeating: a5[index]), weights)
            bp += lanes
            index &+= 1
        }
        a0 += segmentStride; a1 += segmentStride; a2 += segmentStride
        a3 += segmentStride; a4 += segmentStride; a5 += segmentStride
    }
    if epilogue != .none {
        let (lower, upper) = epilogue.bounds
        c0 = lanewiseMin(lanewiseMax(c0, lower), upper); c1 = lanewiseMin(lanewiseMax(c1, lower), upper)
        c2 = lanewiseMin(lanewiseMax(c2, lower), upper); c3 = lanewiseMin(lanewiseMax(c3, lower), upper)
        c4 = lanewiseMin(lanewiseMax(c4, lower), upper); c5 = lanewiseMin(lanewiseMax(c5, lower), upper)
    }
    if let affine {
        let scale = load(affine.scale), shift = load(affine.shift)
        c0 = c0 * scale + shift; c1 = c1 * scale + shift; c2 = c2 * scale + shift
        c3 = c3 * scale + shift; c4 = c4 * scale + shift; c5 = c5 * scale + shift
    }
    if columns == lanes {
        store(c0, c)
        if rows > 1 { store(c1, c + ldc) }
        if rows > 2 { store(c2, c + 2 &* ldc) }
        if rows > 3 { store(c3, c + 3 &* ldc) }
        if rows > 4 { store(c4, c + 4 &* ldc) }
        if rows > 5 { store(c5, c + 5 &* ldc) }
    } else {
        storePartialVector(c0, c, columns: columns)
        if rows > 1 { storePartialVector(c1, c + ldc, columns: columns) }
        if rows > 2 { storePartialVector(c2, c + 2 &* ldc, columns: columns) }
        if rows > 3 { storePartialVector(c3, c + 3 &* ldc, columns: columns) }
        if rows > 4 { storePartialVector(c4, c + 4 &* ldc, columns: columns) }
        if rows > 5 { storePartialVector(c5, c + 5 &* ldc, columns: columns) }
    }
}

/// One row of A against a one-vector panel, K unrolled by four.
@inline(__always)
private func multiplyRowNarrow(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               c: UnsafeMutablePointer<Float>, columns: Int, epilogue: Epilogue, accumulate: Bool,
                               affine: PanelAffine?) {
    var s0 = load(bias), s1 = Vec(), s2 = Vec(), s3 = Vec()
    if accumulate { s0 += loadVector(c, columns: columns) }
    var index = 0
    var bp = b
    while index &+ 4 <= k {
        multiplyAdd(&s0, Vec(repeating: a[index]), load(bp))
        multiplyAdd(&s1, Vec(repeating: a[index &+ 1]), load(bp + lanes))
        multiplyAdd(&s2, Vec(repeating: a[index &+ 2]), load(bp + 2 &* lanes))
        multiplyAdd(&s3, Vec(repeating: a[index &+ 3]), load(bp + 3 &* lanes))
        bp += 4 &* lanes
        index &+= 4
    }
    while index < k {
        multiplyAdd(&s0, Vec(repeating: a[index]), load(bp))
        bp += lanes
        index &+= 1
    }
    let (lower, upper) = epilogue.bounds
    var result = lanewiseMin(lanewiseMax((s0 + s1) + (s2 + s3), lower), upper)
    if let affine { result = result * load(affine.scale) + load(affine.shift) }
    if columns == lanes { store(result, c) } else { storePartialVector(result, c, columns: columns) }
}

/// The 6-row register tile: up to six rows of A against one panel of B.
///
/// Row r of A starts at `a.r` (rows past `rows` are computed but not stored). K is walked as
/// `segmentCount` runs of `segmentLength` contiguous values, every row advancing by
/// `segmentStride` between runs while B continues: this lets a convolution read its receptive
/// fields straight from the image, one kernel row per segment (implicit GEMM, no im2col copy).
func multiplyBlock(rows: Int, _ a: RowPointers, segmentCount: Int, segmentLength: Int,
                   segmentStride: Int, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, epilogue: Epilogue,
                   accumulate: Bool = false, affine: PanelAffine? = nil) {
    let biasLow = load(bias), biasHigh = load(bias + lanes)
    var c0l = biasLow, c0h = biasHigh, c1l = biasLow, c1h = biasHigh, c2l = biasLow, c2h = biasHigh
    var c3l = biasLow, c3h = biasHigh, c4l = biasLow, c4h = biasHigh, c5l = biasLow, c5h = biasHigh
    if accumulate {
        var row = loadRow(c, columns: columns)
        c0l += row.0; c0h += row.1
        if rows > 1 { row = loadRow(c + ldc, columns: columns); c1l += row.0; c1h += row.1 }
        if rows > 2 { row = loadRow(c + 2 &* ldc, columns: columns); c2l += row.0; c2h += row.1 }
        if rows > 3 { row = loadRow(c + 3 &* ldc, columns: columns); c3l += row.0; c3h += row.1 }
        if rows > 4 { row = loadRow(c + 4 &* ldc, columns: columns); c4l += row.0; c4h += row.1 }
        if rows > 5 { row = loadRow(c + 5 &* ldc, columns: columns); c5l += row.0; c5h += row.1 }
    }
    var a0 = a.0, a1 = a.1, a2 = a.2, a3 = a.3, a4 = a.4, a5 = a.5
    var bp = b
    if segmentLength == 1 {
        // A read transposed (`gemm(transposedA:)`): every K step one value per row, the rows
        // `segmentStride` further on each step, reached through one shared offset instead of six
        // pointer bumps and a one-pass inner loop per step. Same products, same order.
        var offset = 0
        for _ in 0..<segmentCount {
            let bl = load(bp), bh = load(bp + lanes)
            var s = Vec(repeating: a0[offset])
            multiplyAdd(&c0l, s, bl); multiplyAdd(&c0h, s, bh)
            s = Vec(repeating: a1[offset])
            multiplyAdd(&c1l, s, bl); multiplyAdd(&c1h, s, bh)
            s = Vec(repeating: a2[offset])
            multiplyAdd(&c2l, s, bl); multiplyAdd(&c2h, s, bh)
            s = Vec(repeating: a3[offset])
            multiplyAdd(&c3l, s, bl); multiplyAdd(&c3h, s, bh)
            s = Vec(repeating: a4[offset])
            multiplyAdd(&c4l, s, bl); multiplyAdd(&c4h, s, bh)
            s = Vec(repeating: a5[offset])
            multiplyAdd(&c5l, s, bl); multiplyAdd(&c5h, s, bh)
            bp += panelWidth
            offset &+= segmentStride
        }
    }
    for _ in 0..<(segmentLength == 1 ? 0 : segmentCount) {
        var index = 0
        while index < segmentLength {
            let bl = load(bp), bh = load(bp + lanes)
            var s = Vec(repeating: a0[index])
            multiplyAdd(&c0l, s, bl); multiplyAdd(&c0h, s, bh)
            s = Vec(repeating: a1[index])
            multiplyAdd(&c1l, s, bl); multiplyAdd(&c1h, s, bh)
            s = Vec(repeating: a2[index])
            multiplyAdd(&c2l, s, bl); multiplyAdd(&c2h, s, bh)
            s = Vec(repeating: a3[index])
            multiplyAdd(&c3l, s, bl); multiplyAdd(&c3h, s, bh)
            s = Vec(repeating: a4[index])
            multiplyAdd(&c4l, s, bl); multiplyAdd(&c4h, s, bh)
            s = Vec(repeating: a5[index])
            multiplyAdd(&c5l, s, bl); multiplyAdd(&c5h, s, bh)
            bp += panelWidth
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
    if let affine {
        let sl = load(affine.scale), sh = load(affine.scale + lanes)
        let tl = load(affine.shift), th = load(affine.shift + lanes)
        c0l = c0l * sl + tl; c0h = c0h * sh + th; c1l = c1l * sl + tl; c1h = c1h * sh + th
        c2l = c2l * sl + tl; c2h = c2h * sh + th; c3l = c3l * sl + tl; c3h = c3h * sh + th
        c4l = c4l * sl + tl; c4h = c4h * sh + th; c5l = c5l * sl + tl; c5h = c5h * sh + th
    }
    if columns == panelWidth {
        store(c0l, c); store(c0h, c + lanes)
        if rows > 1 { store(c1l, c + ldc); store(c1h, c + (ldc &+ lanes)) }
        if rows > 2 { store(c2l, c + 2 &* ldc); store(c2h, c + (2 &* ldc &+ lanes)) }
        if rows > 3 { store(c3l, c + 3 &* ldc); store(c3h, c + (3 &* ldc &+ lanes)) }
        if rows > 4 { store(c4l, c + 4 &* ldc); store(c4h, c + (4 &* ldc &+ lanes)) }
        if rows > 5 { store(c5l, c + 5 &* ldc); store(c5h, c + (5 &* ldc &+ lanes)) }
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
                         c: UnsafeMutablePointer<Float>, columns: Int, epilogue: Epilogue, accumulate: Bool,
                         affine: PanelAffine?) {
    var l0 = load(bias), h0 = load(bias + lanes)
    if accumulate {
        let row = loadRow(c, columns: columns)
        l0 += row.0; h0 += row.1
    }
    var l1 = Vec(), h1 = Vec(), l2 = Vec(), h2 = Vec(), l3 = Vec(), h3 = Vec()
    var index = 0
    var bp = b
    let step = panelWidth
    while index &+ 4 <= k {
        let s0 = Vec(repeating: a[index]), s1 = Vec(repeating: a[index &+ 1])
        let s2 = Vec(repeating: a[index &+ 2]), s3 = Vec(repeating: a[index &+ 3])
        multiplyAdd(&l0, s0, load(bp)); multiplyAdd(&h0, s0, load(bp + lanes))
        multiplyAdd(&l1, s1, load(bp + step)); multiplyAdd(&h1, s1, load(bp + (step &+ lanes)))
        multiplyAdd(&l2, s2, load(bp + 2 &* step)); multiplyAdd(&h2, s2, load(bp + (2 &* step &+ lanes)))
        multiplyAdd(&l3, s3, load(bp + 3 &* step)); multiplyAdd(&h3, s3, load(bp + (3 &* step &+ lanes)))
        bp += 4 &* step
        index &+= 4
    }
    while index < k {
        let s = Vec(repeating: a[index])
        multiplyAdd(&l0, s, load(bp)); multiplyAdd(&h0, s, load(bp + lanes))
        bp += step
        index &+= 1
    }
    let (lower, upper) = epilogue.bounds
    var low = lanewiseMin(lanewiseMax((l0 + l1) + (l2 + l3), lower), upper)
    var high = lanewiseMin(lanewiseMax((h0 + h1) + (h2 + h3), lower), upper)
    if let affine {
        low = low * load(affine.scale) + load(affine.shift)
        high = high * load(affine.scale + lanes) + load(affine.shift + lanes)
    }
    storeRow(low, high, c, columns: columns)
}
