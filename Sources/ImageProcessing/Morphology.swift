import ImageCodecs

/// Grey-level morphology with a square structuring element of side `2 * radius + 1`, on gray
/// images: dilation is the maximum over the square, erosion the minimum; edges are clamped
/// (pixels outside the image repeat the nearest edge pixel). Separable, and each pass uses van
/// Herk's running extrema, so the cost per pixel does not grow with the radius.
extension Image {
    /// The maximum over each pixel's square neighbourhood (bright features grow).
    public func dilated(radius: Int) -> Image { morphology(radius: radius, keepsMaximum: true) }

    /// The minimum over each pixel's square neighbourhood (dark features grow).
    public func eroded(radius: Int) -> Image { morphology(radius: radius, keepsMaximum: false) }

    /// Dilation then erosion: dark features narrower than the square vanish, larger shapes and
    /// smooth gradients stay. On a page, the paper without its ink.
    public func closed(radius: Int) -> Image { dilated(radius: radius).eroded(radius: radius) }

    /// Erosion then dilation: bright features narrower than the square vanish.
    public func opened(radius: Int) -> Image { eroded(radius: radius).dilated(radius: radius) }

    private func morphology(radius: Int, keepsMaximum: Bool) -> Image {
        precondition(layout == .gray, "morphology works on gray images; convert with grayscale() first")
        guard radius > 0, width > 0, height > 0 else { return self }
        let line = RunningExtremum(capacity: Swift.max(width, height), radius: radius, keepsMaximum: keepsMaximum)
        var scratch = [UInt8](repeating: 0, count: 3 * line.size)
        var horizontal = [UInt8](repeating: 0, count: samples.count)
        var result = [UInt8](repeating: 0, count: samples.count)
        scratch.withUnsafeMutableBufferPointer { scratch in
            samples.withUnsafeBufferPointer { source in
                horizontal.withUnsafeMutableBufferPointer { target in
                    for y in 0..<height {
                        line.filter(source.baseAddress! + y * width, stride: 1, count: width,
                                    into: target.baseAddress! + y * width, scratch: scratch.baseAddress!)
                    }
                }
            }
            horizontal.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { target in
                    for x in 0..<width {
                        line.filter(source.baseAddress! + x, stride: width, count: height,
                                    into: target.baseAddress! + x, scratch: scratch.baseAddress!)
                    }
                }
            }
        }
        return Image(width: width, height: height, layout: .gray, samples: result) ?? self
    }
}

/// Van Herk / Gil-Werman: the extremum over a sliding window of `2r+1` samples from a prefix
/// and a suffix extremum per block of that size, about three comparisons per sample.
private struct RunningExtremum {
    let radius: Int
    let keepsMaximum: Bool
    /// Samples of each of the three work lines (padded line, prefix, suffix) in the scratch.
    let size: Int

    init(capacity: Int, radius: Int, keepsMaximum: Bool) {
        self.radius = radius
        self.keepsMaximum = keepsMaximum
        size = capacity + 2 * radius + (2 * radius + 1)
    }

    @inline(__always) func pick(_ a: UInt8, _ b: UInt8) -> UInt8 {
        keepsMaximum ? Swift.max(a, b) : Swift.min(a, b)
    }

    /// Filters `count` samples `stride` apart from `source` into `target` (same stride);
    /// `scratch` holds `3 * size` samples.
    func filter(_ source: UnsafePointer<UInt8>, stride: Int, count: Int, into target: UnsafeMutablePointer<UInt8>,
                scratch: UnsafeMutablePointer<UInt8>) {
        let padded = scratch, prefix = scratch + size, suffix = scratch + 2 * size
        let window = 2 * radius + 1
        let total = count + 2 * radius
        // Edge-clamped copy of the line, then a neutral tail that fills the last block.
        let neutral: UInt8 = keepsMaximum ? 0 : 255
        let blocks = (total + window - 1) / window * window
        let first = source[0], last = source[(count - 1) * stride]
        for i in 0..<radius { padded[i] = first }
        for i in 0..<count { padded[radius + i] = source[i * stride] }
        for i in (radius + count)..<total { padded[i] = last }
        for i in total..<blocks { padded[i] = neutral }
        var blockStart = 0
        while blockStart < blocks {
            prefix[blockStart] = padded[blockStart]
            for i in (blockStart + 1)..<(blockStart + window) { prefix[i] = pick(prefix[i - 1], padded[i]) }
            let end = blockStart + window - 1
            suffix[end] = padded[end]
            var i = end - 1
            while i >= blockStart { suffix[i] = pick(suffix[i + 1], padded[i]); i -= 1 }
            blockStart += window
        }
        // Window [i, i + window - 1] in padded coordinates is centred on output i.
        for i in 0..<count {
            target[i * stride] = pick(suffix[i], prefix[i + window - 1])
        }
    }
}
