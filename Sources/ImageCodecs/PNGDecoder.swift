import Compression

/// A PNG decoded without losing precision (see `WideImage`).
public typealias PNGSamples = WideImage

/// PNG decoding: every colour type and bit depth, PLTE and tRNS, Adam7, all five filters, IDAT
/// split over chunks, CRC-32 on every chunk and the zlib Adler-32. Rows are decompressed,
/// unfiltered and expanded as they arrive (`PNGScanlines`), so a decode holds its output and
/// two rows, never the whole decompressed stream; that memory is taken from the limits' budget
/// before it is allocated.
public enum PNGDecoder {
    /// Reads and validates the header chunk only (no pixel data is inflated).
    public static func header(_ bytes: [UInt8]) throws -> PNGHeader {
        try PNGChunks(bytes).header
    }

    /// 8-bit samples as Pillow gives them after `Image.open` and conversion to L/LA/RGB/RGBA:
    /// 16-bit colour and alpha keep each sample's high byte. One deliberate difference: a 16-bit
    /// grayscale image (Pillow mode "I;16") is scaled, `v * 255 / 65535` rounded, where Pillow's
    /// `convert("L")` clips at 255 and turns a 16-bit scan white. Use `decodeSamples` for the
    /// lossless values.
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        let chunks = try PNGChunks(bytes)
        var expansion = PNGPixelExpansion(chunks: chunks)
        let header = chunks.header
        let layout = expansion.layout
        try limits.check(width: header.width, height: header.height, format: .png)
        let count = header.width * header.height * layout.channels
        let share = try limits.reserveMemory(output: count, working: workingBytes(header), width: header.width,
                                             height: header.height, format: .png)
        var samples = [UInt8](repeating: 0, count: count)
        let scalesGray = header.colorType == .gray
        try samples.withUnsafeMutableBufferPointer { output in
            guard let image = output.baseAddress else { return }
            try streamRows(chunks) { pass, row, line in
                if header.bitDepth <= 8 {
                    expansion.expandRow8(line, pass: pass, row: row, into: image)
                } else {
                    expansion.expandRow16(line, pass: pass, row: row) { value, index, isAlpha in
                        image[index] = scalesGray && !isAlpha ? rescaleToByte(Int(value), maxValue: 65535) : UInt8(value >> 8)
                    }
                }
            }
        }
        try expansion.checkPaletteIndexes()
        return Image(uncheckedWidth: header.width, height: header.height, layout: layout, samples: samples)
            .holding(share, limits: limits)
    }

    /// Lossless samples: 16-bit files keep all 16 bits.
    public static func decodeSamples(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> PNGSamples {
        let chunks = try PNGChunks(bytes)
        let header = chunks.header
        guard header.bitDepth == 16 else {
            let image = try decode(bytes, limits: limits)
            return PNGSamples(width: image.width, height: image.height, layout: image.layout, bitDepth: 8,
                              samples: image.samples.map { UInt16($0) })
        }
        let expansion = PNGPixelExpansion(chunks: chunks)
        try limits.check(width: header.width, height: header.height, format: .png)
        let count = header.width * header.height * expansion.layout.channels
        let share = try limits.reserveMemory(output: 2 * count, working: workingBytes(header), width: header.width,
                                             height: header.height, format: .png)
        defer { share.release() }
        var samples = [UInt16](repeating: 0, count: count)
        try samples.withUnsafeMutableBufferPointer { output in
            guard let image = output.baseAddress else { return }
            try streamRows(chunks) { pass, row, line in
                expansion.expandRow16(line, pass: pass, row: row) { value, index, _ in image[index] = value }
            }
        }
        return PNGSamples(width: header.width, height: header.height, layout: expansion.layout, bitDepth: 16, samples: samples)
    }

    /// Memory a decode needs besides its output: two rows and the inflater's window and chunk.
    private static func workingBytes(_ header: PNGHeader) -> Int {
        PNGScanlines.workingBytes(header) + (32 << 10) + (256 << 10)
    }

    /// Inflates the image data piece by piece and hands every unfiltered row to `onRow`.
    private static func streamRows(_ chunks: PNGChunks, _ onRow: (PNGPass, Int, UnsafePointer<UInt8>) throws -> Void) throws {
        let header = chunks.header
        let expected = header.inflatedSize
        var lines = PNGScanlines(header: header)
        var inflated = 0
        do {
            _ = try chunks.compressedData.withUnsafeBytes { data in
                try Inflate.zlib(bytes: data, maxOutputBytes: expected, chunkSize: 64 << 10) { piece in
                    inflated += piece.count
                    try lines.consume(piece, onRow: onRow)
                }
            }
        } catch let error as ImageDecodingError {
            throw error
        } catch {
            throw ImageDecodingError(.png, .invalid, "the compressed image data is damaged (\(error))")
        }
        guard lines.isComplete else {
            throw ImageDecodingError(.png, .truncated,
                "the image data holds \(inflated) bytes once decompressed, \(expected) are needed for \(header.width)x\(header.height); the file is cut short")
        }
    }
}
