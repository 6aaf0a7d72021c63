/// What went wrong while reading an HDF5 file, and where: `path` names the object being read
/// ("/model_weights/dense") or is empty when the problem is in the file's framing.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The broad kind of failure, so callers can react without parsing the message.
    public enum Kind: Equatable, Sendable {
        /// No HDF5 signature at offset 0, 512, 1024, ...
        case notHDF5
        /// A structure points outside the file or runs past its end.
        case truncated
        /// A structure is inconsistent: bad signature, impossible field, cycle.
        case corrupt
        /// A stored checksum does not match the bytes.
        case checksumMismatch
        /// A valid feature this reader does not implement (external links, szip, ...).
        case unsupported
        /// A size beyond what this reader will allocate.
        case tooLarge
        /// No object, link or attribute of that name.
        case notFound
        /// A group was asked for where a dataset lives, or the reverse.
        case wrongKind
        /// The file could not be read from disk.
        case io
    }

    public let kind: Kind
    /// The HDF5 object path the error concerns; empty when none applies.
    public internal(set) var path: String
    /// What is wrong, in words a user can act on.
    public let message: String

    public init(_ kind: Kind, _ message: String, path: String = "") {
        self.kind = kind
        self.message = message
        self.path = path
    }

    public var description: String {
        path.isEmpty ? "HDF5: \(message)" : "HDF5 object '\(path)': \(message)"
    }

    static func corrupt(_ message: String) -> HDF5Error { HDF5Error(.corrupt, message) }
    static func truncated(_ message: String) -> HDF5Error { HDF5Error(.truncated, message) }
    static func unsupported(_ message: String) -> HDF5Error { HDF5Error(.unsupported, message) }
    static func tooLarge(_ message: String) -> HDF5Error { HDF5Error(.tooLarge, message) }
}

/// Runs `body` and stamps `path` on any HDF5Error that does not yet name an object, so errors
/// raised deep in the format code reach the user with the object they concern.
@inline(__always)
func withObjectPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch var error as HDF5Error {
        if error.path.isEmpty { error.path = path }
        throw error
    }
}
