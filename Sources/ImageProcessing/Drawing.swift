import ImageCodecs

/// Drawing on an image in place: rectangles and text in `BitmapFont`. Colours are given per
/// channel of the image's layout (one value for gray, three for RGB, four for RGBA); anything
/// outside the image is clipped.
extension Image {
    /// Sets the pixel at (x, y) to `colour` when it lies inside the image.
    @inline(__always)
    mutating func plot(_ x: Int, _ y: Int, _ colour: [UInt8]) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let at = (y * width + x) * channels
        for c in 0..<channels { samples[at + c] = colour[c] }
    }

    /// A filled rectangle.
    public mutating func fill(_ rect: PixelRect, colour: [UInt8]) {
        precondition(colour.count == channels, "a colour needs one value per channel")
        let left = Swift.max(0, rect.x), right = Swift.min(width, rect.x + rect.width)
        let top = Swift.max(0, rect.y), bottom = Swift.min(height, rect.y + rect.height)
        guard left < right, top < bottom else { return }
        for y in top..<bottom { for x in left..<right { plot(x, y, colour) } }
    }

    /// The outline of `rect`, `thickness` pixels wide, drawn inside the rectangle.
    public mutating func strokeRectangle(_ rect: PixelRect, colour: [UInt8], thickness: Int = 1) {
        let t = Swift.max(1, Swift.min(thickness, (Swift.min(rect.width, rect.height) + 1) / 2))
        fill(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), colour: colour)
        fill(PixelRect(x: rect.x, y: rect.y + rect.height - t, width: rect.width, height: t), colour: colour)
        fill(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), colour: colour)
        fill(PixelRect(x: rect.x + rect.width - t, y: rect.y, width: t, height: rect.height), colour: colour)
    }

    /// `text` on one line with its top-left corner at (x, y), each font pixel `scale` x `scale`.
    public mutating func draw(text: String, x: Int, y: Int, scale: Int = 1, colour: [UInt8]) {
        precondition(colour.count == channels, "a colour needs one value per channel")
        let scale = Swift.max(1, scale)
        var left = x
        for character in text {
            for (row, cells) in BitmapFont.glyph(character).enumerated() {
                for (column, inked) in cells.enumerated() where inked {
                    fill(PixelRect(x: left + column * scale, y: y + row * scale, width: scale, height: scale), colour: colour)
                }
            }
            left += (BitmapFont.glyphWidth + BitmapFont.spacing) * scale
        }
    }

    /// The size in pixels `text` takes when drawn at `scale`.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        (BitmapFont.width(of: text) * Swift.max(1, scale), BitmapFont.glyphHeight * Swift.max(1, scale))
    }
}
