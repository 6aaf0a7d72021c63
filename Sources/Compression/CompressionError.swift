/// Everything that can go wrong while decompressing, checksumming or reading a zip archive.
///
/// Each case carries enough context for a user to tell a truncated download from a corrupt or
/// hostile file; `description` is the message to show.
public enum CompressionError: Error, CustomStringConvertible, Equatable {
    /// The input ended before the stream was complete.
    case truncatedInput(String)
    /// A deflate block header named block type 3, which RFC 1951 reserves.
    case invalidBlockType(Int)
    /// A stored block's LEN and NLEN fields are not one's complements of each other.
    case storedLengthMismatch(length: Int, complement: Int)
    /// A Huffman code description is unusable (over-subscribed, incomplete, or too many codes).
    case invalidCodeLengths(String)
    /// The bit stream contains a code or symbol no valid encoder produces.
    case invalidSymbol(String)
    /// A back-reference points before the first byte of output.
    case distanceTooFarBack(distance: Int, available: Int)
    /// Decoding would produce more than the caller allowed (a zip bomb, or a limit set too low).
    case outputLimitExceeded(limit: Int)
    /// A checksum in the stream does not match the data.
    case checksumMismatch(kind: String, expected: UInt32, actual: UInt32)
    /// The zlib (RFC 1950) header is malformed or asks for something unsupported.
    case invalidZlibHeader(String)
    /// Bytes follow the end of the compressed stream.
    case trailingData(count: Int)
    /// The zip archive's structure is malformed or uses an unsupported feature.
    case invalidZip(String)
    /// A zip entry uses a feature this reader does not implement (encryption, other methods).
    case unsupportedZipFeature(String)

    public var description: String {
        switch self {
        case .truncatedInput(let context):
            return "compressed data is truncated: \(context)"
        case .invalidBlockType(let type):
            return "invalid deflate block type \(type) (only 0, 1 and 2 exist); the data is corrupt"
        case .storedLengthMismatch(let length, let complement):
            return "stored deflate block length \(length) does not match its complement \(complement); the data is corrupt"
        case .invalidCodeLengths(let detail):
            return "invalid Huffman code lengths: \(detail); the data is corrupt"
        case .invalidSymbol(let detail):
            return "invalid deflate data: \(detail)"
        case .distanceTooFarBack(let distance, let available):
            return "deflate back-reference distance \(distance) reaches before the start of the output (\(available) bytes so far); the data is corrupt"
        case .outputLimitExceeded(let limit):
            return "decompressed data would exceed the limit of \(limit) bytes; refusing (possible decompression bomb)"
        case .checksumMismatch(let kind, let expected, let actual):
            return "\(kind) checksum mismatch: expected 0x\(hex8(expected)), computed 0x\(hex8(actual)); the data is corrupt"
        case .invalidZlibHeader(let detail):
            return "invalid zlib header: \(detail)"
        case .trailingData(let count):
            return "\(count) unexpected byte(s) after the end of the compressed stream"
        case .invalidZip(let detail):
            return "invalid zip archive: \(detail)"
        case .unsupportedZipFeature(let detail):
            return "unsupported zip feature: \(detail)"
        }
    }
}

/// Eight lower-case hex digits, zero-padded, for checksums in messages.
func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
