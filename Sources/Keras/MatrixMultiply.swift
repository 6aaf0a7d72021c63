/// General matrix multiplication on the inference kernels, for code in this package that works
/// with matrices whose values change on every call (the trainer's forward and backward passes):
///
///     C (m x n) = op(A) · op(B) [+ bias] [+ C]
///
/// op(B) is packed into 16-column panels in caller-owned storage (`PackedOperand`, reused from
/// call to call, so nothing is allocated once it has grown), then the 6x16 register tile of
/// `multiplyBlock` covers C. Rows of A are read in place with a row stride; a transposed A is
/// copied into rows first. The kernel API issue 12 settles on will replace this file's body.
package enum MatrixMultiply {
    /// op(B) packed for the kernel: `k` rows of `n` columns in panels 16 wide, plus a padded bias.
    package final class PackedOperand {
        package private(set) var k = 0
        package private(set) var n = 0
        private var storage = AlignedBuffer(count: 0)
        private var biasStorage = AlignedBuffer(count: 16)

        package init() {}

        var panelCount: Int { (n + PackedMatrix.panelWidth - 1) / PackedMatrix.panelWidth }
        var panels: UnsafeMutablePointer<Float> { storage.pointer }
        var bias: UnsafeMutablePointer<Float> { biasStorage.pointer }

        /// Packs B (k x n), or Bᵀ when `transposed` (B is then stored n x k), with row stride `ldb`;
        /// `bias` (n values) is added to every row of the product, or zero when nil.
        package func pack(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, transposed: Bool,
                          bias: UnsafePointer<Float>? = nil) {
            let width = PackedMatrix.panelWidth
            self.k = k
            self.n = n
            let panelCount = (n + width - 1) / width
            if storage.count < panelCount * k * width { storage = AlignedBuffer(count: panelCount * k * width) }
            if biasStorage.count < panelCount * width { biasStorage = AlignedBuffer(count: panelCount * width) }
            let panels = storage.pointer
            for panel in 0..<panelCount {
                let first = panel &* width
                let columns = min(width, n &- first)
                var destination = panels + panel &* k &* width
                if transposed {
                    for row in 0..<k {
                        for lane in 0..<columns { destination[lane] = b[(first &+ lane) &* ldb &+ row] }
                        for lane in columns..<width { destination[lane] = 0 }
                        destination += width
                    }
                } else {
                    for row in 0..<k {
                        let source = b + (row &* ldb &+ first)
                        for lane in 0..<columns { destination[lane] = source[lane] }
                        for lane in columns..<width { destination[lane] = 0 }
                        destination += width
                    }
                }
                for lane in 0..<width {
                    biasStorage.pointer[first &+ lane] = (lane < columns ? bias?[first &+ lane] : nil) ?? 0
                }
            }
        }
    }

    /// C = A · B (+ C when `accumulate`), B already packed. A is m x k with row stride `lda`.
    package static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedOperand,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let k = b.k
        let width = PackedMatrix.panelWidth
        guard m > 0, b.n > 0 else { return }
        if k == 0 {
            if !accumulate { for row in 0..<m { (c + row &* ldc).update(repeating: 0, count: b.n) } }
            return
        }
        // Accumulating: each 6x16 tile goes to a scratch tile first, then is added to C.
        var tile = [Float](repeating: 0, count: 6 * width)
        tile.withUnsafeMutableBufferPointer { tileBuffer in
            let tilePointer = tileBuffer.baseAddress!
            for panel in 0..<b.panelCount {
                let first = panel &* width
                let columns = min(width, b.n &- first)
                let bPanel = UnsafePointer(b.panels + panel &* k &* width)
                let bias = UnsafePointer(b.bias + first)
                var row = 0
                while row < m {
                    let rows = min(6, m &- row)
                    let a0 = a + row &* lda
                    func start(_ index: Int) -> UnsafePointer<Float> { index < rows ? a0 + index &* lda : a0 }
                    let pointers = RowPointers(a0, start(1), start(2), start(3), start(4), start(5))
                    let destination = c + (row &* ldc &+ first)
                    if accumulate {
                        multiplyBlock(rows: rows, pointers, segmentCount: 1, segmentLength: k, segmentStride: 0, b: bPanel,
                                      bias: bias, c: tilePointer, ldc: width, columns: width, epilogue: .none)
                        for r in 0..<rows {
                            let target = destination + r &* ldc
                            let source = tilePointer + r &* width
                            for lane in 0..<columns { target[lane] += source[lane] }
                        }
                    } else {
                        multiplyBlock(rows: rows, pointers, segmentCount: 1, segmentLength: k, segmentStride: 0, b: bPanel,
                                      bias: bias, c: destination, ldc: ldc, columns: columns, epilogue: .none)
                    }
                    row &+= rows
                }
            }
        }
    }

    /// Aᵀ of A (rows x columns, row stride `lda`) into `destination` (columns x rows, dense).
    package static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int,
                                  into destination: UnsafeMutablePointer<Float>) {
        // Blocks of 16x16 keep both sides in cache.
        let block = 16
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 &+ block, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 &+ block, columns)
                for r in r0..<r1 {
                    let source = a + r &* lda
                    for column in c0..<c1 { destination[column &* rows &+ r] = source[column] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
