/// Binary netpbm files: P4 (bitmap), P5 (graymap), P6 (pixmap) and P7 (PAM). Samples with a
/// maximum other than 255 are rescaled to 0...255 as Pillow does (rounding half to even). A
/// 16-bit graymap is scaled the same way, where Pillow's mode "I" converted to "L" clips at 255
/// (a deliberate difference: a 16-bit scan must not come out white).
public enum PNMDecoder {
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        var scanner = PNMHeaderScanner(bytes: bytes)
        let header = try scanner.readHeader()
        try limits.check(width: header.width, height: header.height, format: .pnm)
        let outputBytes = header.width * header.height * (header.isBitmap ? 1 : header.layout.channels)
        let share = try limits.reserveMemory(output: outputBytes, working: 0, width: header.width,
                                             height: header.height, format: .pnm)
        return try decodePixels(bytes, header: header, dataStart: scanner.position).holding(share, limits: limits)
    }

    /// The image at its own depth: a file with a maximum above 255 keeps 16 bits (scaled to
    /// 0...65535 when its maximum is another value); others as `decode`.
    public static func decodeWide(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> WideImage {
        var scanner = PNMHeaderScanner(bytes: bytes)
        let header = try scanner.readHeader()
        guard header.maxValue > 255, !header.isBitmap else { return WideImage(try decode(bytes, limits: limits)) }
        try limits.check(width: header.width, height: header.height, format: .pnm)
        let count = header.width * header.height * header.layout.channels
        let share = try limits.reserveMemory(output: 2 * count, working: 0, width: header.width, height: header.height, format: .pnm)
        defer { share.release() }
        let dataStart = scanner.position
        try requireBytes(2 * count, available: bytes.count - dataStart, header: header)
        var samples = [UInt16](repeating: 0, count: count)
        for index in 0..<count {
            let value = Int(bytes[dataStart + 2 * index]) << 8 | Int(bytes[dataStart + 2 * index + 1])
            samples[index] = UInt16(header.maxValue == 65535 ? value : rescaleToWord(value, maxValue: header.maxValue))
        }
        return WideImage(width: header.width, height: header.height, layout: header.layout, bitDepth: 16, samples: samples)
    }

    private static func decodePixels(_ bytes: [UInt8], header: PNMHeader, dataStart: Int) throws -> Image {
        let available = bytes.count - dataStart

        if header.isBitmap {
            // P4 and PAM BLACKANDWHITE: P4 packs 8 pixels a byte with 1 = black; PAM stores a
            // byte per pixel with 1 = white.
            let packed = header.magic == "P4"
            let stride = packed ? (header.width + 7) / 8 : header.width
            try requireBytes(stride * header.height, available: available, header: header)
            var samples = [UInt8](repeating: 0, count: header.width * header.height)
            for y in 0..<header.height {
                let row = dataStart + y * stride
                for x in 0..<header.width {
                    let bit = packed ? (bytes[row + x / 8] >> (7 - UInt8(x % 8))) & 1 : (bytes[row + x] == 0 ? 1 : 0)
                    samples[y * header.width + x] = bit == 1 ? 0 : 255
                }
            }
            return Image(uncheckedWidth: header.width, height: header.height, layout: .gray, samples: samples)
        }

        let channels = header.layout.channels
        let count = header.width * header.height * channels
        let bytesPerSample = header.maxValue > 255 ? 2 : 1
        try requireBytes(count * bytesPerSample, available: available, header: header)
        var samples = [UInt8](repeating: 0, count: count)
        if bytesPerSample == 1 && header.maxValue == 255 {
            samples.replaceSubrange(0..<count, with: bytes[dataStart..<(dataStart + count)])
        } else {
            for index in 0..<count {
                let value = bytesPerSample == 1
                    ? Int(bytes[dataStart + index])
                    : Int(bytes[dataStart + 2 * index]) << 8 | Int(bytes[dataStart + 2 * index + 1])
                samples[index] = rescaleToByte(value, maxValue: header.maxValue)
            }
        }
        return Image(uncheckedWidth: header.width, height: header.height, layout: header.layout, samples: samples)
    }

    private static func requireBytes(_ needed: Int, available: Int, header: PNMHeader) throws {
        guard needed <= available else {
            throw ImageDecodingError(.pnm, .truncated,
                "pixel data ends early: a \(header.width)x\(header.height) \(header.magic) image needs \(needed) bytes, the file has \(max(0, available))")
        }
    }

    /// `value * 65535 / maxValue`, rounded half to even.
    private static func rescaleToWord(_ value: Int, maxValue: Int) -> Int {
        let scaled = Swift.min(value, maxValue) * 65535
        var quotient = scaled / maxValue
        let twiceRemainder = 2 * (scaled % maxValue)
        if twiceRemainder > maxValue || (twiceRemainder == maxValue && quotient & 1 == 1) { quotient += 1 }
        return quotient
    }
}

struct PNMHeader {
    var magic = ""
    var width = 0
    var height = 0
    var maxValue = 1
    var layout: PixelLayout = .gray
    /// One bit per pixel: P4, or PAM with TUPLTYPE BLACKANDWHITE.
    var isBitmap = false
}

/// Reads the ASCII header: whitespace-separated fields with `#` comments (P4-P6) or
/// `KEY value` lines up to ENDHDR (P7). Leaves `position` at the first pixel byte.
struct PNMHeaderScanner {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> ImageDecodingError { ImageDecodingError(.pnm, .invalid, message) }

    mutating func readHeader() throws -> PNMHeader {
        guard bytes.count >= 2 else { throw ImageDecodingError(.pnm, .truncated, "the file ends inside its header") }
        var header = PNMHeader()
        header.magic = String(decoding: bytes[0..<2], as: UTF8.self)
        position = 2
        switch header.magic {
        case "P4":
            header.width = try readNumber("width")
            header.height = try readNumber("height")
            header.isBitmap = true
        case "P5", "P6":
            header.width = try readNumber("width")
            header.height = try readNumber("height")
            header.maxValue = try readNumber("maximum value")
            header.layout = header.magic == "P5" ? .gray : .rgb
        case "P7":
            try readPAMHeader(&header)
            return header
        default:
            throw fail("unknown netpbm type \(header.magic); only binary P4, P5, P6 and P7 are read")
        }
        guard (1...65535).contains(header.maxValue) else {
            throw fail("maximum sample value \(header.maxValue) is outside 1...65535")
        }
        // Exactly one whitespace byte separates the header from the pixels.
        guard position < bytes.count, Self.isSpace(bytes[position]) else {
            throw ImageDecodingError(.pnm, .truncated, "the header is not followed by pixel data")
        }
        position += 1
        return header
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private mutating func skipSpaceAndComments() {
        while position < bytes.count {
            if Self.isSpace(bytes[position]) {
                position += 1
            } else if bytes[position] == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
            } else {
                return
            }
        }
    }

    private mutating func readNumber(_ what: String) throws -> Int {
        skipSpaceAndComments()
        var value = 0
        var digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            digits += 1
            position += 1
            guard digits <= 9 else { throw fail("the \(what) has too many digits") }
        }
        guard digits > 0 else {
            if position >= bytes.count { throw ImageDecodingError(.pnm, .truncated, "the file ends before the \(what)") }
            throw fail("expected the \(what) as a decimal number")
        }
        return value
    }

    private mutating func readPAMHeader(_ header: inout PNMHeader) throws {
        var depth: Int?
        var tupleType = ""
        var width: Int?, height: Int?, maxValue: Int?
        while true {
            // One line at a time.
            guard position < bytes.count else { throw ImageDecodingError(.pnm, .truncated, "the PAM header has no ENDHDR line") }
            var end = position
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            guard end - position <= 1024 else { throw fail("a PAM header line is longer than 1024 bytes") }
            let line = String(decoding: bytes[position..<end], as: UTF8.self)
            position = Swift.min(end + 1, bytes.count)
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let key = words.first, !key.hasPrefix("#") else { continue }
            let value = words.dropFirst().joined(separator: " ")
            func number() throws -> Int {
                guard let number = Int(value), number >= 0, number < 1_000_000_000 else {
                    throw fail("PAM \(key) must be a whole number, got '\(value)'")
                }
                return number
            }
            switch key {
            case "ENDHDR":
                guard let width, let height, let depth, let maxValue else {
                    throw fail("the PAM header must give WIDTH, HEIGHT, DEPTH and MAXVAL")
                }
                guard (1...65535).contains(maxValue) else { throw fail("MAXVAL \(maxValue) is outside 1...65535") }
                header.width = width; header.height = height; header.maxValue = maxValue
                try resolvePAMLayout(&header, depth: depth, tupleType: tupleType)
                return
            case "WIDTH": width = try number()
            case "HEIGHT": height = try number()
            case "DEPTH": depth = try number()
            case "MAXVAL": maxValue = try number()
            case "TUPLTYPE": tupleType = value
            default: throw fail("unknown PAM header field '\(key)'")
            }
        }
    }

    private func resolvePAMLayout(_ header: inout PNMHeader, depth: Int, tupleType: String) throws {
        switch (tupleType, depth) {
        case ("BLACKANDWHITE", 1):
            header.isBitmap = true
        case ("GRAYSCALE", 1), ("", 1): header.layout = .gray
        case ("GRAYSCALE_ALPHA", 2), ("", 2): header.layout = .grayAlpha
        case ("RGB", 3), ("", 3): header.layout = .rgb
        case ("RGB_ALPHA", 4), ("", 4): header.layout = .rgba
        default:
            throw fail("PAM TUPLTYPE '\(tupleType)' with DEPTH \(depth) is not an image layout this decoder reads")
        }
    }
}
