/// One file or directory listed in a zip archive's central directory.
public struct ZipEntry: Equatable, Sendable {
    /// How an entry's data is compressed.
    public enum Method: Equatable, Sendable, CustomStringConvertible {
        case stored
        case deflated
        /// Any other method (bzip2, LZMA, ...), which this reader refuses to extract.
        case other(UInt16)

        init(code: UInt16) {
            switch code {
            case 0: self = .stored
            case 8: self = .deflated
            default: self = .other(code)
            }
        }

        public var description: String {
            switch self {
            case .stored: return "stored"
            case .deflated: return "deflated"
            case .other(let code): return "method \(code)"
            }
        }
    }

    /// The path inside the archive, '/'-separated; directories end with '/'.
    public let name: String
    public let method: Method
    public let compressedSize: Int
    public let uncompressedSize: Int
    /// CRC-32 of the uncompressed data, as recorded in the central directory.
    public let crc32: UInt32
    /// General-purpose flags (bit 0: encrypted; bit 3: data descriptor; bit 11: UTF-8 name).
    public let flags: UInt16
    /// Offset of the entry's local header from the start of the archive.
    public let localHeaderOffset: Int

    public var isDirectory: Bool { name.hasSuffix("/") }
    public var isEncrypted: Bool { flags & 1 != 0 }
}
