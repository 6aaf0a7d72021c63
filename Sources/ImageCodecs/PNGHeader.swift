/// PNG colour types (IHDR byte 9) and what each stores per pixel.
public enum PNGColorType: UInt8, Sendable {
    case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

    /// Samples per pixel in the file (a palette index counts as one).
    var samplesPerPixel: Int {
        switch self {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    /// Bit depths the specification allows for this colour type.
    var allowedBitDepths: [Int] {
        switch self {
        case .gray: return [1, 2, 4, 8, 16]
        case .palette: return [1, 2, 4, 8]
        case .rgb, .grayAlpha, .rgba: return [8, 16]
        }
    }
}

/// The IHDR chunk, validated.
public struct PNGHeader: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let bitDepth: Int
    public let colorType: PNGColorType
    public let interlaced: Bool

    var bitsPerPixel: Int { bitDepth * colorType.samplesPerPixel }
    /// The filter's byte distance to the previous pixel ("bpp" in the specification): at least 1.
    var filterStep: Int { max(1, bitsPerPixel / 8) }

    /// Bytes in one filtered row of `pixels` pixels, without the filter-type byte.
    func rowBytes(pixels: Int) -> Int { (pixels * bitsPerPixel + 7) / 8 }

    init(ihdr data: ArraySlice<UInt8>) throws {
        func invalid(_ message: String) -> ImageDecodingError { ImageDecodingError(.png, .invalid, message) }
        guard data.count == 13 else { throw invalid("the IHDR chunk is \(data.count) bytes long instead of 13") }
        let bytes = Array(data)
        let rawWidth = bytes.uint32BE(at: 0) ?? 0, rawHeight = bytes.uint32BE(at: 4) ?? 0
        guard rawWidth > 0, rawHeight > 0, rawWidth <= 0x7FFF_FFFF, rawHeight <= 0x7FFF_FFFF else {
            throw invalid("the header gives a size of \(rawWidth)x\(rawHeight); both sides must be between 1 and 2^31-1")
        }
        guard let colorType = PNGColorType(rawValue: bytes[9]) else {
            throw invalid("colour type \(bytes[9]) does not exist (valid: 0, 2, 3, 4, 6)")
        }
        let bitDepth = Int(bytes[8])
        guard colorType.allowedBitDepths.contains(bitDepth) else {
            throw invalid("bit depth \(bitDepth) is not allowed for colour type \(colorType.rawValue) (allowed: \(colorType.allowedBitDepths.map(String.init).joined(separator: ", ")))")
        }
        guard bytes[10] == 0 else { throw invalid("compression method \(bytes[10]) is unknown (only 0, deflate, exists)") }
        guard bytes[11] == 0 else { throw invalid("filter method \(bytes[11]) is unknown (only 0 exists)") }
        guard bytes[12] <= 1 else { throw invalid("interlace method \(bytes[12]) is unknown (0 none, 1 Adam7)") }
        self.width = Int(rawWidth)
        self.height = Int(rawHeight)
        self.bitDepth = bitDepth
        self.colorType = colorType
        self.interlaced = bytes[12] == 1
    }

    /// The reduced images stored one after another: the whole image, or Adam7's seven passes.
    var passes: [PNGPass] {
        guard interlaced else { return [PNGPass(x0: 0, y0: 0, dx: 1, dy: 1, width: width, height: height)] }
        let adam7: [(Int, Int, Int, Int)] = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                                             (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return adam7.map { x0, y0, dx, dy in
            PNGPass(x0: x0, y0: y0, dx: dx, dy: dy,
                    width: width > x0 ? (width - x0 + dx - 1) / dx : 0,
                    height: height > y0 ? (height - y0 + dy - 1) / dy : 0)
        }
    }

    /// Size of the decompressed image data: every non-empty pass's rows, each with a filter byte.
    var inflatedSize: Int {
        passes.reduce(0) { total, pass in
            pass.isEmpty ? total : total + pass.height * (1 + rowBytes(pixels: pass.width))
        }
    }
}

/// One reduced image: pixel (i, j) of the pass is pixel (x0 + i*dx, y0 + j*dy) of the image.
struct PNGPass {
    let x0: Int, y0: Int, dx: Int, dy: Int
    let width: Int, height: Int
    var isEmpty: Bool { width == 0 || height == 0 }
}
