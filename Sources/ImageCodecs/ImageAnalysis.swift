/// Measurements on grayscale values: Otsu's threshold, foreground bounding box, centre of mass.
/// Colour images are measured on their luma (`grayscale()`).
extension Image {
    private var graySamples: [UInt8] { layout == .gray ? samples : grayscale().samples }

    /// Otsu's threshold: the value t maximising the between-class variance of {v <= t} and
    /// {v > t}. Foreground is then `v > t`. A single-valued image returns that value.
    public func otsuThreshold() -> UInt8 {
        var histogram = [Int](repeating: 0, count: 256)
        for value in graySamples { histogram[Int(value)] += 1 }
        let total = Double(width * height)
        guard total > 0 else { return 0 }
        let sumAll = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) }
        var weightBelow = 0.0, sumBelow = 0.0
        var best = 0.0, bestThreshold = 0
        var foundSplit = false
        for t in 0..<256 {
            weightBelow += Double(histogram[t])
            sumBelow += Double(t * histogram[t])
            let weightAbove = total - weightBelow
            guard weightBelow > 0, weightAbove > 0 else { continue }
            let meanBelow = sumBelow / weightBelow
            let meanAbove = (sumAll - sumBelow) / weightAbove
            let variance = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if !foundSplit || variance > best {
                best = variance; bestThreshold = t; foundSplit = true
            }
        }
        if !foundSplit { return graySamples.first ?? 0 }
        return UInt8(bestThreshold)
    }

    /// A gray image with 255 where the luma is above `threshold` and 0 elsewhere.
    public func thresholded(above threshold: UInt8) -> Image {
        let result = graySamples.map { $0 > threshold ? UInt8(255) : 0 }
        return Image(uncheckedWidth: width, height: height, layout: .gray, samples: result)
    }

    /// The smallest rectangle holding every pixel whose luma is above `threshold` (default:
    /// every non-zero pixel, as Pillow's `getbbox`); nil when there is none.
    public func foregroundBoundingBox(above threshold: UInt8 = 0) -> PixelRect? {
        let values = graySamples
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where values[y * width + x] > threshold {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// The luma-weighted mean pixel position (pixel centres at integer coordinates, as
    /// `scipy.ndimage.center_of_mass`); nil for an all-black image.
    public func centreOfMass() -> (x: Double, y: Double)? {
        let values = graySamples
        var total = 0.0, sumX = 0.0, sumY = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let weight = Double(values[y * width + x])
                total += weight; sumX += weight * Double(x); sumY += weight * Double(y)
            }
        }
        guard total > 0 else { return nil }
        return (sumX / total, sumY / total)
    }
}
