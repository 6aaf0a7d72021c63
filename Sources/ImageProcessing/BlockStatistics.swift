import ImageCodecs

extension Image {
    /// A gray image `cell` times smaller: each pixel is the mean of a `cell` x `cell` block
    /// (blocks at the right and bottom edges average the pixels they have).
    public func blockMeans(cell: Int) -> Image {
        precondition(layout == .gray, "blockMeans works on gray images")
        let cell = Swift.max(1, cell)
        let gridWidth = (width + cell - 1) / cell, gridHeight = (height + cell - 1) / cell
        var sums = [UInt32](repeating: 0, count: gridWidth * gridHeight)
        // Rows are added column by column into `columnSums` (a loop the compiler vectorises),
        // then each band of `cell` rows is summed block by block.
        var columnSums = [UInt32](repeating: 0, count: width)
        samples.withUnsafeBufferPointer { pixels in
            sums.withUnsafeMutableBufferPointer { sums in
                columnSums.withUnsafeMutableBufferPointer { columns in
                    for gy in 0..<gridHeight {
                        let top = gy * cell, bottom = Swift.min(top + cell, height)
                        for x in 0..<width { columns[x] = UInt32(pixels[top * width + x]) }
                        for y in (top + 1)..<Swift.max(top + 1, bottom) {
                            let row = pixels.baseAddress! + y * width
                            for x in 0..<width { columns[x] &+= UInt32(row[x]) }
                        }
                        for gx in 0..<gridWidth {
                            var sum: UInt32 = 0
                            for x in (gx * cell)..<Swift.min(gx * cell + cell, width) { sum &+= columns[x] }
                            sums[gy * gridWidth + gx] = sum
                        }
                    }
                }
            }
        }
        var means = [UInt8](repeating: 0, count: sums.count)
        for gy in 0..<gridHeight {
            let rows = Swift.min(cell, height - gy * cell)
            for gx in 0..<gridWidth {
                let count = UInt32(rows * Swift.min(cell, width - gx * cell))
                means[gy * gridWidth + gx] = UInt8((sums[gy * gridWidth + gx] + count / 2) / count)
            }
        }
        return Image(width: gridWidth, height: gridHeight, layout: .gray, samples: means) ?? self
    }

    /// The 256-bin histogram of a gray image.
    public func histogram() -> [Int] {
        precondition(layout == .gray, "histogram works on gray images")
        var counts = [Int](repeating: 0, count: 256)
        samples.withUnsafeBufferPointer { for value in $0 { counts[Int(value)] += 1 } }
        return counts
    }
}

/// Quantiles read off a 256-bin histogram.
public enum Histogram {
    /// The smallest value v such that at least `fraction` of the counted samples are <= v
    /// (0 for an empty histogram).
    public static func quantile(_ counts: [Int], _ fraction: Double, from low: Int = 0) -> Int {
        let total = counts[low...].reduce(0, +)
        guard total > 0 else { return low }
        let wanted = Swift.max(1, Int((Double(total) * fraction).rounded(.up)))
        var seen = 0
        for value in low..<counts.count {
            seen += counts[value]
            if seen >= wanted { return value }
        }
        return counts.count - 1
    }
}
