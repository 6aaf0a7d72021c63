import ImageCodecs

/// How far each pixel of a page is darker than the paper around it: local, so uneven light,
/// shadows, gradients and coloured paper do not matter, and a faint digit in a bright corner
/// counts like a dark one in a shadow. 0 is paper, larger is more ink.
///
/// The paper is estimated as a black top-hat at reduced resolution: the picture's block means
/// are closed (dilated then eroded) with a square wider than the widest stroke expected, which
/// removes the ink and keeps the light; the estimate is smoothed and bilinearly interpolated
/// back to full size. Light ink on dark paper is handled by inverting the picture first.
public struct InkContrast: Sendable {
    /// 0 for paper, else how much darker than the paper the pixel is (0-255).
    public let ink: Image
    /// The histogram of `ink` (every pixel), counted as the map is made.
    public let inkHistogram: [Int]
    /// How much lighter than the estimated paper pixels are, as a histogram (of every pixel on
    /// pictures up to 40,000 pixels, else of every other pixel of every other row): ink is
    /// never lighter than paper, so this is the paper's own grain and noise, whatever the
    /// amount of ink.
    public let lighterThanPaper: [Int]

    /// The ink map of a gray page with dark ink. `cell` is the block size of the paper estimate
    /// and `radius` the closing's radius in blocks: strokes up to about `2 * radius * cell`
    /// pixels wide are seen as ink.
    public init(darkInkOn gray: Image, cell: Int, radius: Int) {
        precondition(gray.layout == .gray, "InkContrast works on gray images")
        let width = gray.width, height = gray.height
        var lighter = [Int](repeating: 0, count: 256)
        var histogram = [Int](repeating: 0, count: 256)
        guard width > 0, height > 0 else {
            ink = gray
            inkHistogram = histogram
            lighterThanPaper = lighter
            return
        }
        let paper = InkContrast.smoothed(InkContrast.closedWithoutEdgeBias(gray.blockMeans(cell: cell), radius: radius))
        let gridWidth = paper.width, gridHeight = paper.height
        // Bilinear interpolation between block centres, separably: each grid row is widened
        // along x once (`upper`, `lower`: the two grid rows around the current output row),
        // then each output row blends the two, a loop without gathers.
        let scale = 1 / Float(cell)
        var x0 = [Int](repeating: 0, count: width), x1 = x0, fx = [Float](repeating: 0, count: width)
        for x in 0..<width {
            let position = Swift.max(0, Swift.min(Float(gridWidth - 1), (Float(x) + 0.5) * scale - 0.5))
            x0[x] = Int(position)
            x1[x] = Swift.min(x0[x] + 1, gridWidth - 1)
            fx[x] = position - Float(x0[x])
        }
        func widened(_ gridRow: Int, into row: inout [Float]) {
            paper.samples.withUnsafeBufferPointer { grid in
                let base = gridRow * gridWidth
                for x in 0..<width {
                    let left = Float(grid[base + x0[x]]), right = Float(grid[base + x1[x]])
                    row[x] = left + (right - left) * fx[x]
                }
            }
        }
        let step = width * height > 40_000 ? 2 : 1
        var upper = [Float](repeating: 0, count: width), lower = upper
        var upperRow = -1, lowerRow = -1
        let ink = [UInt8](unsafeUninitializedCapacity: width * height) { out, count in
            gray.samples.withUnsafeBufferPointer { pixels in
                for y in 0..<height {
                    let position = Swift.max(0, Swift.min(Float(gridHeight - 1), (Float(y) + 0.5) * scale - 0.5))
                    let y0 = Int(position), y1 = Swift.min(y0 + 1, gridHeight - 1)
                    let fy = position - Float(y0)
                    if upperRow != y0 {
                        if lowerRow == y0 { swap(&upper, &lower); upperRow = y0; lowerRow = -1 } else { widened(y0, into: &upper); upperRow = y0 }
                    }
                    if lowerRow != y1 { widened(y1, into: &lower); lowerRow = y1 }
                    let row = out.baseAddress! + y * width, source = pixels.baseAddress! + y * width
                    upper.withUnsafeBufferPointer { top in
                        lower.withUnsafeBufferPointer { bottom in
                            // Integer difference, clamped: a loop the compiler vectorises.
                            for x in 0..<width {
                                let background = InkContrast.roundedToInt32(top[x] + (bottom[x] - top[x]) * fy)
                                let difference = background &- Int32(source[x])
                                row[x] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(255, difference)))
                            }
                            // The paper's grain from a sample of the pixels (every one on small pictures).
                            if y % step == 0 {
                                var x = 0
                                while x < width {
                                    let background = InkContrast.roundedToInt32(top[x] + (bottom[x] - top[x]) * fy)
                                    let difference = background &- Int32(source[x])
                                    if difference <= 0 { lighter[Int(Swift.min(255, -difference))] += 1 }
                                    x += step
                                }
                            }
                        }
                    }
                    histogram.withUnsafeMutableBufferPointer { counts in
                        // Paper is most of a page and reads 0: whole runs of sixteen zeros are
                        // counted at once.
                        var x = 0
                        while x + 16 <= width {
                            if UnsafeRawPointer(row + x).loadUnaligned(as: SIMD16<UInt8>.self) == .zero {
                                counts[0] += 16
                            } else {
                                for i in x..<(x + 16) { counts[Int(row[i])] += 1 }
                            }
                            x += 16
                        }
                        for i in x..<width { counts[Int(row[i])] += 1 }
                    }
                }
            }
            count = width * height
        }
        self.ink = Image(width: width, height: height, layout: .gray, samples: ink) ?? gray
        self.inkHistogram = histogram
        self.lighterThanPaper = lighter
    }

    /// The closing of the block grid, computed on the grid extended by `radius` blocks on each
    /// side by linear extrapolation (2 * edge - mirror), then cropped back. With plain edge
    /// clamping, a gradient running into the edge would be closed to its lighter side there and
    /// leave false ink along the border; extrapolated, a smooth gradient closes to itself.
    static func closedWithoutEdgeBias(_ grid: Image, radius: Int) -> Image {
        let width = grid.width, height = grid.height
        guard radius > 0, width > 1 || height > 1 else { return grid.closed(radius: radius) }
        let paddedWidth = width + 2 * radius, paddedHeight = height + 2 * radius
        /// Index `i` of a padded axis as a pair of source indexes: value = 2 * a - b.
        func source(_ i: Int, _ count: Int) -> (Int, Int) {
            let j = i - radius
            if j < 0 { return (0, Swift.min(count - 1, -j)) }
            if j >= count { return (count - 1, Swift.max(0, 2 * (count - 1) - j)) }
            return (j, j)
        }
        var padded = [UInt8](repeating: 0, count: paddedWidth * paddedHeight)
        for y in 0..<paddedHeight {
            let (ya, yb) = source(y, height)
            for x in 0..<paddedWidth {
                let (xa, xb) = source(x, width)
                // Extrapolate along each axis in turn: rows from the extended columns.
                func at(_ sy: Int, _ sx: Int) -> Int { Int(grid.samples[sy * width + sx]) }
                let alongX = { (row: Int) in 2 * at(row, xa) - at(row, xb) }
                let value = 2 * alongX(ya) - alongX(yb)
                padded[y * paddedWidth + x] = UInt8(Swift.max(0, Swift.min(255, value)))
            }
        }
        guard let extended = Image(width: paddedWidth, height: paddedHeight, layout: .gray, samples: padded) else { return grid }
        return extended.closed(radius: radius).cropped(to: PixelRect(x: radius, y: radius, width: width, height: height))
    }

    /// Round to nearest for 0...255 without the range check of `Int32(_: Float)`, which keeps
    /// the per-pixel loop from vectorising: adding 1.5 * 2^23 leaves the rounded integer in the
    /// low mantissa bits.
    @inline(__always) static func roundedToInt32(_ value: Float) -> Int32 {
        Int32(bitPattern: (value + 12_582_912).bitPattern) &- 0x4B40_0000
    }

    /// A 3x3 mean of the paper estimate, so block edges do not show in the map.
    static func smoothed(_ grid: Image) -> Image {
        let width = grid.width, height = grid.height
        var out = grid.samples
        grid.samples.withUnsafeBufferPointer { samples in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let top = Swift.max(0, y - 1), bottom = Swift.min(height - 1, y + 1)
                    for x in 0..<width {
                        let left = Swift.max(0, x - 1), right = Swift.min(width - 1, x + 1)
                        var sum = 0
                        for row in top...bottom {
                            for column in left...right { sum += Int(samples[row * width + column]) }
                        }
                        let count = (bottom - top + 1) * (right - left + 1)
                        out[y * width + x] = UInt8((sum + count / 2) / count)
                    }
                }
            }
        }
        return Image(width: width, height: height, layout: .gray, samples: out) ?? grid
    }
}
