/// The right-hand operand of a matrix multiply (weights, K x N), rearranged once for the kernels
/// of one CPU class: column panels `panelWidth` wide (two vector registers, or one when N fits in
/// one), each panel K rows of its width in contiguous floats, zero-padded past N; plus a bias per
/// column (zero if none). The last panel is one vector wide when the columns left for it fit in
/// one (48 columns under AVX-512: a 32-wide and a 16-wide panel, not 64 with 16 of padding).
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
    /// Width of every panel but the last; panel p starts at `p * rows * panelWidth` floats.
    public let panelWidth: Int
    /// Width of the last panel: `panelWidth` or less.
    public let lastPanelWidth: Int
    public let panelCount: Int
    /// The panels, one after another.
    public let panels: AlignedBuffer
    /// panelCount x panelWidth biases (column j's at j).
    public let bias: AlignedBuffer
    /// When set, every result becomes `y * scale[j] + shift[j]` after the epilogue: an affine map
    /// per column that follows the activation (a BatchNormalization after a ReLU, folded in at
    /// load time). Scales at [j], shifts at [panelCount x panelWidth + j].
    public private(set) var outputAffine: AlignedBuffer?

    /// Empty (zero) panels and bias for `rows` x `columns`; the packing kernel fills them.
    public init(cpu: CPUClass, rows: Int, columns: Int, panelWidth: Int, lastPanelWidth: Int? = nil) {
        precondition(rows >= 0 && columns >= 0 && panelWidth > 0)
        self.cpu = cpu
        self.rows = rows
        self.columns = columns
        self.panelWidth = panelWidth
        panelCount = (columns + panelWidth - 1) / panelWidth
        let last = lastPanelWidth ?? panelWidth
        precondition(last > 0 && last <= panelWidth
                     && (panelCount == 0 || columns - (panelCount - 1) * panelWidth <= last),
                     "the last panel cannot hold the columns left for it")
        self.lastPanelWidth = last
        panels = AlignedBuffer(count: panelCount == 0 ? 0 : ((panelCount - 1) * panelWidth + last) * rows)
        bias = AlignedBuffer(count: panelCount * panelWidth)
    }

    /// The width of panel `panel`.
    @inline(__always)
    public func width(ofPanel panel: Int) -> Int { panel == panelCount - 1 ? lastPanelWidth : panelWidth }

    /// Sets the affine map applied after the epilogue (`scale` and `shift` hold `columns` values).
    /// Only before the matrix is first used: kernels read it without a lock.
    public func setOutputAffine(scale: [Float], shift: [Float]) {
        precondition(scale.count == columns && shift.count == columns, "one scale and one shift per column")
        let buffer = AlignedBuffer(count: 2 * panelCount * panelWidth)
        for j in 0..<columns {
            buffer.pointer[j] = scale[j]
            buffer.pointer[panelCount * panelWidth + j] = shift[j]
        }
        outputAffine = buffer
    }
}
