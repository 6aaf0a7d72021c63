/// The one entry point for uploaded bytes: finds the format from the bytes and decodes to 8-bit
/// samples the way Pillow's `Image.open` followed by a conversion to L/LA/RGB/RGBA would.
public enum ImageDecoder {
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        guard let format = ImageFormat.sniff(bytes) else {
            throw ImageDecodingError(nil, .unknownFormat,
                "not a PNG, JPEG, GIF, TIFF, BMP or binary PNM/PAM file (unrecognised first bytes)")
        }
        switch format {
        case .png: return try PNGDecoder.decode(bytes, limits: limits)
        case .bmp: return try BMPDecoder.decode(bytes, limits: limits)
        case .pnm: return try PNMDecoder.decode(bytes, limits: limits)
        case .gif: return try GIFDecoder.decode(bytes, limits: limits)
        case .tiff: return try TIFFDecoder.decode(bytes, limits: limits)
        case .jpeg:
            do {
                return try JPEGDecoder.decode(bytes, limits: limits)
            } catch let error as JPEGError {
                throw ImageDecodingError(.jpeg, error.decodingErrorKind, error.description)
            }
        }
    }
}
