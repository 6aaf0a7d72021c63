/// Turns one unfiltered scanline into interleaved samples at its place in the full image:
/// unpacks 1/2/4-bit samples, scales gray to the full 0...255 range, looks palette indexes up,
/// turns tRNS into an alpha channel, and spreads an interlace pass's pixels to their positions.
struct PNGPixelExpansion {
    let header: PNGHeader
    let layout: PixelLayout
    /// Palette as RGBA quadruples (256 entries), and how many entries the file defines.
    private let palette: [UInt8]
    private let paletteCount: Int
    /// tRNS colour key at the file's depth: one value (gray) or three (RGB); empty when none.
    private let key: [Int]
    /// The largest palette index seen, checked against the palette at the end.
    private(set) var largestIndex = 0

    init(chunks: PNGChunks) {
        header = chunks.header
        let transparent = chunks.transparency != nil
        switch header.colorType {
        case .gray: layout = transparent ? .grayAlpha : .gray
        case .rgb, .palette: layout = transparent ? .rgba : .rgb
        case .grayAlpha: layout = .grayAlpha
        case .rgba: layout = .rgba
        }
        var table = [UInt8](repeating: 0, count: 256 * 4)
        let count = chunks.palette.count / 3
        var alphas: [UInt8] = []
        if case .paletteAlpha(let values)? = chunks.transparency { alphas = values }
        for entry in 0..<count {
            table[entry * 4] = chunks.palette[entry * 3]
            table[entry * 4 + 1] = chunks.palette[entry * 3 + 1]
            table[entry * 4 + 2] = chunks.palette[entry * 3 + 2]
            table[entry * 4 + 3] = entry < alphas.count ? alphas[entry] : 255
        }
        palette = table
        paletteCount = count
        switch chunks.transparency {
        case .grayKey(let gray)?: key = [Int(gray)]
        case .rgbKey(let r, let g, let b)?: key = [Int(r), Int(g), Int(b)]
        default: key = []
        }
    }

    /// Throws if a pixel used a palette entry the file does not define.
    func checkPaletteIndexes() throws {
        if header.colorType == .palette && largestIndex >= paletteCount {
            throw ImageDecodingError(.png, .invalid,
                "a pixel uses palette index \(largestIndex) but the palette has only \(paletteCount) colours")
        }
    }

    /// A row of an image of bit depth 1 to 8: one byte per output sample. `image` is the whole
    /// output (`width * height * layout.channels` bytes).
    mutating func expandRow8(_ line: UnsafePointer<UInt8>, pass: PNGPass, row j: Int, into image: UnsafeMutablePointer<UInt8>) {
        let depth = header.bitDepth
        let outChannels = layout.channels
        let inChannels = header.colorType.samplesPerPixel
        let rowOut = image + ((pass.y0 + j * pass.dy) * header.width + pass.x0) * outChannels
        let outStep = pass.dx * outChannels
        if depth < 8 {
            let mask = (1 << depth) - 1
            let grayScale = UInt8(255 / mask)
            let grayKey = key.first ?? -1
            for i in 0..<pass.width {
                let bit = i * depth
                let value = Int(line[bit >> 3] >> (8 - depth - (bit & 7))) & mask
                let target = rowOut + i * outStep
                if header.colorType == .palette {
                    largestIndex = max(largestIndex, value)
                    copyPaletteEntry(value, to: target, channels: outChannels)
                } else {
                    target[0] = UInt8(value) &* grayScale
                    if outChannels == 2 { target[1] = value == grayKey ? 0 : 255 }
                }
            }
            return
        }
        switch header.colorType {
        case .palette:
            for i in 0..<pass.width {
                let value = Int(line[i])
                largestIndex = max(largestIndex, value)
                copyPaletteEntry(value, to: rowOut + i * outStep, channels: outChannels)
            }
        case .gray where outChannels == 2:
            let grayKey = key[0]
            for i in 0..<pass.width {
                let target = rowOut + i * outStep
                target[0] = line[i]
                target[1] = Int(line[i]) == grayKey ? 0 : 255
            }
        case .rgb where outChannels == 4:
            for i in 0..<pass.width {
                let source = line + i * 3, target = rowOut + i * outStep
                target[0] = source[0]; target[1] = source[1]; target[2] = source[2]
                let isKey = Int(source[0]) == key[0] && Int(source[1]) == key[1] && Int(source[2]) == key[2]
                target[3] = isKey ? 0 : 255
            }
        default:
            if pass.dx == 1 {
                rowOut.update(from: line, count: pass.width * inChannels)
            } else {
                for i in 0..<pass.width {
                    let source = line + i * inChannels, target = rowOut + i * outStep
                    for c in 0..<inChannels { target[c] = source[c] }
                }
            }
        }
    }

    @inline(__always)
    private func copyPaletteEntry(_ index: Int, to target: UnsafeMutablePointer<UInt8>, channels: Int) {
        let entry = index * 4
        target[0] = palette[entry]; target[1] = palette[entry + 1]; target[2] = palette[entry + 2]
        if channels == 4 { target[3] = palette[entry + 3] }
    }

    /// A row of a 16-bit image, each sample handed to `store(value, sampleIndex, isAlpha)` with
    /// its index in the whole output; tRNS keys are compared at full precision.
    @inline(__always)
    func expandRow16(_ line: UnsafePointer<UInt8>, pass: PNGPass, row j: Int,
                     store: (_ value: UInt16, _ index: Int, _ isAlpha: Bool) -> Void) {
        let outChannels = layout.channels
        let inChannels = header.colorType.samplesPerPixel
        let hasFileAlpha = header.colorType == .grayAlpha || header.colorType == .rgba
        let rowStart = ((pass.y0 + j * pass.dy) * header.width + pass.x0) * outChannels
        for i in 0..<pass.width {
            let source = line + i * inChannels * 2
            let target = rowStart + i * pass.dx * outChannels
            var matchesKey = !key.isEmpty
            for c in 0..<inChannels {
                let value = UInt16(source[2 * c]) << 8 | UInt16(source[2 * c + 1])
                store(value, target + c, hasFileAlpha && c == inChannels - 1)
                if matchesKey && c < key.count && key[c] != Int(value) { matchesKey = false }
            }
            if outChannels > inChannels { store(matchesKey ? 0 : 65535, target + inChannels, true) }
        }
    }
}
