// The general matrix multiply for training: either operand transposed, result stored or added.
// It packs op(B) on each call and runs the packed kernel; a transposed A is copied row-major
// first, since the register tile broadcasts along A's rows.
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
        let rowMajor = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        defer { rowMajor.deallocate() }
        transpose(a, rows: k, columns: m, lda: lda, into: rowMajor)
        gemm(rows: m, a: rowMajor, lda: k, b: packed, c: c, ldc: ldc, epilogue: .none, accumulate: accumulate)
    }
}

/// destination (columns x rows, dense) = source (rows x columns, row stride lda) transposed, in
/// 16 x 16 blocks so both sides stay in cache.
func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int,
               into destination: UnsafeMutablePointer<Float>) {
    let block = 16
    var rowStart = 0
    while rowStart < rows {
        let rowEnd = min(rowStart + block, rows)
        var columnStart = 0
        while columnStart < columns {
            let columnEnd = min(columnStart + block, columns)
            for row in rowStart..<rowEnd {
                for column in columnStart..<columnEnd {
                    destination[column &* rows &+ row] = source[row &* lda &+ column]
                }
            }
            columnStart = columnEnd
        }
        rowStart = rowEnd
    }
}
