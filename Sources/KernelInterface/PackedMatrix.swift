/// The right-hand operand of a matrix multiply (weights, K x N), rearranged once for the kernels
/// of one CPU class: column panels `panelWidth` wide (two vector registers, or one when N fits in
/// one), each panel K rows of `panelWidth` contiguous floats, zero-padded past N; plus a bias per
/// column (zero if none).
///
/// Make one with `KernelSet.pack`; only the kernels of the class that packed it may use it (the
/// panel width differs between classes).
public final class PackedMatrix: @unchecked Sendable {
    /// The class whose kernels packed it.
    public let cpu: CPUClass
    /// K.
    public let rows: Int
    /// N.
    public let columns: Int
    public let panelWidth: Int
    public let panelCount: Int
    /// panelCount panels of rows x panelWidth floats.
    public let panels: AlignedBuffer
    /// panelCount x panelWidth biases.
    public let bias: AlignedBuffer

    /// Empty (zero) panels and bias for `rows` x `columns`; the packing kernel fills them.
    public init(cpu: CPUClass, rows: Int, columns: Int, panelWidth: Int) {
        precondition(rows >= 0 && columns >= 0 && panelWidth > 0)
        self.cpu = cpu
        self.rows = rows
        self.columns = columns
        self.panelWidth = panelWidth
        panelCount = (columns + panelWidth - 1) / panelWidth
        panels = AlignedBuffer(count: panelCount * rows * panelWidth)
        bias = AlignedBuffer(count: panelCount * panelWidth)
    }
}
