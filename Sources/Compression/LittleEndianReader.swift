/// Bounds-checked little-endian field reads from a byte array, for container formats (zip).
/// Every read past the end throws instead of trapping.
struct LittleEndianReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    /// Names the structure being read, for error messages.
    let context: String

    init(_ bytes: [UInt8], at offset: Int, context: String) {
        self.bytes = bytes
        self.offset = offset
        self.context = context
    }

    private mutating func take(_ n: Int) throws -> Int {
        guard offset >= 0, n <= bytes.count - offset else {
            throw CompressionError.invalidZip("\(context) at offset \(offset) runs past the end of the archive (\(bytes.count) bytes)")
        }
        defer { offset += n }
        return offset
    }

    mutating func uint16() throws -> UInt16 {
        let at = try take(2)
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    mutating func uint32() throws -> UInt32 {
        let at = try take(4)
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    mutating func uint64() throws -> UInt64 {
        let low = UInt64(try uint32())
        return low | UInt64(try uint32()) << 32
    }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        let at = try take(n)
        return bytes[at..<(at + n)]
    }

    mutating func skip(_ n: Int) throws {
        _ = try take(n)
    }
}
