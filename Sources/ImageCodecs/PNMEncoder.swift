/// Writes binary netpbm: PGM (P5) for gray, PPM (P6) for RGB, PAM (P7) for any layout.
public enum PNMEncoder {
    /// PAM with the TUPLTYPE matching the layout; keeps alpha.
    public static func pam(_ image: Image) -> [UInt8] {
        Array(pamHeader(width: image.width, height: image.height, layout: image.layout, maxValue: 255).utf8) + image.samples
    }

    /// PAM at the image's own depth: MAXVAL 65535 and two big-endian bytes a sample for 16 bits.
    public static func pam(_ image: WideImage) -> [UInt8] {
        guard image.bitDepth == 16 else {
            return pam(Image(uncheckedWidth: image.width, height: image.height, layout: image.layout,
                             samples: image.samples.map { UInt8(truncatingIfNeeded: $0) }))
        }
        var bytes = Array(pamHeader(width: image.width, height: image.height, layout: image.layout, maxValue: 65535).utf8)
        bytes.reserveCapacity(bytes.count + 2 * image.samples.count)
        for sample in image.samples {
            bytes.append(UInt8(sample >> 8))
            bytes.append(UInt8(sample & 0xFF))
        }
        return bytes
    }

    private static func pamHeader(width: Int, height: Int, layout: PixelLayout, maxValue: Int) -> String {
        let tupleType: String
        switch layout {
        case .gray: tupleType = "GRAYSCALE"
        case .grayAlpha: tupleType = "GRAYSCALE_ALPHA"
        case .rgb: tupleType = "RGB"
        case .rgba: tupleType = "RGB_ALPHA"
        }
        return "P7\nWIDTH \(width)\nHEIGHT \(height)\nDEPTH \(layout.channels)\nMAXVAL \(maxValue)\nTUPLTYPE \(tupleType)\nENDHDR\n"
    }

    /// PGM of the image's luma (alpha dropped, as `grayscale()`).
    public static func pgm(_ image: Image) -> [UInt8] {
        let gray = image.grayscale()
        return Array("P5\n\(gray.width) \(gray.height)\n255\n".utf8) + gray.samples
    }

    /// PPM of the colour samples (gray expanded to RGB, alpha dropped).
    public static func ppm(_ image: Image) -> [UInt8] {
        let rgba = image.rgba()
        var rgb = [UInt8]()
        rgb.reserveCapacity(image.width * image.height * 3)
        for pixel in 0..<(image.width * image.height) {
            rgb += rgba.samples[(pixel * 4)..<(pixel * 4 + 3)]
        }
        return Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + rgb
    }
}
