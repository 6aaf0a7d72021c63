/// Turns unfiltered scanlines into interleaved samples: unpacks 1/2/4-bit samples, scales gray
/// to the full 0...255 range, looks palette indexes up, turns tRNS into an alpha channel and
/// places each interlace pass's pixels at their positions in the full image.
struct PNGPixelExpansion {
    let chunks: PNGChunks
    var header: PNGHeader { chunks.header }

    /// The layout of the expanded samples: palette becomes RGB, tRNS adds an alpha channel.
    var layout: PixelLayout {
        let transparent = chunks.transparency != nil
        switch header.colorType {
        case .gray: return transparent ? .grayAlpha : .gray
        case .rgb, .palette: return transparent ? .rgba : .rgb
        case .grayAlpha: return .grayAlpha
        case .rgba: return .rgba
        }
    }

    /// Palette as RGBA quadruples, plus how many entries the file defines.
    private func paletteTable() -> (table: [UInt8], count: Int) {
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
        return (table, count)
    }

    /// Images of bit depth 1 to 8: one byte per output sample.
    func expand8(_ data: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        let width = header.width, depth = header.bitDepth
        let outChannels = layout.channels
        let inChannels = header.colorType.samplesPerPixel
        var output = [UInt8](repeating: 0, count: width * header.height * outChannels)
        let (palette, paletteCount) = header.colorType == .palette ? paletteTable() : ([], 0)
        let grayScale = UInt8(255 / ((1 << depth) - 1))
        let mask = (1 << depth) - 1
        var grayKey = -1
        var rgbKey = (-1, -1, -1)
        switch chunks.transparency {
        case .grayKey(let key)?: grayKey = Int(key)
        case .rgbKey(let r, let g, let b)?: rgbKey = (Int(r), Int(g), Int(b))
        default: break
        }
        var largestIndex = 0

        output.withUnsafeMutableBufferPointer { out in
            guard let outBase = out.baseAddress, let inBase = data.baseAddress else { return }
            var offset = 0
            for pass in header.passes where !pass.isEmpty {
                let rowBytes = header.rowBytes(pixels: pass.width)
                for j in 0..<pass.height {
                    let line = inBase + offset + 1
                    offset += rowBytes + 1
                    let y = pass.y0 + j * pass.dy
                    let rowOut = outBase + (y * width + pass.x0) * outChannels
                    let outStep = pass.dx * outChannels
                    if depth < 8 {
                        for i in 0..<pass.width {
                            let bit = i * depth
                            let value = Int(line[bit >> 3] >> (8 - depth - (bit & 7))) & mask
                            let target = rowOut + i * outStep
                            if header.colorType == .palette {
                                largestIndex = max(largestIndex, value)
                                let entry = value * 4
                                target[0] = palette[entry]; target[1] = palette[entry + 1]; target[2] = palette[entry + 2]
                                if outChannels == 4 { target[3] = palette[entry + 3] }
                            } else {
                                target[0] = UInt8(value) &* grayScale
                                if outChannels == 2 { target[1] = value == grayKey ? 0 : 255 }
                            }
                        }
                        continue
                    }
                    switch header.colorType {
                    case .palette:
                        for i in 0..<pass.width {
                            let value = Int(line[i])
                            largestIndex = max(largestIndex, value)
                            let entry = value * 4
                            let target = rowOut + i * outStep
                            target[0] = palette[entry]; target[1] = palette[entry + 1]; target[2] = palette[entry + 2]
                            if outChannels == 4 { target[3] = palette[entry + 3] }
                        }
                    case .gray where outChannels == 2:
                        for i in 0..<pass.width {
                            let target = rowOut + i * outStep
                            target[0] = line[i]
                            target[1] = Int(line[i]) == grayKey ? 0 : 255
                        }
                    case .rgb where outChannels == 4:
                        for i in 0..<pass.width {
                            let source = line + i * 3, target = rowOut + i * outStep
                            target[0] = source[0]; target[1] = source[1]; target[2] = source[2]
                            let isKey = Int(source[0]) == rgbKey.0 && Int(source[1]) == rgbKey.1 && Int(source[2]) == rgbKey.2
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
            }
        }
        if header.colorType == .palette && largestIndex >= paletteCount {
            throw ImageDecodingError(.png, .invalid,
                "a pixel uses palette index \(largestIndex) but the palette has only \(paletteCount) colours")
        }
        return output
    }

    /// 16-bit images: one UInt16 per output sample, tRNS keys compared at full precision.
    func expand16(_ data: UnsafeBufferPointer<UInt8>) -> [UInt16] {
        let width = header.width
        let outChannels = layout.channels
        let inChannels = header.colorType.samplesPerPixel
        var output = [UInt16](repeating: 0, count: width * header.height * outChannels)
        var key: [UInt16] = []
        switch chunks.transparency {
        case .grayKey(let gray)?: key = [gray]
        case .rgbKey(let r, let g, let b)?: key = [r, g, b]
        default: break
        }
        output.withUnsafeMutableBufferPointer { out in
            guard let outBase = out.baseAddress, let inBase = data.baseAddress else { return }
            var offset = 0
            for pass in header.passes where !pass.isEmpty {
                let rowBytes = header.rowBytes(pixels: pass.width)
                for j in 0..<pass.height {
                    let line = inBase + offset + 1
                    offset += rowBytes + 1
                    let y = pass.y0 + j * pass.dy
                    for i in 0..<pass.width {
                        let source = line + i * inChannels * 2
                        let target = outBase + (y * width + pass.x0 + i * pass.dx) * outChannels
                        var matchesKey = !key.isEmpty
                        for c in 0..<inChannels {
                            let value = UInt16(source[2 * c]) << 8 | UInt16(source[2 * c + 1])
                            target[c] = value
                            if matchesKey && c < key.count && key[c] != value { matchesKey = false }
                        }
                        if outChannels > inChannels { target[inChannels] = matchesKey ? 0 : 65535 }
                    }
                }
            }
        }
        return output
    }
}
