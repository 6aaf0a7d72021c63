/// Resampling to a new size. Both methods treat pixels as unit squares with centres at
/// half-integers, so the image does not shift when scaled.
extension Image {
    /// Bilinear interpolation between the four nearest source pixels (edges clamped). Good for
    /// upscaling and mild downscaling; for large reductions use `resizedByAreaAveraging`.
    public func resizedBilinear(width newWidth: Int, height newHeight: Int) -> Image {
        let outWidth = max(0, newWidth), outHeight = max(0, newHeight)
        guard width > 0, height > 0, outWidth > 0, outHeight > 0 else {
            return Image(width: outWidth, height: outHeight, layout: layout)
        }
        /// For each output coordinate: the two source indexes and the weight of the second.
        func taps(_ outCount: Int, _ inCount: Int) -> [(Int, Int, Float)] {
            let scale = Float(inCount) / Float(outCount)
            return (0..<outCount).map { index in
                let position = max(0, (Float(index) + 0.5) * scale - 0.5)
                let first = min(Int(position), inCount - 1)
                let second = min(first + 1, inCount - 1)
                return (first, second, position - Float(first))
            }
        }
        let columns = taps(outWidth, width), rows = taps(outHeight, height)
        let channels = self.channels
        var result = [UInt8](repeating: 0, count: outWidth * outHeight * channels)
        for (outY, (y0, y1, fy)) in rows.enumerated() {
            for (outX, (x0, x1, fx)) in columns.enumerated() {
                for c in 0..<channels {
                    let topLeft = Float(samples[(y0 * width + x0) * channels + c])
                    let topRight = Float(samples[(y0 * width + x1) * channels + c])
                    let bottomLeft = Float(samples[(y1 * width + x0) * channels + c])
                    let bottomRight = Float(samples[(y1 * width + x1) * channels + c])
                    let top = topLeft + (topRight - topLeft) * fx
                    let bottom = bottomLeft + (bottomRight - bottomLeft) * fx
                    let value = top + (bottom - top) * fy
                    result[(outY * outWidth + outX) * channels + c] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return Image(uncheckedWidth: outWidth, height: outHeight, layout: layout, samples: result)
    }

    /// Each output pixel is the average of the source area it covers, partial pixels weighted
    /// by the fraction covered (a box filter). The right choice for downscaling: every source
    /// pixel contributes, so thin strokes do not vanish. Upscaling with it replicates pixels.
    public func resizedByAreaAveraging(width newWidth: Int, height newHeight: Int) -> Image {
        let outWidth = max(0, newWidth), outHeight = max(0, newHeight)
        guard width > 0, height > 0, outWidth > 0, outHeight > 0 else {
            return Image(width: outWidth, height: outHeight, layout: layout)
        }
        /// For each output coordinate: the first covered source index and the coverage weights
        /// of the sources from there on, normalised to sum to 1 (flat: `first[i]`, then
        /// `weights[offsets[i]..<offsets[i + 1]]`).
        func coverage(_ outCount: Int, _ inCount: Int) -> (first: [Int], offsets: [Int], weights: [Float]) {
            let scale = Double(inCount) / Double(outCount)
            var first = [Int](repeating: 0, count: outCount), offsets = [0], weights: [Float] = []
            weights.reserveCapacity(outCount + inCount)
            for index in 0..<outCount {
                let start = Double(index) * scale, end = Double(index + 1) * scale
                var source = Int(start)
                var firstSource = -1
                while Double(source) < end && source < inCount {
                    let overlap = min(end, Double(source + 1)) - max(start, Double(source))
                    if overlap > 1e-9 {
                        if firstSource < 0 { firstSource = source }
                        // Sources are consecutive: a skipped (zero-overlap) one inside the span
                        // keeps its place with weight 0.
                        while firstSource + (weights.count - offsets[index]) < source { weights.append(0) }
                        weights.append(Float(overlap / scale))
                    }
                    source += 1
                }
                first[index] = max(0, firstSource)
                offsets.append(weights.count)
            }
            return (first, offsets, weights)
        }
        let columns = coverage(outWidth, width), rows = coverage(outHeight, height)
        let channels = self.channels
        // Horizontal pass into floats, then vertical pass.
        var horizontal = [Float](repeating: 0, count: outWidth * height * channels)
        var result = [UInt8](repeating: 0, count: outWidth * outHeight * channels)
        samples.withUnsafeBufferPointer { samples in
            horizontal.withUnsafeMutableBufferPointer { horizontal in
                for y in 0..<height {
                    for outX in 0..<outWidth {
                        let from = columns.offsets[outX], to = columns.offsets[outX + 1], x0 = columns.first[outX]
                        for c in 0..<channels {
                            var sum: Float = 0
                            for k in from..<to { sum += Float(samples[(y * width + x0 + k - from) * channels + c]) * columns.weights[k] }
                            horizontal[(y * outWidth + outX) * channels + c] = sum
                        }
                    }
                }
            }
        }
        horizontal.withUnsafeBufferPointer { horizontal in
            result.withUnsafeMutableBufferPointer { result in
                for outY in 0..<outHeight {
                    let from = rows.offsets[outY], to = rows.offsets[outY + 1], y0 = rows.first[outY]
                    for outX in 0..<outWidth {
                        for c in 0..<channels {
                            var sum: Float = 0
                            for k in from..<to { sum += horizontal[((y0 + k - from) * outWidth + outX) * channels + c] * rows.weights[k] }
                            result[(outY * outWidth + outX) * channels + c] = UInt8(max(0, min(255, sum.rounded())))
                        }
                    }
                }
            }
        }
        return Image(uncheckedWidth: outWidth, height: outHeight, layout: layout, samples: result)
    }
}
