/// A rectangle in pixel coordinates: `x`, `y` of the top-left corner, then the size.
public struct PixelRect: Equatable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// Crop, pad and translate: moving pixels without changing their values.
extension Image {
    /// The pixels of `rect`; parts of it outside the image are `fill` (alpha too), so a crop
    /// never fails and a crop with a negative origin pads. A negative size gives an empty image.
    public func cropped(to rect: PixelRect, fill: UInt8 = 0) -> Image {
        let outWidth = max(0, rect.width), outHeight = max(0, rect.height)
        var result = Image(width: outWidth, height: outHeight, layout: layout, fill: fill)
        let channels = self.channels
        // The overlap of rect with the image, in source coordinates.
        let left = max(rect.x, 0), right = min(rect.x + outWidth, width)
        let top = max(rect.y, 0), bottom = min(rect.y + outHeight, height)
        guard left < right, top < bottom else { return result }
        let rowSamples = (right - left) * channels
        for y in top..<bottom {
            let from = (y * width + left) * channels
            let to = ((y - rect.y) * outWidth + (left - rect.x)) * channels
            result.samples.replaceSubrange(to..<(to + rowSamples), with: samples[from..<(from + rowSamples)])
        }
        return result
    }

    /// The image with borders of `fill` added on each side (negative amounts crop).
    public func padded(top: Int, left: Int, bottom: Int, right: Int, fill: UInt8 = 0) -> Image {
        cropped(to: PixelRect(x: -left, y: -top, width: width + left + right, height: height + top + bottom), fill: fill)
    }

    /// The content shifted by (`dx`, `dy`) pixels (right and down when positive) in a frame of
    /// the same size; uncovered pixels are `fill`.
    public func translated(dx: Int, dy: Int, fill: UInt8 = 0) -> Image {
        cropped(to: PixelRect(x: -dx, y: -dy, width: width, height: height), fill: fill)
    }
}
