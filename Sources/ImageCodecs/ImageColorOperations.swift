/// Colour conversions: grayscale, alpha compositing, inversion, expansion to RGB(A).
extension Image {
    /// ITU-R 601-2 luma exactly as Pillow's `convert("L")`:
    /// L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. Alpha is dropped, not applied — Pillow
    /// does the same; composite first (`composited(over:)`) if transparency should count.
    public func grayscale() -> Image {
        var result = [UInt8](repeating: 0, count: width * height)
        let channels = self.channels
        samples.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                switch layout {
                case .gray, .grayAlpha:
                    for pixel in 0..<output.count { output[pixel] = input[pixel * channels] }
                case .rgb, .rgba:
                    // Walk the samples by pointer: no index arithmetic per pixel.
                    guard var at = input.baseAddress, var to = output.baseAddress else { return }
                    let end = to + output.count
                    while to < end {
                        let luma = UInt32(at[0]) * 19595 + UInt32(at[1]) * 38470 + UInt32(at[2]) * 7471 + 0x8000
                        to.pointee = UInt8(truncatingIfNeeded: luma >> 16)
                        at += channels
                        to += 1
                    }
                }
            }
        }
        return Image(uncheckedWidth: width, height: height, layout: .gray, samples: result)
    }

    /// The image over an opaque background: `colour * alpha + background * (1 - alpha)`,
    /// rounded. Gray+alpha composites over the background's luma and stays gray; images
    /// without alpha are returned unchanged.
    public func composited(over background: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255)) -> Image {
        guard layout.hasAlpha else { return self }
        let colorChannels = channels - 1
        let backgroundLuma = UInt8(truncatingIfNeeded: (UInt32(background.red) * 19595 + UInt32(background.green) * 38470
            + UInt32(background.blue) * 7471 + 0x8000) >> 16)
        let backdrop: [UInt32] = colorChannels == 1
            ? [UInt32(backgroundLuma)] : [UInt32(background.red), UInt32(background.green), UInt32(background.blue)]
        var result = [UInt8](repeating: 0, count: width * height * colorChannels)
        for pixel in 0..<(width * height) {
            let alpha = UInt32(samples[pixel * channels + colorChannels])
            for c in 0..<colorChannels {
                let blended = UInt32(samples[pixel * channels + c]) * alpha + backdrop[c] * (255 - alpha)
                result[pixel * colorChannels + c] = UInt8((blended + 127) / 255)
            }
        }
        return Image(uncheckedWidth: width, height: height, layout: colorChannels == 1 ? .gray : .rgb, samples: result)
    }

    /// `255 - v` for every colour sample; alpha is kept.
    public func inverted() -> Image {
        var copy = self
        let channels = self.channels
        let hasAlpha = layout.hasAlpha
        for index in 0..<copy.samples.count where !(hasAlpha && index % channels == channels - 1) {
            copy.samples[index] = 255 - copy.samples[index]
        }
        return copy
    }

    /// The same pixels as RGBA (gray copied to R, G, B; opaque where there was no alpha).
    public func rgba() -> Image {
        if layout == .rgba { return self }
        var result = [UInt8](repeating: 255, count: width * height * 4)
        let channels = self.channels
        for pixel in 0..<(width * height) {
            let at = pixel * channels, to = pixel * 4
            if channels <= 2 {
                result[to] = samples[at]; result[to + 1] = samples[at]; result[to + 2] = samples[at]
            } else {
                result[to] = samples[at]; result[to + 1] = samples[at + 1]; result[to + 2] = samples[at + 2]
            }
            if layout.hasAlpha { result[to + 3] = samples[at + channels - 1] }
        }
        return Image(uncheckedWidth: width, height: height, layout: .rgba, samples: result)
    }
}

/// Float views of the samples, for feeding a model.
extension Image {
    /// Every sample as `Float(v) * scale + offset` (e.g. scale 1/255 for 0...1).
    public func floatSamples(scale: Float = 1, offset: Float = 0) -> [Float] {
        // A plain loop over the buffers (the compiler vectorises it); `map` costs ~20 instructions a sample.
        samples.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: source.count) { destination, initialized in
                for index in 0..<source.count { destination[index] = Float(source[index]) * scale + offset }
                initialized = source.count
            }
        }
    }

    /// An image from float samples in 0...255, rounded to nearest and clamped; nil when the
    /// count does not match the dimensions.
    public init?(width: Int, height: Int, layout: PixelLayout, floatSamples: [Float]) {
        let bytes = floatSamples.map { value -> UInt8 in
            guard value.isFinite else { return value > 0 ? 255 : 0 }
            return UInt8(Swift.max(0, Swift.min(255, value.rounded())))
        }
        self.init(width: width, height: height, layout: layout, samples: bytes)
    }
}
