// This compilation's entry point: the KernelSet the Kernels module hands out for this CPU class.
// Each file of Sources/KernelSources implements its part of the protocol in an extension.
import KernelInterface

public enum Backend: KernelSet {
    public static var cpu: CPUClass { compiledClass }

    /// Six rows by one panel, K = 8, through the register tile with a ReLU epilogue, on small
    /// integers (exact in float whatever the rounding) against an integer reference.
    public static func selfTest() -> Bool {
        let k = 8
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: tileRows * k + k * panelWidth + 2 * panelWidth
                                                + tileRows * panelWidth) { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            let a = base, b = a + tileRows * k, bias = b + k * panelWidth, c = bias + panelWidth
            for row in 0..<tileRows { for p in 0..<k { a[row * k + p] = Float((row + p) % 5 - 2) } }
            for p in 0..<k { for column in 0..<panelWidth { b[p * panelWidth + column] = Float((3 * p + column) % 7 - 3) } }
            for column in 0..<panelWidth { bias[column] = Float(column % 3) }
            func rowStart(_ row: Int) -> UnsafePointer<Float> { UnsafePointer(a + row * k) }
            multiplyBlock(rows: tileRows, RowPointers(rowStart(0), rowStart(1), rowStart(2), rowStart(3), rowStart(4),
                                                      rowStart(5)),
                          segmentCount: 1, segmentLength: k, segmentStride: 0, b: b, bias: bias, c: c,
                          ldc: panelWidth, columns: panelWidth, epilogue: .relu)
            for row in 0..<tileRows {
                for column in 0..<panelWidth {
                    var expected = column % 3
                    for p in 0..<k { expected += ((row + p) % 5 - 2) * ((3 * p + column) % 7 - 3) }
                    if c[row * panelWidth + column] != Float(max(expected, 0)) { return false }
                }
            }
            return true
        }
    }
}
