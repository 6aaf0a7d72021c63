/// GIF (87a and 89a): the first frame, as Pillow's `Image.open` gives it and `convert("RGB")`
/// (or `"RGBA"` when the frame declares a transparent index) turns it. The stages: the blocks
/// (`GIFStructure`), LZW (`GIFLZW`), then here the interlaced row order and the palette.
///
/// Pillow's rules, which this follows: the image is the logical screen's size; pixels outside
/// the first frame's rectangle are colour index 0, or the transparent index when there is one;
/// indexes past the colour table are black; a frame whose data ends early is refused.
public enum GIFDecoder {
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        let file = try GIFStructure(bytes)
        let frame = file.frame
        let width = file.screenWidth, height = file.screenHeight
        try limits.check(width: width, height: height, format: .gif)
        guard frame.width > 0, frame.height > 0 else {
            throw ImageDecodingError(.gif, .invalid, "the first frame is \(frame.width)x\(frame.height); both sides must be at least 1")
        }
        let (framePixels, overflow) = frame.width.multipliedReportingOverflow(by: frame.height)
        guard !overflow, framePixels <= limits.maxPixels else {
            throw ImageDecodingError(.gif, .tooLarge, "the first frame is \(frame.width)x\(frame.height), more than the limit of \(limits.maxPixels) pixels")
        }
        let colors = frame.localColors.isEmpty ? file.globalColors : frame.localColors
        guard !colors.isEmpty else {
            throw ImageDecodingError(.gif, .invalid, "the image has neither a global nor a local colour table")
        }
        let layout: PixelLayout = frame.transparentIndex == nil ? .rgb : .rgba
        let share = try limits.reserveMemory(output: width * height * layout.channels, working: framePixels,
                                             width: width, height: height, format: .gif)

        let indexes = try GIFLZW.decode(frame.compressed, minimumCodeSize: frame.minimumCodeSize, count: framePixels)
        guard indexes.count == framePixels else {
            throw ImageDecodingError(.gif, .truncated,
                "the first frame's data ends after \(indexes.count) of its \(framePixels) pixels; the file is cut short")
        }
        let palette = paletteTable(colors, transparentIndex: frame.transparentIndex)
        let fill = frame.transparentIndex ?? 0
        let channels = layout.channels
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        samples.withUnsafeMutableBufferPointer { out in
            // The canvas starts as the fill index everywhere, then the frame is drawn on it.
            for pixel in 0..<(width * height) {
                for c in 0..<channels { out[pixel * channels + c] = palette[fill * 4 + c] }
            }
            let rows = interlacedRowOrder(frame.height, interlaced: frame.interlaced)
            for (stored, row) in rows.enumerated() {
                let y = frame.top + row
                guard y < height else { continue }
                for x in 0..<frame.width where frame.left + x < width {
                    let index = Int(indexes[stored * frame.width + x])
                    let target = (y * width + frame.left + x) * channels
                    for c in 0..<channels { out[target + c] = palette[index * 4 + c] }
                }
            }
        }
        return Image(uncheckedWidth: width, height: height, layout: layout, samples: samples).holding(share, limits: limits)
    }

    /// 256 RGBA entries: the table's colours, black past its end, alpha 0 at the transparent index.
    private static func paletteTable(_ colors: [UInt8], transparentIndex: Int?) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256 * 4)
        for entry in 0..<256 {
            if entry * 3 + 2 < colors.count {
                table[entry * 4] = colors[entry * 3]
                table[entry * 4 + 1] = colors[entry * 3 + 1]
                table[entry * 4 + 2] = colors[entry * 3 + 2]
            }
            table[entry * 4 + 3] = entry == transparentIndex ? 0 : 255
        }
        return table
    }

    /// The image row each stored row lands on: in order, or GIF's four interlace passes
    /// (every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1).
    static func interlacedRowOrder(_ height: Int, interlaced: Bool) -> [Int] {
        guard interlaced else { return Array(0..<height) }
        return [(0, 8), (4, 8), (2, 4), (1, 2)].flatMap { start, step in Array(stride(from: start, to: height, by: step)) }
    }
}
