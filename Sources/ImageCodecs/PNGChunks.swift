import Compression

/// Transparency from a tRNS chunk, in the file's own sample values.
enum PNGTransparency: Equatable {
    /// Alpha for the first palette entries; the rest are opaque.
    case paletteAlpha([UInt8])
    /// The one gray value (at the file's bit depth) that is fully transparent.
    case grayKey(UInt16)
    /// The one colour (at the file's bit depth) that is fully transparent.
    case rgbKey(UInt16, UInt16, UInt16)
}

/// What the chunks of a PNG file say, with every chunk's CRC checked and the chunk order rules
/// of the specification enforced. Ancillary chunks other than tRNS are skipped.
struct PNGChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    var header: PNGHeader
    /// RGB triples from PLTE; empty when there is none.
    var palette: [UInt8] = []
    var transparency: PNGTransparency?
    /// The zlib stream: all IDAT data, concatenated.
    var compressedData: [UInt8] = []

    init(_ bytes: [UInt8]) throws {
        func invalid(_ message: String) -> ImageDecodingError { ImageDecodingError(.png, .invalid, message) }
        guard bytes.count >= 8, bytes[0..<8].elementsEqual(Self.signature) else {
            throw invalid("the 8-byte PNG signature is damaged (was the file transferred in text mode?)")
        }
        var offset = 8
        var header: PNGHeader?
        var palette: [UInt8] = []
        var transparency: PNGTransparency?
        var idatRanges: [Range<Int>] = []
        var idatFinished = false
        var sawEnd = false

        while !sawEnd {
            guard let length32 = bytes.uint32BE(at: offset), let typeCode = bytes.uint32BE(at: offset + 4) else {
                throw ImageDecodingError(.png, .truncated, "the file ends after \(bytes.count) bytes, before the IEND chunk")
            }
            let type = PNGChunkType(typeCode)
            guard length32 <= 0x7FFF_FFFF else { throw invalid("chunk \(type) claims a length of \(length32) bytes") }
            let length = Int(length32)
            let dataStart = offset + 8
            guard bytes.count - dataStart >= length + 4 else {
                throw ImageDecodingError(.png, .truncated, "the file ends inside the \(type) chunk (the file is cut short)")
            }
            guard type.isWellFormed else { throw invalid("a chunk type contains bytes that are not letters; the file is corrupt") }
            let stored = bytes.uint32BE(at: dataStart + length) ?? 0
            let computed = CRC32.checksum(bytes[(offset + 4)..<(dataStart + length)])
            guard stored == computed else {
                throw ImageDecodingError(.png, .checksumMismatch, "the CRC of the \(type) chunk does not match its contents; the file is corrupt")
            }
            let data = bytes[dataStart..<(dataStart + length)]
            offset = dataStart + length + 4

            if header == nil && type != .ihdr { throw invalid("the first chunk is \(type), not IHDR") }
            if type != .idat && !idatRanges.isEmpty { idatFinished = true }
            switch type {
            case .ihdr:
                guard header == nil else { throw invalid("the file has a second IHDR chunk") }
                header = try PNGHeader(ihdr: data)
            case .plte:
                guard idatRanges.isEmpty else { throw invalid("the PLTE chunk comes after the image data") }
                guard palette.isEmpty else { throw invalid("the file has a second PLTE chunk") }
                guard length > 0, length % 3 == 0, length <= 256 * 3 else {
                    throw invalid("the PLTE chunk is \(length) bytes; it must hold 1 to 256 RGB triples")
                }
                palette = Array(data)
            case .trns:
                guard idatRanges.isEmpty else { throw invalid("the tRNS chunk comes after the image data") }
                if let header { transparency = try Self.parseTransparency(data, header: header, paletteCount: palette.count / 3) }
            case .idat:
                guard !idatFinished else { throw invalid("IDAT chunks are not consecutive") }
                idatRanges.append(data.startIndex..<data.endIndex)
            case .iend:
                sawEnd = true
            default:
                guard type.isAncillary else { throw invalid("unknown critical chunk \(type); this decoder cannot read the file safely") }
            }
        }
        guard let header else { throw invalid("the file has no IHDR chunk") }
        guard !idatRanges.isEmpty else { throw invalid("the file has no image data (IDAT chunk)") }
        if header.colorType == .palette && palette.isEmpty {
            throw invalid("a palette image has no PLTE chunk")
        }
        self.header = header
        self.palette = palette
        self.transparency = transparency
        if idatRanges.count == 1, let only = idatRanges.first {
            compressedData = Array(bytes[only])
        } else {
            compressedData.reserveCapacity(idatRanges.reduce(0) { $0 + $1.count })
            for range in idatRanges { compressedData.append(contentsOf: bytes[range]) }
        }
    }

    private static func parseTransparency(_ data: ArraySlice<UInt8>, header: PNGHeader, paletteCount: Int) throws -> PNGTransparency? {
        let bytes = Array(data)
        switch header.colorType {
        case .palette:
            guard paletteCount > 0 else { throw ImageDecodingError(.png, .invalid, "the tRNS chunk comes before PLTE") }
            guard bytes.count <= paletteCount else {
                throw ImageDecodingError(.png, .invalid, "the tRNS chunk has \(bytes.count) alpha values for a palette of \(paletteCount)")
            }
            return .paletteAlpha(bytes)
        case .gray:
            guard bytes.count == 2 else { throw ImageDecodingError(.png, .invalid, "a grayscale tRNS chunk must be 2 bytes, not \(bytes.count)") }
            return .grayKey(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        case .rgb:
            guard bytes.count == 6 else { throw ImageDecodingError(.png, .invalid, "an RGB tRNS chunk must be 6 bytes, not \(bytes.count)") }
            return .rgbKey(UInt16(bytes[0]) << 8 | UInt16(bytes[1]), UInt16(bytes[2]) << 8 | UInt16(bytes[3]),
                           UInt16(bytes[4]) << 8 | UInt16(bytes[5]))
        case .grayAlpha, .rgba:
            return nil  // Images with an alpha channel must not have tRNS; ignored as libpng does.
        }
    }
}

/// A four-letter chunk type; bit 5 of the first letter (lowercase) marks an ancillary chunk.
struct PNGChunkType: Equatable, CustomStringConvertible {
    let code: UInt32
    init(_ code: UInt32) { self.code = code }

    static let ihdr = PNGChunkType(0x4948_4452)
    static let plte = PNGChunkType(0x504C_5445)
    static let trns = PNGChunkType(0x7452_4E53)
    static let idat = PNGChunkType(0x4944_4154)
    static let iend = PNGChunkType(0x4945_4E44)

    private var letters: [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: code >> $0) } }
    var isWellFormed: Bool {
        for shift: UInt32 in [24, 16, 8, 0] {
            let letter = UInt8(truncatingIfNeeded: code >> shift) & 0xDF  // upper-cased
            guard letter >= 0x41 && letter <= 0x5A else { return false }
        }
        return true
    }
    var isAncillary: Bool { code & 0x2000_0000 != 0 }
    var description: String { isWellFormed ? String(decoding: letters, as: UTF8.self) : "0x" + String(code, radix: 16) }
}
