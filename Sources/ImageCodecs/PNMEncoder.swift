/// Writes binary netpbm: PGM (P5) for gray, PPM (P6) for RGB, PAM (P7) for any layout.
public enum PNMEncoder {
    /// PAM with the TUPLTYPE matching the layout; keeps alpha.
    public static func pam(_ image: Image) -> [UInt8] {
        let tupleType: String
        switch image.layout {
        case .gray: tupleType = "GRAYSCALE"
        case .grayAlpha: tupleType = "GRAYSCALE_ALPHA"
        case .rgb: tupleType = "RGB"
        case .rgba: tupleType = "RGB_ALPHA"
        }
        let header = "P7\nWIDTH \(image.width)\nHEIGHT \(image.height)\nDEPTH \(image.channels)\nMAXVAL 255\nTUPLTYPE \(tupleType)\nENDHDR\n"
        return Array(header.utf8) + image.samples
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
