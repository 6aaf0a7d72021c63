/// An image at its file's own precision, for tools that must not lose bits (`max-server
/// decode --out x.pam`): samples are UInt16 holding 8-bit values (0...255) when `bitDepth` is
/// 8 and the file's own 16-bit values when it is 16. Palette expanded, transparency turned into
/// alpha, as in `Image`. The model path uses `Image`; this is its lossless sibling.
public struct WideImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let layout: PixelLayout
    /// 8 or 16.
    public let bitDepth: Int
    public let samples: [UInt16]

    public init(width: Int, height: Int, layout: PixelLayout, bitDepth: Int, samples: [UInt16]) {
        self.width = width
        self.height = height
        self.layout = layout
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// An 8-bit image, widened.
    public init(_ image: Image) {
        self.init(width: image.width, height: image.height, layout: image.layout, bitDepth: 8,
                  samples: image.samples.map { UInt16($0) })
    }

    /// The samples as RGBA: gray copied into R, G and B, missing alpha set to the maximum.
    public func rgba() -> [UInt16] {
        let opaque: UInt16 = bitDepth == 16 ? 65535 : 255
        let channels = layout.channels
        var result = [UInt16](repeating: opaque, count: width * height * 4)
        for pixel in 0..<(width * height) {
            let source = pixel * channels, target = pixel * 4
            switch layout {
            case .gray, .grayAlpha:
                result[target] = samples[source]; result[target + 1] = samples[source]; result[target + 2] = samples[source]
            case .rgb, .rgba:
                result[target] = samples[source]; result[target + 1] = samples[source + 1]; result[target + 2] = samples[source + 2]
            }
            if layout.hasAlpha { result[target + 3] = samples[source + channels - 1] }
        }
        return result
    }
}

extension ImageDecoder {
    /// The image at its own depth: 16-bit PNG, PNM/PAM and TIFF keep every bit (a PNM with a
    /// maximum other than 65535 is scaled to 0...65535); every other file as `decode` gives it.
    public static func decodeWide(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> WideImage {
        switch ImageFormat.sniff(bytes) {
        case .png?: return try PNGDecoder.decodeSamples(bytes, limits: limits)
        case .tiff?: return try TIFFDecoder.decodeWide(bytes, limits: limits)
        case .pnm?: return try PNMDecoder.decodeWide(bytes, limits: limits)
        default: return WideImage(try decode(bytes, limits: limits))
        }
    }
}
