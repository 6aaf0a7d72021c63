// The general matrix multiply for training: either operand transposed, result stored or added.
// It packs op(B) on each call (or takes it packed: `gemm(transposedA:)`) and runs the register
// tiles of the packed kernel. A transposed A is
// read in place: a tile's six rows of op(A) are six neighbouring columns of the stored A, so each
// K step reads six contiguous floats of one stored row (K walked as K segments of length one,
// every row advancing by lda), with no transposing copy.
import KernelInterface

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
