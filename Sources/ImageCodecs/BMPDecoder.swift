/// Windows bitmaps: uncompressed 1/4/8-bit palette, 16/32-bit with channel masks, 24/32-bit
/// BGR; bottom-up (positive height) and top-down (negative height). Follows Pillow's reading:
/// a plain 32-bit file is BGRX (the fourth byte is not alpha), alpha is taken only from an
/// explicit BITFIELDS alpha mask, and a palette of greys yields a grayscale image.
public enum BMPDecoder {
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        let header = try BMPHeader(bytes)
        try limits.check(width: header.width, height: header.height, format: .bmp)
        let stride = ((header.bitsPerPixel * header.width + 31) / 32) * 4
        let (needed, overflow) = stride.multipliedReportingOverflow(by: header.height)
        guard !overflow, header.pixelOffset <= bytes.count, needed <= bytes.count - header.pixelOffset else {
            throw ImageDecodingError(.bmp, .truncated,
                "pixel data ends early: \(header.width)x\(header.height) at \(header.bitsPerPixel) bits needs \(needed) bytes after offset \(header.pixelOffset), the file has \(max(0, bytes.count - header.pixelOffset))")
        }
        let channels = header.bitsPerPixel <= 8
            ? (header.palette.allSatisfy { $0.0 == $0.1 && $0.1 == $0.2 } ? 1 : 3)
            : (header.masks.alpha != 0 ? 4 : 3)
        let share = try limits.reserveMemory(output: header.width * header.height * channels, working: 0,
                                             width: header.width, height: header.height, format: .bmp)
        if header.bitsPerPixel <= 8 {
            return try decodePalette(bytes, header: header, stride: stride).holding(share, limits: limits)
        }
        return decodeDirect(bytes, header: header, stride: stride).holding(share, limits: limits)
    }

    /// Offset of the first byte of image row `y` (0 = top) in the file.
    private static func rowStart(_ y: Int, header: BMPHeader, stride: Int) -> Int {
        header.pixelOffset + (header.topDown ? y : header.height - 1 - y) * stride
    }

    private static func decodePalette(_ bytes: [UInt8], header: BMPHeader, stride: Int) throws -> Image {
        let palette = header.palette
        let allGray = palette.allSatisfy { $0.0 == $0.1 && $0.1 == $0.2 }
        let layout: PixelLayout = allGray ? .gray : .rgb
        let channels = layout.channels
        var samples = [UInt8](repeating: 0, count: header.width * header.height * channels)
        let bits = header.bitsPerPixel
        let perByte = 8 / bits
        let mask = (1 << bits) - 1
        var badIndex: Int? = nil
        bytes.withUnsafeBufferPointer { input in
            samples.withUnsafeMutableBufferPointer { output in
                for y in 0..<header.height {
                    let start = rowStart(y, header: header, stride: stride)
                    var out = y * header.width * channels
                    for x in 0..<header.width {
                        let byte = Int(input[start + x / perByte])
                        let shift = 8 - bits * (x % perByte + 1)
                        let index = (byte >> shift) & mask
                        guard index < palette.count else { badIndex = index; return }
                        let entry = palette[index]
                        if allGray {
                            output[out] = entry.0
                        } else {
                            output[out] = entry.0; output[out + 1] = entry.1; output[out + 2] = entry.2
                        }
                        out += channels
                    }
                }
            }
        }
        if let badIndex {
            throw ImageDecodingError(.bmp, .invalid,
                "a pixel uses colour index \(badIndex) but the palette has only \(palette.count) entries")
        }
        return Image(uncheckedWidth: header.width, height: header.height, layout: layout, samples: samples)
    }

    private static func decodeDirect(_ bytes: [UInt8], header: BMPHeader, stride: Int) -> Image {
        let layout: PixelLayout = header.masks.alpha != 0 ? .rgba : .rgb
        let channels = layout.channels
        let bytesPerPixel = header.bitsPerPixel / 8
        var samples = [UInt8](repeating: 0, count: header.width * header.height * channels)
        let fields = [header.masks.red, header.masks.green, header.masks.blue, header.masks.alpha].map(MaskField.init)
        let plainBGR = header.bitsPerPixel == 24
            || (header.masks.red == 0xFF_0000 && header.masks.green == 0xFF00 && header.masks.blue == 0xFF
                && (header.masks.alpha == 0 || header.masks.alpha == 0xFF00_0000))
        bytes.withUnsafeBufferPointer { input in
            samples.withUnsafeMutableBufferPointer { output in
                for y in 0..<header.height {
                    var at = rowStart(y, header: header, stride: stride)
                    var out = y * header.width * channels
                    if plainBGR {
                        for _ in 0..<header.width {
                            output[out] = input[at + 2]; output[out + 1] = input[at + 1]; output[out + 2] = input[at]
                            if channels == 4 { output[out + 3] = input[at + 3] }
                            at += bytesPerPixel; out += channels
                        }
                        continue
                    }
                    for _ in 0..<header.width {
                        var pixel: UInt32 = 0
                        for byte in 0..<bytesPerPixel { pixel |= UInt32(input[at + byte]) << (8 * byte) }
                        for channel in 0..<channels { output[out + channel] = fields[channel].extract(pixel) }
                        at += bytesPerPixel; out += channels
                    }
                }
            }
        }
        return Image(uncheckedWidth: header.width, height: header.height, layout: layout, samples: samples)
    }
}

/// One colour channel described by a BITFIELDS mask, scaled from its width to 8 bits.
private struct MaskField {
    let shift: UInt32
    let maximum: UInt32

    init(_ mask: UInt32) {
        shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
        maximum = mask == 0 ? 0 : mask >> shift
    }

    @inline(__always)
    func extract(_ pixel: UInt32) -> UInt8 {
        guard maximum > 0 else { return 0 }
        let value = (pixel >> shift) & maximum
        // Truncating division, as Pillow's unpackers; 64-bit so a 32-bit-wide mask cannot overflow.
        return maximum == 255 ? UInt8(value) : UInt8(UInt64(value) * 255 / UInt64(maximum))
    }
}

/// The file header and DIB header: what the pixels look like and where they are.
struct BMPHeader {
    var width = 0
    var height = 0
    var topDown = false
    var bitsPerPixel = 0
    var pixelOffset = 0
    var palette: [(UInt8, UInt8, UInt8)] = []
    var masks = (red: UInt32(0), green: UInt32(0), blue: UInt32(0), alpha: UInt32(0))

    private static let fileHeaderSize = 14

    init(_ bytes: [UInt8]) throws {
        func truncated(_ what: String) -> ImageDecodingError {
            ImageDecodingError(.bmp, .truncated, "the file ends inside the \(what)")
        }
        guard let offset = bytes.uint32LE(at: 10), let dibSize = bytes.uint32LE(at: 14) else {
            throw truncated("file header")
        }
        pixelOffset = Int(offset)
        let dib = Self.fileHeaderSize
        var compression: UInt32 = 0
        var colorsUsed = 0
        var paletteEntrySize = 4
        if dibSize == 12 {
            // BITMAPCOREHEADER (OS/2): 16-bit sizes, 3-byte palette entries, always bottom-up.
            guard let w = bytes.uint16LE(at: dib + 4), let h = bytes.uint16LE(at: dib + 6),
                  let bpp = bytes.uint16LE(at: dib + 10) else { throw truncated("BITMAPCOREHEADER") }
            width = Int(w); height = Int(h); bitsPerPixel = Int(bpp)
            paletteEntrySize = 3
        } else if dibSize >= 40 && dibSize <= 4096 {
            guard let w = bytes.uint32LE(at: dib + 4), let h = bytes.uint32LE(at: dib + 8),
                  let bpp = bytes.uint16LE(at: dib + 14), let comp = bytes.uint32LE(at: dib + 16),
                  let used = bytes.uint32LE(at: dib + 32) else { throw truncated("BITMAPINFOHEADER") }
            width = Int(Int32(bitPattern: w))
            let signedHeight = Int(Int32(bitPattern: h))
            topDown = signedHeight < 0
            height = abs(signedHeight)
            bitsPerPixel = Int(bpp)
            compression = comp
            colorsUsed = Int(used)
        } else {
            throw ImageDecodingError(.bmp, .invalid, "unknown DIB header size \(dibSize) (expected 12, 40, 52, 56, 108 or 124)")
        }
        guard width > 0, height > 0 else {
            throw ImageDecodingError(.bmp, .invalid, "the header gives a size of \(width)x\(height); both sides must be at least 1")
        }
        let bitfields: UInt32 = 3, alphaBitfields: UInt32 = 6
        switch compression {
        case 0:
            break
        case bitfields, alphaBitfields:
            guard bitsPerPixel == 16 || bitsPerPixel == 32 else {
                throw ImageDecodingError(.bmp, .invalid, "BITFIELDS compression needs 16 or 32 bits per pixel, not \(bitsPerPixel)")
            }
        case 1, 2:
            throw ImageDecodingError(.bmp, .unsupported, "run-length compressed (RLE\(compression == 1 ? 8 : 4)) bitmaps are not supported; save it uncompressed")
        default:
            throw ImageDecodingError(.bmp, .unsupported, "compression type \(compression) (embedded JPEG/PNG or unknown) is not supported; save it uncompressed")
        }
        switch bitsPerPixel {
        case 1, 2, 4, 8, 16, 24, 32: break
        default: throw ImageDecodingError(.bmp, .invalid, "\(bitsPerPixel) bits per pixel is not a valid bitmap depth")
        }

        // Channel masks: inside the header from V2 (52 bytes) on, else just after a 40-byte header.
        if compression == bitfields || compression == alphaBitfields {
            let maskCount = (compression == alphaBitfields || dibSize >= 56) ? 4 : 3
            guard let r = bytes.uint32LE(at: dib + 40), let g = bytes.uint32LE(at: dib + 44),
                  let b = bytes.uint32LE(at: dib + 48) else { throw truncated("BITFIELDS masks") }
            let a = maskCount == 4 ? (bytes.uint32LE(at: dib + 52) ?? 0) : 0
            masks = (r, g, b, a)
            func isOneRun(_ mask: UInt32) -> Bool {
                let shifted = mask >> UInt32(mask.trailingZeroBitCount % 32)
                return shifted & (shifted &+ 1) == 0
            }
            let colourMaskMissing = r == 0 || g == 0 || b == 0
            for mask in [r, g, b, a] where colourMaskMissing || !isOneRun(mask) {
                throw ImageDecodingError(.bmp, .invalid, "channel mask 0x\(String(mask, radix: 16)) is not one run of bits")
            }
        } else if bitsPerPixel == 16 {
            masks = (0x7C00, 0x03E0, 0x001F, 0)
        } else if bitsPerPixel >= 24 {
            masks = (0xFF_0000, 0xFF00, 0xFF, 0)
        }

        if bitsPerPixel <= 8 {
            let maxEntries = 1 << bitsPerPixel
            let count = colorsUsed == 0 ? maxEntries : colorsUsed
            guard count <= maxEntries else {
                throw ImageDecodingError(.bmp, .invalid, "the header claims \(count) palette colours for a \(bitsPerPixel)-bit image (at most \(maxEntries))")
            }
            var paletteStart = dib + Int(dibSize)
            if compression == bitfields && dibSize == 40 { paletteStart += 12 }
            guard paletteStart + count * paletteEntrySize <= bytes.count else { throw truncated("colour palette") }
            palette.reserveCapacity(count)
            for entry in 0..<count {
                let at = paletteStart + entry * paletteEntrySize
                palette.append((bytes[at + 2], bytes[at + 1], bytes[at]))
            }
        }
    }
}
