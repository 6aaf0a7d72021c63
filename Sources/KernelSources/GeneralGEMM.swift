// The general matrix multiply for training: either operand transposed, result stored or added.
// It packs op(B) on each call (or takes it packed: `gemm(transposedA:)`) and multiplies.
//
// A transposed A (dW = Xᵀ·dY, and the convolutions' in-place dW) is read in place, never copied:
// row p of the stored A holds, contiguously, element p of every row of op(A). The transposed tile
// (`multiplyTransposedTile`) turns the register tile around: its accumulators hold columns of C,
// two vectors (2 x lanes rows of op(A)) by six columns of B; each K step is two vector loads of a
// stored row of A and six broadcasts of a packed row of B. C is read and written a column at a
// time, once per tile. Every element is still bias + C (when accumulating) plus its products
// added in K order, one multiply-add each, exactly as the packed kernel's row tile does, so the
// results are the same bits as the row tile's. An op(A) shorter than the tile's 2 x lanes rows
// takes the row tile, six neighbouring columns of the stored A (K walked as K segments of
// length one, every row advancing by lda).
import KernelInterface

/// Columns of B in the transposed tile (its rows are two vectors of op(A)).
let transposedTileColumns = 6

extension Backend {
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                            b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative matrix size")
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        let packed = pack(b, rows: k, columns: n, ldb: ldb, transposed: transposeB, bias: nil)
        guard transposeA else {
            gemm(rows: m, a: a, lda: lda, b: packed, c: c, ldc: ldc, epilogue: .none, accumulate: accumulate)
            return
        }
        gemm(transposedA: a, m: m, lda: lda, b: packed, c: c, ldc: ldc, accumulate: accumulate)
    }

    public static func gemm(transposedA a: UnsafePointer<Float>, m: Int, lda: Int, b packed: PackedMatrix,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        precondition(packed.cpu == compiledClass, "a matrix packed for \(packed.cpu) used by the \(compiledClass) kernels")
        let k = packed.rows, n = packed.columns
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        let tileHeight = 2 &* lanes
        guard m >= tileHeight else {
            multiplyTransposedByRowTiles(a, m: m, lda: lda, b: packed, c: c, ldc: ldc, accumulate: accumulate)
            return
        }
        // Ragged edges overlap instead of running short: the last tile of rows (of columns) starts
        // where it ends at m (at the panel's last column), and stores only what the one before it
        // did not. Its loads stay inside A, B and C; recomputed elements come out the same bits.
        for panel in 0..<packed.panelCount {
            let first = panel &* packed.panelWidth
            let columns = min(packed.width(ofPanel: panel), n &- first)
            let bPanel = packed.panelStart(panel), stride = packed.width(ofPanel: panel)
            var column = 0
            while column < columns {
                let start = max(min(column, columns &- transposedTileColumns), 0)
                // Past the panel's last column (a panel narrower than the tile), offsets repeat it.
                let last = columns &- 1 &- start
                let offsets = ColumnOffsets(0, min(1, last), min(2, last), min(3, last), min(4, last), min(5, last))
                let stored = (column &- start)..<min(transposedTileColumns, columns &- start)
                var row = 0
                while row < m {
                    let top = min(row, m &- tileHeight)
                    multiplyTransposedTile(k: k, a: a + top, lda: lda, b: bPanel + start, bStride: stride, offsets,
                                           bias: UnsafePointer(packed.bias.pointer + (first &+ start)),
                                           c: c + (top &* ldc &+ first &+ start), ldc: ldc,
                                           firstRow: row &- top, columns: stored, accumulate: accumulate)
                    row = top &+ tileHeight
                }
                column = start &+ transposedTileColumns
            }
        }
    }

    /// op(A) of fewer rows than the transposed tile: the row tile, its six rows six neighbouring
    /// columns of the stored A, each K step six contiguous floats of one stored row.
    private static func multiplyTransposedByRowTiles(_ a: UnsafePointer<Float>, m: Int, lda: Int, b packed: PackedMatrix,
                                                     c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let k = packed.rows, n = packed.columns
        var row = 0
        while row < m {
            let rows = min(tileRows, m &- row)
            let a0 = a + row
            // Columns past the last row of op(A) are never read: their pointers repeat the first.
            func start(_ index: Int) -> UnsafePointer<Float> { index < rows ? a0 + index : a0 }
            let tile = RowPointers(a0, start(1), start(2), start(3), start(4), start(5))
            for panel in 0..<packed.panelCount {
                let first = panel &* packed.panelWidth
                let width = packed.width(ofPanel: panel)
                multiplyTile(rows: rows, tile, segmentCount: k, segmentLength: 1, segmentStride: lda,
                             b: packed.panelStart(panel),
                             bias: UnsafePointer(packed.bias.pointer + first), c: c + (row &* ldc &+ first), ldc: ldc,
                             columns: min(width, n &- first), epilogue: .none, accumulate: accumulate,
                             narrow: width == lanes)
            }
            row &+= rows
        }
    }
}

/// Where each of the transposed tile's six columns is, from its first (a panel narrower than
/// the tile repeats its last column).
typealias ColumnOffsets = (Int, Int, Int, Int, Int, Int)

/// A column of C: lanes rows, `ldc` apart.
@inline(__always)
private func loadColumn(_ c: UnsafePointer<Float>, ldc: Int) -> Vec {
    var value = Vec()
    for lane in 0..<lanes { value[lane] = c[lane &* ldc] }
    return value
}

/// Lanes `from..<lanes` of a vector into a column of C (rows `ldc` apart).
@inline(__always)
private func storeColumn(_ value: Vec, _ c: UnsafeMutablePointer<Float>, ldc: Int, from: Int) {
    var lane = max(from, 0)
    while lane < lanes {
        c[lane &* ldc] = value[lane]
        lane &+= 1
    }
}

/// C (2 x lanes rows from `c`, six columns at `offsets`) [+]= op(A) · B + bias, op(A)'s rows the
/// columns from `a` of the stored A (row stride lda), B's six columns at `offsets` in its packed
/// panel (row stride `bStride`), bias likewise. Only rows from `firstRow` on and the columns in
/// `columns` are stored. Each accumulator is one column of C: bias + C (accumulating), then
/// every product added in K order.
private func multiplyTransposedTile(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, bStride: Int,
                                    _ offsets: ColumnOffsets, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                    ldc: Int, firstRow: Int, columns: Range<Int>, accumulate: Bool) {
    let (o0, o1, o2, o3, o4, o5) = offsets
    var c0l = Vec(repeating: bias[o0]), c0h = c0l, c1l = Vec(repeating: bias[o1]), c1h = c1l
    var c2l = Vec(repeating: bias[o2]), c2h = c2l, c3l = Vec(repeating: bias[o3]), c3h = c3l
    var c4l = Vec(repeating: bias[o4]), c4h = c4l, c5l = Vec(repeating: bias[o5]), c5h = c5l
    let high = c + lanes &* ldc
    if accumulate {
        c0l += loadColumn(c + o0, ldc: ldc); c0h += loadColumn(high + o0, ldc: ldc)
        c1l += loadColumn(c + o1, ldc: ldc); c1h += loadColumn(high + o1, ldc: ldc)
        c2l += loadColumn(c + o2, ldc: ldc); c2h += loadColumn(high + o2, ldc: ldc)
        c3l += loadColumn(c + o3, ldc: ldc); c3h += loadColumn(high + o3, ldc: ldc)
        c4l += loadColumn(c + o4, ldc: ldc); c4h += loadColumn(high + o4, ldc: ldc)
        c5l += loadColumn(c + o5, ldc: ldc); c5h += loadColumn(high + o5, ldc: ldc)
    }
    var ap = a, bp = b
    for _ in 0..<k {
        let al = load(ap), ah = load(ap + lanes)
        var s = Vec(repeating: bp[o0])
        multiplyAdd(&c0l, al, s); multiplyAdd(&c0h, ah, s)
        s = Vec(repeating: bp[o1])
        multiplyAdd(&c1l, al, s); multiplyAdd(&c1h, ah, s)
        s = Vec(repeating: bp[o2])
        multiplyAdd(&c2l, al, s); multiplyAdd(&c2h, ah, s)
        s = Vec(repeating: bp[o3])
        multiplyAdd(&c3l, al, s); multiplyAdd(&c3h, ah, s)
        s = Vec(repeating: bp[o4])
        multiplyAdd(&c4l, al, s); multiplyAdd(&c4h, ah, s)
        s = Vec(repeating: bp[o5])
        multiplyAdd(&c5l, al, s); multiplyAdd(&c5h, ah, s)
        ap += lda
        bp += bStride
    }
    let highFirst = firstRow &- lanes
    if columns.contains(0) { storeColumn(c0l, c + o0, ldc: ldc, from: firstRow); storeColumn(c0h, high + o0, ldc: ldc, from: highFirst) }
    if columns.contains(1) { storeColumn(c1l, c + o1, ldc: ldc, from: firstRow); storeColumn(c1h, high + o1, ldc: ldc, from: highFirst) }
    if columns.contains(2) { storeColumn(c2l, c + o2, ldc: ldc, from: firstRow); storeColumn(c2h, high + o2, ldc: ldc, from: highFirst) }
    if columns.contains(3) { storeColumn(c3l, c + o3, ldc: ldc, from: firstRow); storeColumn(c3h, high + o3, ldc: ldc, from: highFirst) }
    if columns.contains(4) { storeColumn(c4l, c + o4, ldc: ldc, from: firstRow); storeColumn(c4h, high + o4, ldc: ldc, from: highFirst) }
    if columns.contains(5) { storeColumn(c5l, c + o5, ldc: ldc, from: firstRow); storeColumn(c5h, high + o5, ldc: ldc, from: highFirst) }
}
