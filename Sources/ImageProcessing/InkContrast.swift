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
    /// How much lighter than the estimated paper pixels are, as a histogram: ink is never
    /// lighter than paper, so this is the paper's own grain and noise, whatever the amount of ink.
    public let lighterThanPaper: [Int]

    /// The ink map of a gray page with dark ink. `cell` is the block size of the paper estimate
    /// and `radius` the closing's radius in blocks: strokes up to about `2 * radius * cell`
    /// pixels wide are seen as ink.
    public init(darkInkOn gray: Image, cell: Int, radius: Int) {
        precondition(gray.layout == .gray, "InkContrast works on gray images")
        let width = gray.width, height = gray.height
        var lighter = [Int](repeating: 0, count: 256)
        guard width > 0, height > 0 else {
            ink = gray
            lighterThanPaper = lighter
            return
        }
        let paper = InkContrast.smoothed(gray.blockMeans(cell: cell).closed(radius: radius))
        var ink = [UInt8](repeating: 0, count: width * height)
        let gridWidth = paper.width, gridHeight = paper.height
        // Bilinear interpolation between block centres: each output row blends two grid rows
        // into `rowPaper` (grid resolution), then widens it along x into `background`.
        let scale = 1 / Float(cell)
        var x0 = [Int](repeating: 0, count: width), x1 = x0, fx = [Float](repeating: 0, count: width)
        for x in 0..<width {
            let position = Swift.max(0, Swift.min(Float(gridWidth - 1), (Float(x) + 0.5) * scale - 0.5))
            x0[x] = Int(position)
            x1[x] = Swift.min(x0[x] + 1, gridWidth - 1)
            fx[x] = position - Float(x0[x])
        }
        var rowPaper = [Float](repeating: 0, count: gridWidth)
        var background = [Float](repeating: 0, count: width)
        paper.samples.withUnsafeBufferPointer { grid in
        gray.samples.withUnsafeBufferPointer { pixels in
        ink.withUnsafeMutableBufferPointer { out in
        lighter.withUnsafeMutableBufferPointer { lighter in
        rowPaper.withUnsafeMutableBufferPointer { rowPaper in
        background.withUnsafeMutableBufferPointer { background in
        x0.withUnsafeBufferPointer { x0 in
        x1.withUnsafeBufferPointer { x1 in
        fx.withUnsafeBufferPointer { fx in
            for y in 0..<height {
                let position = Swift.max(0, Swift.min(Float(gridHeight - 1), (Float(y) + 0.5) * scale - 0.5))
                let y0 = Int(position), y1 = Swift.min(y0 + 1, gridHeight - 1)
                let fy = position - Float(y0)
                for gx in 0..<gridWidth {
                    let top = Float(grid[y0 * gridWidth + gx]), bottom = Float(grid[y1 * gridWidth + gx])
                    rowPaper[gx] = top + (bottom - top) * fy
                }
                for x in 0..<width {
                    let left = rowPaper[x0[x]], right = rowPaper[x1[x]]
                    background[x] = left + (right - left) * fx[x]
                }
                let row = out.baseAddress! + y * width, source = pixels.baseAddress! + y * width
                for x in 0..<width {
                    let difference = background[x] - Float(source[x])
                    if difference > 0 {
                        row[x] = UInt8(Swift.min(255, difference + 0.5))
                    } else {
                        lighter[Int(Swift.min(255, 0.5 - difference))] += 1
                    }
                }
            }
        } } } } } } } } }
        self.ink = Image(width: width, height: height, layout: .gray, samples: ink) ?? gray
        self.lighterThanPaper = lighter
    }

    /// A 3x3 mean of the paper estimate, so block edges do not show in the map.
    static func smoothed(_ grid: Image) -> Image {
        let width = grid.width, height = grid.height
        var out = grid.samples
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0, count = 0
                for dy in -1...1 where y + dy >= 0 && y + dy < height {
                    for dx in -1...1 where x + dx >= 0 && x + dx < width {
                        sum += Int(grid.samples[(y + dy) * width + x + dx]); count += 1
                    }
                }
                out[y * width + x] = UInt8((sum + count / 2) / count)
            }
        }
        return Image(width: width, height: height, layout: .gray, samples: out) ?? grid
    }
}
