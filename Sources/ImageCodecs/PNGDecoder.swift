import Compression

/// A PNG decoded without losing precision: samples are UInt16 holding 8-bit values (0...255)
/// when `bitDepth` is 8 and the file's own 16-bit values when it is 16. Palette expanded, tRNS
/// turned into alpha, 1/2/4-bit gray scaled to 8 bits.
public struct PNGSamples: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let layout: PixelLayout
    /// 8 or 16.
    public let bitDepth: Int
    public let samples: [UInt16]

    /// The samples as RGBA: gray copied into R, G and B, missing alpha set to the maximum.
    public func rgba() -> [UInt16] {
        let opaque: UInt16 = bitDepth == 16 ? 65535 : 255
        let channels = layout.channels
        var result = [UInt16](repeating: opaque, count: width * height * 4)
        for pixel in 0..<(width * height) {
            let source = pixel * channels, target = pixel * 4
            switch layout {
            case .gray, .grayAlpha:
                result[target] = samples[source]; result[target + 1] = samples[source]; result[target + 2] = samples[source]
            case .rgb, .rgba:
                result[target] = samples[source]; result[target + 1] = samples[source + 1]; result[target + 2] = samples[source + 2]
            }
            if layout.hasAlpha { result[target + 3] = samples[source + channels - 1] }
        }
        return result
    }
}

/// PNG decoding: every colour type and bit depth, PLTE and tRNS, Adam7, all five filters, IDAT
/// split over chunks, CRC-32 on every chunk and the zlib Adler-32.
public enum PNGDecoder {
    /// Reads and validates the header chunk only (no pixel data is inflated).
    public static func header(_ bytes: [UInt8]) throws -> PNGHeader {
        try PNGChunks(bytes).header
    }

    /// 8-bit samples as Pillow gives them after `Image.open` and conversion to L/LA/RGB/RGBA:
    /// 16-bit colour keeps each sample's high byte; a 16-bit grayscale image (Pillow mode
    /// "I;16") clips at 255 as Pillow's `convert("L")` does. Use `decodeSamples` for the
    /// lossless values.
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        let chunks = try PNGChunks(bytes)
        let expansion = PNGPixelExpansion(chunks: chunks)
        let header = chunks.header
        let raw = try inflateAndUnfilter(chunks, limits: limits)
        if header.bitDepth <= 8 {
            let samples = try raw.withUnsafeBufferPointer { try expansion.expand8($0) }
            return Image(uncheckedWidth: header.width, height: header.height, layout: expansion.layout, samples: samples)
        }
        let wide = raw.withUnsafeBufferPointer { expansion.expand16($0) }
        let layout = expansion.layout
        let clipsGray = header.colorType == .gray
        var samples = [UInt8](repeating: 0, count: wide.count)
        let channels = layout.channels
        for index in 0..<wide.count {
            let isAlpha = layout.hasAlpha && index % channels == channels - 1
            if clipsGray && !isAlpha {
                samples[index] = UInt8(min(wide[index], 255))
            } else {
                samples[index] = UInt8(wide[index] >> 8)
            }
        }
        return Image(uncheckedWidth: header.width, height: header.height, layout: layout, samples: samples)
    }

    /// Lossless samples: 16-bit files keep all 16 bits.
    public static func decodeSamples(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> PNGSamples {
        let chunks = try PNGChunks(bytes)
        let expansion = PNGPixelExpansion(chunks: chunks)
        let header = chunks.header
        let raw = try inflateAndUnfilter(chunks, limits: limits)
        let samples: [UInt16]
        if header.bitDepth <= 8 {
            samples = try raw.withUnsafeBufferPointer { try expansion.expand8($0) }.map { UInt16($0) }
        } else {
            samples = raw.withUnsafeBufferPointer { expansion.expand16($0) }
        }
        return PNGSamples(width: header.width, height: header.height, layout: expansion.layout,
                          bitDepth: header.bitDepth == 16 ? 16 : 8, samples: samples)
    }

    /// Checks the size limit, inflates the zlib stream and undoes each pass's row filters.
    private static func inflateAndUnfilter(_ chunks: PNGChunks, limits: DecodingLimits) throws -> [UInt8] {
        let header = chunks.header
        try limits.check(width: header.width, height: header.height, format: .png)
        let expected = header.inflatedSize
        var raw: [UInt8]
        do {
            raw = try chunks.compressedData.withUnsafeBytes {
                try Inflate.zlib(bytes: $0, expectedSize: expected, maxOutputBytes: expected)
            }
        } catch {
            throw ImageDecodingError(.png, .invalid, "the compressed image data is damaged (\(error))")
        }
        guard raw.count >= expected else {
            throw ImageDecodingError(.png, .truncated,
                "the image data holds \(raw.count) bytes once decompressed, \(expected) are needed for \(header.width)x\(header.height); the file is cut short")
        }
        try raw.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for pass in header.passes where !pass.isEmpty {
                let rowBytes = header.rowBytes(pixels: pass.width)
                try PNGUnfilter.unfilter(buffer, start: offset, rows: pass.height, rowBytes: rowBytes, step: header.filterStep)
                offset += pass.height * (rowBytes + 1)
            }
        }
        return raw
    }
}
