import Compression

/// Writes 8-bit PNGs (gray, gray+alpha, RGB, RGBA) for debugging and round trips: each row gets
/// the filter with the smallest sum of absolute residuals (the specification's suggested
/// heuristic), then the rows are deflate-compressed into one IDAT.
public enum PNGEncoder {
    public static func encode(_ image: Image, compressionLevel: Int = 6) -> [UInt8] {
        let colorType: PNGColorType
        switch image.layout {
        case .gray: colorType = .gray
        case .grayAlpha: colorType = .grayAlpha
        case .rgb: colorType = .rgb
        case .rgba: colorType = .rgba
        }
        var ihdr = [UInt8]()
        appendBigEndian(UInt32(clamping: image.width), to: &ihdr)
        appendBigEndian(UInt32(clamping: image.height), to: &ihdr)
        ihdr += [8, colorType.rawValue, 0, 0, 0]

        var output = PNGChunks.signature
        appendChunk("IHDR", ihdr, to: &output)
        appendChunk("IDAT", Deflate.zlib(filteredRows(image), level: compressionLevel), to: &output)
        appendChunk("IEND", [], to: &output)
        return output
    }

    /// Every row preceded by its filter byte, ready for deflate.
    static func filteredRows(_ image: Image) -> [UInt8] {
        let step = image.channels
        let rowBytes = image.width * step
        var output = [UInt8]()
        output.reserveCapacity((rowBytes + 1) * image.height)
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)
        for y in 0..<image.height {
            let line = Array(image.samples[(y * rowBytes)..<((y + 1) * rowBytes)])
            let previous = y == 0 ? zeroRow : Array(image.samples[((y - 1) * rowBytes)..<(y * rowBytes)])
            var bestFilter = PNGFilter.none
            var bestScore = Int.max
            for filter in PNGFilter.allCases {
                var score = 0
                for i in 0..<rowBytes {
                    let left = i >= step ? line[i - step] : 0
                    let upperLeft = i >= step ? previous[i - step] : 0
                    let predicted: UInt8
                    switch filter {
                    case .none: predicted = 0
                    case .sub: predicted = left
                    case .up: predicted = previous[i]
                    case .average: predicted = UInt8((UInt16(left) + UInt16(previous[i])) >> 1)
                    case .paeth: predicted = PNGFilter.paethPredictor(left, previous[i], upperLeft)
                    }
                    let residual = line[i] &- predicted
                    candidate[i] = residual
                    score += Int(Int8(bitPattern: residual).magnitude)
                }
                if score < bestScore {
                    bestScore = score
                    bestFilter = filter
                    swap(&best, &candidate)
                }
            }
            output.append(bestFilter.rawValue)
            output.append(contentsOf: best)
        }
        return output
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to output: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &output)
        let typeAndData = Array(type.utf8) + data
        output += typeAndData
        appendBigEndian(CRC32.checksum(typeAndData), to: &output)
    }
}
