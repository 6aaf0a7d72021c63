/// Why a dataset could not be read or used, in words that name the problem (the row, the
/// column count, the label), so the CLI can print it as one line and HTTP can answer 422.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The bytes are in no format this module reads.
        case unrecognisedFormat
        /// The format is recognised but the content is wrong (a short row, a bad label, ...).
        case invalid
        /// More data than the caller allows.
        case tooLarge
        /// The file could not be read.
        case io
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ message: String) -> DatasetError { DatasetError(.invalid, message) }

    /// The same error with the file it concerns named first.
    func inFile(_ name: String) -> DatasetError { DatasetError(kind, "\(name): \(message)") }
}

/// What a reader may allocate: hostile or mistaken files (a header claiming 10^12 images) are
/// refused before anything is allocated.
public struct DatasetLimits: Equatable, Sendable {
    /// Largest number of pixel values (all images together).
    public var maxValues: Int
    /// Largest decompressed size of a gzip or zip entry, in bytes.
    public var maxDecompressedBytes: Int

    public init(maxValues: Int = 1 << 31, maxDecompressedBytes: Int = 1 << 32) {
        self.maxValues = maxValues
        self.maxDecompressedBytes = maxDecompressedBytes
    }

    public static let `default` = DatasetLimits()
}
