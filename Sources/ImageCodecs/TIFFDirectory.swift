/// The first image file directory (IFD) of a baseline TIFF (TIFF 6.0 part 1), in either byte
/// order, with the fields a strip decoder needs, checked against what this decoder reads:
/// strips (not tiles), chunky or planar samples of 1 to 16 bits, unsigned integers.
struct TIFFDirectory {
    enum Compression: Int {
        case none = 1, lzw = 5, deflate = 8, packBits = 32773
    }

    enum Photometric: Int {
        case whiteIsZero = 0, blackIsZero = 1, rgb = 2, palette = 3
    }

    let bigEndian: Bool
    let width: Int
    let height: Int
    let bitsPerSample: Int
    let samplesPerPixel: Int
    let compression: Compression
    let photometric: Photometric
    /// Chunky (all samples of a pixel together) or planar (one strip set per sample).
    let planar: Bool
    let predictor: Bool
    let rowsPerStrip: Int
    let stripOffsets: [Int]
    let stripByteCounts: [Int]
    /// 3 x 2^bits values (all reds, then greens, then blues), 16-bit; empty unless palette.
    let colorMap: [Int]
    /// The ExtraSamples meaning of the sample after the colour ones: 1 associated alpha,
    /// 2 unassociated alpha, 0 unspecified; nil when there is none.
    let extraSample: Int?

    /// Colour samples per pixel (without the extra one).
    var colorSamples: Int { photometric == .rgb ? 3 : 1 }

    /// Bytes in one stored row of one strip: all samples (chunky) or one (planar).
    var rowBytes: Int { (width * bitsPerSample * (planar ? 1 : samplesPerPixel) + 7) / 8 }

    private static func invalid(_ message: String) -> ImageDecodingError { ImageDecodingError(.tiff, .invalid, message) }
    private static func unsupported(_ message: String) -> ImageDecodingError { ImageDecodingError(.tiff, .unsupported, message) }

    init(_ bytes: [UInt8]) throws {
        let reader = try TIFFReader(bytes)
        bigEndian = reader.bigEndian
        let fields = try reader.firstDirectory()
        func value(_ tag: Int) -> [Int]? { fields[tag] }
        func single(_ tag: Int, _ name: String, default fallback: Int? = nil) throws -> Int {
            if let values = fields[tag], let first = values.first { return first }
            if let fallback { return fallback }
            throw TIFFDirectory.invalid("the required field \(name) (tag \(tag)) is missing")
        }

        if fields[322] != nil || fields[323] != nil {
            throw TIFFDirectory.unsupported("tiled TIFF is not supported; save the image with strips")
        }
        width = try single(256, "ImageWidth")
        height = try single(257, "ImageLength")
        samplesPerPixel = try single(277, "SamplesPerPixel", default: 1)
        let bits = value(258) ?? [1]
        guard let firstBits = bits.first, bits.allSatisfy({ $0 == firstBits }) else {
            throw TIFFDirectory.unsupported("samples of different bit depths (\(bits)) are not supported")
        }
        bitsPerSample = firstBits
        guard [1, 2, 4, 8, 16].contains(bitsPerSample) else {
            throw TIFFDirectory.unsupported("\(bitsPerSample)-bit samples are not supported (1, 2, 4, 8 or 16)")
        }
        let sampleFormat = value(339)?.first ?? 1
        guard sampleFormat == 1 else {
            throw TIFFDirectory.unsupported("sample format \(sampleFormat) (signed or floating point) is not supported; only unsigned integers")
        }
        let compressionCode = try single(259, "Compression", default: 1)
        guard let compression = Compression(rawValue: compressionCode == 32946 ? 8 : compressionCode) else {
            let names = [2: "CCITT RLE", 3: "CCITT fax 3", 4: "CCITT fax 4", 6: "old-style JPEG", 7: "JPEG", 34712: "JPEG 2000"]
            throw TIFFDirectory.unsupported("compression \(compressionCode)\(names[compressionCode].map { " (\($0))" } ?? "") is not supported; use none, LZW, deflate or PackBits")
        }
        self.compression = compression
        let photometricCode = try single(262, "PhotometricInterpretation")
        guard let photometric = Photometric(rawValue: photometricCode) else {
            let names = [4: "transparency mask", 5: "CMYK", 6: "YCbCr", 8: "CIELab"]
            throw TIFFDirectory.unsupported("photometric interpretation \(photometricCode)\(names[photometricCode].map { " (\($0))" } ?? "") is not supported; use gray, RGB or palette")
        }
        self.photometric = photometric
        let fillOrder = value(266)?.first ?? 1
        guard fillOrder == 1 else { throw TIFFDirectory.unsupported("fill order \(fillOrder) (bits least significant first) is not supported") }
        let planarCode = value(284)?.first ?? 1
        guard planarCode == 1 || planarCode == 2 else { throw TIFFDirectory.invalid("planar configuration \(planarCode) does not exist (1 or 2)") }
        planar = planarCode == 2 && samplesPerPixel > 1
        let predictorCode = value(317)?.first ?? 1
        guard predictorCode == 1 || predictorCode == 2 else {
            throw TIFFDirectory.unsupported("predictor \(predictorCode) is not supported (1 none, 2 horizontal)")
        }
        predictor = predictorCode == 2
        guard !predictor || bitsPerSample >= 8 else {
            throw TIFFDirectory.unsupported("the horizontal predictor with \(bitsPerSample)-bit samples is not supported")
        }

        let colorSamples = photometric == .rgb ? 3 : 1
        guard samplesPerPixel == colorSamples || samplesPerPixel == colorSamples + 1 else {
            throw TIFFDirectory.unsupported("\(samplesPerPixel) samples per pixel with photometric interpretation \(photometricCode) is not supported")
        }
        extraSample = samplesPerPixel > colorSamples ? (value(338)?.first ?? 0) : nil
        if photometric == .palette {
            guard bitsPerSample <= 8, samplesPerPixel == 1 else {
                throw TIFFDirectory.unsupported("palette images of \(bitsPerSample)-bit samples or with extra samples are not supported")
            }
            let map = value(320) ?? []
            guard map.count == 3 << bitsPerSample else {
                throw TIFFDirectory.invalid("the ColorMap has \(map.count) values; \(3 << bitsPerSample) are needed for \(bitsPerSample)-bit indexes")
            }
            colorMap = map.map { $0 & 0xFFFF }  // 16-bit values (a file may store them as LONG)
        } else {
            colorMap = []
        }
        if photometric == .rgb && bitsPerSample < 8 {
            throw TIFFDirectory.unsupported("RGB with \(bitsPerSample)-bit samples is not supported (8 or 16)")
        }

        guard width > 0, height > 0 else {
            throw TIFFDirectory.invalid("the image is \(width)x\(height); both sides must be at least 1")
        }
        rowsPerStrip = min(max(1, value(278)?.first ?? height), height)
        stripOffsets = value(273) ?? []
        stripByteCounts = value(279) ?? []
        let stripsPerPlane = (height + rowsPerStrip - 1) / rowsPerStrip
        let strips = stripsPerPlane * (planar ? samplesPerPixel : 1)
        guard stripOffsets.count >= strips else {
            throw TIFFDirectory.invalid("\(stripOffsets.count) strip offsets for the \(strips) strips the image needs")
        }
        guard stripByteCounts.count >= strips else {
            throw TIFFDirectory.invalid("\(stripByteCounts.count) strip byte counts for the \(strips) strips the image needs")
        }
        for (offset, count) in zip(stripOffsets, stripByteCounts).prefix(strips) {
            guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
                throw ImageDecodingError(.tiff, .truncated, "a strip of \(count) bytes at offset \(offset) lies beyond the end of the file (\(bytes.count) bytes)")
            }
        }
    }
}

/// Reads a TIFF header and its first IFD's entries as lists of integers by tag.
struct TIFFReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 8 else { throw ImageDecodingError(.tiff, .truncated, "the file ends inside its 8-byte header") }
        self.bytes = bytes
        if bytes[0] == 0x49 && bytes[1] == 0x49 {
            bigEndian = false
        } else if bytes[0] == 0x4D && bytes[1] == 0x4D {
            bigEndian = true
        } else {
            throw ImageDecodingError(.tiff, .invalid, "the byte order mark is neither II nor MM")
        }
        let magic = bigEndian ? Int(bytes[2]) << 8 | Int(bytes[3]) : Int(bytes[3]) << 8 | Int(bytes[2])
        if magic == 43 { throw ImageDecodingError(.tiff, .unsupported, "BigTIFF files are not supported") }
        guard magic == 42 else { throw ImageDecodingError(.tiff, .invalid, "the header's magic number is \(magic), not 42") }
    }

    func uint16(at offset: Int) -> Int? {
        guard offset >= 0, offset <= bytes.count - 2 else { return nil }
        return bigEndian ? Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) : Int(bytes[offset + 1]) << 8 | Int(bytes[offset])
    }

    func uint32(at offset: Int) -> Int? {
        guard let high = uint16(at: bigEndian ? offset : offset + 2), let low = uint16(at: bigEndian ? offset + 2 : offset) else { return nil }
        return high << 16 | low
    }

    /// Tag -> values for BYTE, SHORT and LONG fields (others are skipped: nothing read needs them).
    func firstDirectory() throws -> [Int: [Int]] {
        let truncated = ImageDecodingError(.tiff, .truncated, "the file ends inside its image file directory")
        guard let start = uint32(at: 4), let count = uint16(at: start) else { throw truncated }
        guard count > 0 else { throw ImageDecodingError(.tiff, .invalid, "the image file directory is empty") }
        var fields: [Int: [Int]] = [:]
        for index in 0..<count {
            let entry = start + 2 + index * 12
            guard let tag = uint16(at: entry), let type = uint16(at: entry + 2), let valueCount = uint32(at: entry + 4) else { throw truncated }
            let size: Int
            switch type {
            case 1, 6, 7: size = 1       // BYTE, SBYTE, UNDEFINED
            case 3, 8: size = 2          // SHORT, SSHORT
            case 4, 9: size = 4          // LONG, SLONG
            default: continue            // ASCII, RATIONAL, FLOAT, ...: not needed for pixels
            }
            guard valueCount <= bytes.count / size else {
                throw ImageDecodingError(.tiff, .invalid, "field \(tag) claims \(valueCount) values, more than the file holds")
            }
            let inline = valueCount * size <= 4
            guard let dataStart = inline ? entry + 8 : uint32(at: entry + 8) else { throw truncated }
            var values: [Int] = []
            values.reserveCapacity(valueCount)
            for item in 0..<valueCount {
                let offset = dataStart + item * size
                let value: Int?
                switch size {
                case 1: value = offset < bytes.count ? Int(bytes[offset]) : nil
                case 2: value = uint16(at: offset)
                default: value = uint32(at: offset)
                }
                guard let value else {
                    throw ImageDecodingError(.tiff, .truncated, "the values of field \(tag) lie beyond the end of the file")
                }
                values.append(value)
            }
            fields[tag] = values
        }
        return fields
    }
}
