/// The image formats this module recognises from their first bytes.
public enum ImageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case png = "PNG"
    case jpeg = "JPEG"
    case bmp = "BMP"
    case pnm = "PNM"
    case gif = "GIF"
    case tiff = "TIFF"

    public var description: String { rawValue }
}

/// Why an image could not be decoded. Every case names the format and says what is wrong in
/// words a person uploading the file can act on.
public struct ImageDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The bytes start with no signature we know.
        case unknownFormat
        /// The format is recognised but this build cannot decode it.
        case unsupported
        /// The data ends before the structure it announces.
        case truncated
        /// A checksum (chunk CRC, zlib Adler-32) does not match.
        case checksumMismatch
        /// The header announces more pixels, or a decode needing more memory, than `DecodingLimits` allows.
        case tooLarge
        /// Other decodes hold the memory budget (`DecodingBudget`); retrying shortly may succeed.
        case busy
        /// A field holds a value the format forbids.
        case invalid
    }

    /// nil when the format could not be recognised at all.
    public let format: ImageFormat?
    public let kind: Kind
    public let message: String

    public init(_ format: ImageFormat?, _ kind: Kind, _ message: String) {
        self.format = format
        self.kind = kind
        self.message = message
    }

    public var description: String {
        if let format { return "\(format) image: \(message)" }
        return message
    }
}

extension DecodingLimits {
    /// Throws `.tooLarge` (or `.invalid` for a zero size) before anything is allocated for the
    /// pixels of a `width` x `height` image.
    func check(width: Int, height: Int, format: ImageFormat) throws {
        guard width > 0, height > 0 else {
            throw ImageDecodingError(format, .invalid, "the header gives a size of \(width)x\(height); both sides must be at least 1")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw ImageDecodingError(format, .tooLarge,
                "\(width)x\(height) is more than the limit of \(maxPixels) pixels; resize the image before uploading")
        }
    }
}
