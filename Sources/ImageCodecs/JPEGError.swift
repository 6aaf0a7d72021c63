/// Why a JPEG could not be decoded. Every case names what was wrong with the file (or which
/// unsupported feature it uses) so a user knows whether to re-encode, re-upload or give up.
public enum JPEGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The data does not start with the JPEG start-of-image marker (FF D8).
    case notJPEG
    /// The data ended before the decoder had what it needed.
    case truncated(context: String)
    /// A marker segment is too short, too long or holds impossible values.
    case malformedSegment(marker: String, reason: String)
    /// A valid JPEG that uses a feature this decoder does not implement.
    case unsupportedFeature(String)
    /// Entropy-coded data arrived before any frame header (SOFn) was seen.
    case missingFrameHeader
    /// A scan refers to a Huffman table that was never defined.
    case missingHuffmanTable(kind: String, index: Int)
    /// A component refers to a quantisation table that was never defined.
    case missingQuantizationTable(index: Int)
    /// The entropy-coded data contains a bit pattern that is no code of its Huffman table.
    case invalidHuffmanCode(component: Int)
    /// The frame header declares a width or height of zero.
    case zeroDimensions(width: Int, height: Int)
    /// The frame header declares more pixels than the caller's `DecodingLimits` allow.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// A scan header contradicts the frame header or the progression rules.
    case invalidScan(String)
    /// The entropy-coded data does not carry the restart marker it must carry here.
    case restartMarkerMismatch(expected: Int, found: String)
    /// The file ended (or hit EOI) without a single complete scan.
    case noImageData

    public var description: String {
        switch self {
        case .notJPEG:
            return "not a JPEG file: it does not start with the start-of-image marker FF D8"
        case .truncated(let context):
            return "JPEG file is truncated (\(context)); the upload or download was probably cut short"
        case .malformedSegment(let marker, let reason):
            return "JPEG \(marker) segment is malformed: \(reason)"
        case .unsupportedFeature(let feature):
            return "unsupported JPEG feature: \(feature); re-encode the image as a baseline or progressive 8-bit JPEG"
        case .missingFrameHeader:
            return "JPEG has image data but no frame header (SOF marker); the file is corrupt"
        case .missingHuffmanTable(let kind, let index):
            return "JPEG scan uses \(kind) Huffman table \(index), which the file never defines"
        case .missingQuantizationTable(let index):
            return "JPEG component uses quantisation table \(index), which the file never defines"
        case .invalidHuffmanCode(let component):
            return "JPEG entropy-coded data of component \(component) holds an invalid Huffman code; the file is corrupt"
        case .zeroDimensions(let width, let height):
            return "JPEG frame declares an empty image (\(width)x\(height)); height 0 (a DNL marker) is not supported either"
        case .tooManyPixels(let width, let height, let limit):
            return "JPEG is \(width)x\(height) = \(width * height) pixels, more than the limit of \(limit); resize it before uploading"
        case .invalidScan(let reason):
            return "JPEG scan header is invalid: \(reason)"
        case .restartMarkerMismatch(let expected, let found):
            return "JPEG entropy-coded data expected restart marker RST\(expected) but found \(found); the file is corrupt"
        case .noImageData:
            return "JPEG file contains no complete scan of image data"
        }
    }
}
