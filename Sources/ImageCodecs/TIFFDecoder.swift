/// Baseline TIFF: the first image of the file, in strips, uncompressed or PackBits, LZW or
/// deflate (with or without the horizontal predictor); bilevel, gray, RGB and palette images of
/// 1 to 16 bits per sample, an alpha sample, chunky or planar. The stages live in their own
/// files: the directory (`TIFFDirectory`), the strip codings (`TIFFCompression`); here the
/// strips are put together and turned into samples.
///
/// 8-bit output follows Pillow's `Image.open` then conversion to L/LA/RGB/RGBA: WhiteIsZero is
/// inverted, 1/2/4-bit gray is scaled to 0...255, palette colours keep the high byte of their
/// 16-bit map values, 16-bit colour keeps each sample's high byte, and associated (premultiplied)
/// alpha is divided out (rounded down, as Pillow's RGBa to RGBA). 16-bit gray is scaled, `v * 255 / 65535` rounded (Pillow's
/// `convert("L")` of mode I;16 clips at 255 instead). `decodeWide` keeps 16-bit samples.
public enum TIFFDecoder {
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        let directory = try TIFFDirectory(bytes)
        let layout = outputLayout(directory)
        try limits.check(width: directory.width, height: directory.height, format: .tiff)
        let pixels = directory.width * directory.height
        let share = try limits.reserveMemory(output: pixels * layout.channels, working: workingBytes(directory),
                                             width: directory.width, height: directory.height, format: .tiff)
        let wide = try samples(bytes, directory)
        var output = [UInt8](repeating: 0, count: pixels * layout.channels)
        let colorSamples = directory.colorSamples
        let channels = directory.samplesPerPixel
        let maximum = (1 << directory.bitsPerSample) - 1
        let associatedAlpha = directory.extraSample == 1
        for pixel in 0..<pixels {
            let source = pixel * channels, target = pixel * layout.channels
            if directory.photometric == .palette {
                let index = wide[source]
                for c in 0..<3 { output[target + c] = UInt8(directory.colorMap[c << directory.bitsPerSample + index] >> 8) }
                continue
            }
            let alpha = layout.hasAlpha ? wide[source + colorSamples] : maximum
            for c in 0..<colorSamples {
                var value = wide[source + c]
                if directory.photometric == .whiteIsZero { value = maximum - value }
                // Pillow's RGBa to RGBA: divided by alpha, rounded down; alpha 0 keeps the value.
                if associatedAlpha && alpha != 0 && alpha != maximum { value = min(maximum, value * maximum / alpha) }
                output[target + c] = byte(value, bits: directory.bitsPerSample, isGray: colorSamples == 1)
            }
            if layout.hasAlpha { output[target + colorSamples] = byte(alpha, bits: directory.bitsPerSample, isGray: false) }
        }
        return Image(uncheckedWidth: directory.width, height: directory.height, layout: layout, samples: output)
            .holding(share, limits: limits)
    }

    /// The image at its own depth: 16-bit files keep all 16 bits (other depths as `decode`).
    public static func decodeWide(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> WideImage {
        let directory = try TIFFDirectory(bytes)
        guard directory.bitsPerSample == 16, directory.photometric != .palette, directory.extraSample != 1 else {
            return WideImage(try decode(bytes, limits: limits))
        }
        let layout = outputLayout(directory)
        try limits.check(width: directory.width, height: directory.height, format: .tiff)
        let count = directory.width * directory.height * layout.channels
        let share = try limits.reserveMemory(output: 2 * count, working: workingBytes(directory),
                                             width: directory.width, height: directory.height, format: .tiff)
        defer { share.release() }
        let wide = try samples(bytes, directory)
        let channels = directory.samplesPerPixel
        var output = [UInt16](repeating: 0, count: count)
        for pixel in 0..<(directory.width * directory.height) {
            for c in 0..<layout.channels {
                var value = wide[pixel * channels + c]
                if directory.photometric == .whiteIsZero && c < directory.colorSamples { value = 65535 - value }
                output[pixel * layout.channels + c] = UInt16(value)
            }
        }
        return WideImage(width: directory.width, height: directory.height, layout: layout, bitDepth: 16, samples: output)
    }

    /// Gray (and alpha), RGB (and alpha); palette becomes RGB. An extra sample of unspecified
    /// meaning is dropped, as Pillow's RGBX does.
    private static func outputLayout(_ directory: TIFFDirectory) -> PixelLayout {
        let alpha = directory.extraSample == 1 || directory.extraSample == 2
        switch directory.photometric {
        case .palette: return .rgb
        case .rgb: return alpha ? .rgba : .rgb
        case .whiteIsZero, .blackIsZero: return alpha ? .grayAlpha : .gray
        }
    }

    /// Besides the output: the samples as integers and the largest strip decoded.
    private static func workingBytes(_ directory: TIFFDirectory) -> Int {
        directory.width * directory.height * directory.samplesPerPixel * MemoryLayout<Int>.size
            + directory.rowsPerStrip * directory.rowBytes
    }

    /// A sample of `bits` bits as 8 bits (Pillow's rules, but 16-bit gray scaled, not clipped).
    private static func byte(_ value: Int, bits: Int, isGray: Bool) -> UInt8 {
        switch bits {
        case 8: return UInt8(value)
        case 16: return isGray ? rescaleToByte(value, maxValue: 65535) : UInt8(value >> 8)
        default: return UInt8(value * 255 / ((1 << bits) - 1))
        }
    }

    /// Every sample of the image, chunky order (pixel by pixel), as stored: strips decoded,
    /// the predictor undone, bits unpacked, 16-bit values in the file's byte order.
    private static func samples(_ bytes: [UInt8], _ directory: TIFFDirectory) throws -> [Int] {
        let width = directory.width, height = directory.height
        let planes = directory.planar ? directory.samplesPerPixel : 1
        let perRow = directory.planar ? 1 : directory.samplesPerPixel  // samples per pixel in one stored row
        let rowBytes = directory.rowBytes
        let stripsPerPlane = (height + directory.rowsPerStrip - 1) / directory.rowsPerStrip
        var samples = [Int](repeating: 0, count: width * height * directory.samplesPerPixel)
        for plane in 0..<planes {
            for strip in 0..<stripsPerPlane {
                let firstRow = strip * directory.rowsPerStrip
                let rows = min(directory.rowsPerStrip, height - firstRow)
                let index = plane * stripsPerPlane + strip
                let offset = directory.stripOffsets[index], count = directory.stripByteCounts[index]
                var data = try TIFFCompression.decode(bytes[offset..<(offset + count)], compression: directory.compression,
                                                      expected: rows * rowBytes)
                if directory.predictor { undoPredictor(&data, directory: directory, rows: rows, samplesPerPixel: perRow) }
                for row in 0..<rows {
                    let y = firstRow + row
                    unpackRow(data, from: row * rowBytes, count: width * perRow, directory: directory) { position, value in
                        let pixel = y * width + position / perRow
                        let sample = directory.planar ? plane : position % perRow
                        samples[pixel * directory.samplesPerPixel + sample] = value
                    }
                }
            }
        }
        return samples
    }

    /// Horizontal differencing (predictor 2): each sample was stored as its difference from
    /// the same sample of the pixel to its left, modulo 2^bits.
    private static func undoPredictor(_ data: inout [UInt8], directory: TIFFDirectory, rows: Int, samplesPerPixel: Int) {
        let rowBytes = directory.rowBytes
        if directory.bitsPerSample == 8 {
            for row in 0..<rows {
                let start = row * rowBytes
                for index in stride(from: start + samplesPerPixel, to: start + rowBytes, by: 1) {
                    data[index] = data[index] &+ data[index - samplesPerPixel]
                }
            }
        } else {
            let step = samplesPerPixel * 2
            for row in 0..<rows {
                let start = row * rowBytes
                for index in stride(from: start + step, to: start + rowBytes - 1, by: 2) {
                    let value = sample16(data, index, directory.bigEndian) &+ sample16(data, index - step, directory.bigEndian)
                    if directory.bigEndian {
                        data[index] = UInt8(value >> 8); data[index + 1] = UInt8(value & 0xFF)
                    } else {
                        data[index] = UInt8(value & 0xFF); data[index + 1] = UInt8(value >> 8)
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func sample16(_ data: [UInt8], _ index: Int, _ bigEndian: Bool) -> UInt16 {
        bigEndian ? UInt16(data[index]) << 8 | UInt16(data[index + 1]) : UInt16(data[index + 1]) << 8 | UInt16(data[index])
    }

    /// Hands `count` samples of one row starting at byte `start` to `store(position, value)`.
    @inline(__always)
    private static func unpackRow(_ data: [UInt8], from start: Int, count: Int, directory: TIFFDirectory,
                                  store: (Int, Int) -> Void) {
        switch directory.bitsPerSample {
        case 8:
            for position in 0..<count { store(position, Int(data[start + position])) }
        case 16:
            for position in 0..<count { store(position, Int(sample16(data, start + 2 * position, directory.bigEndian))) }
        default:
            let bits = directory.bitsPerSample, mask = (1 << bits) - 1
            for position in 0..<count {
                let bit = position * bits
                store(position, Int(data[start + bit >> 3] >> (8 - bits - (bit & 7))) & mask)
            }
        }
    }
}
