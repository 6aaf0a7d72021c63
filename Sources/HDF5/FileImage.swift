/// Limits on what a file may make us allocate. The defaults fit any real Keras model; the fuzzer
/// uses smaller ones.
public struct HDF5Limits: Sendable {
    /// Largest decoded dataset or attribute value, in bytes.
    public var maxValueBytes: Int
    /// Largest number of objects (links, attributes, chunks, B-tree nodes) in one structure.
    public var maxEntries: Int

    public init(maxValueBytes: Int = 1 << 31, maxEntries: Int = 10_000_000) {
        self.maxValueBytes = maxValueBytes
        self.maxEntries = maxEntries
    }

    public static let `default` = HDF5Limits()
}

/// The whole file in memory plus what the superblock says about addressing. Every address read
/// from the file goes through `region` or `cursor`, which check it against the file size.
struct FileImage {
    let bytes: [UInt8]
    /// Where HDF5 address 0 sits in `bytes` (non-zero for files with a user block).
    let baseAddress: Int
    let sizes: FileSizes
    let limits: HDF5Limits

    /// The absolute byte offset of `address`, checked so that `length` bytes follow it.
    func absolute(_ address: UInt64, length: Int, what: String) throws -> Int {
        guard length >= 0, address <= UInt64(Int.max / 2) else {
            throw HDF5Error.corrupt("\(what) at address \(address) is outside the file")
        }
        let start = baseAddress + Int(address)
        guard start <= bytes.count, length <= bytes.count - start else {
            throw HDF5Error.truncated("\(what) at address \(address) (+\(length) bytes) is outside the \(bytes.count)-byte file")
        }
        return start
    }

    /// `length` bytes at `address`.
    func region(_ address: UInt64, length: Int, what: String) throws -> ArraySlice<UInt8> {
        let start = try absolute(address, length: length, what: what)
        return bytes[start..<(start + length)]
    }

    /// A cursor from `address` to the end of the file (or `length` bytes when given).
    func cursor(_ address: UInt64, length: Int? = nil, what: String) throws -> ByteCursor {
        if let length {
            return ByteCursor(try region(address, length: length, what: what), sizes: sizes, context: what)
        }
        let start = try absolute(address, length: 0, what: what)
        return ByteCursor(bytes[start...], sizes: sizes, context: what)
    }

    func cursor(over slice: ArraySlice<UInt8>, what: String) -> ByteCursor {
        ByteCursor(slice, sizes: sizes, context: what)
    }
}
