/// gzip files (RFC 1952): one or more members, each a header, raw deflate data and a trailer
/// holding the CRC-32 and size (mod 2^32) of what it decompresses to. `gzip -c a b > c` makes
/// a file of two members; both are read, as `zcat` does.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number (0x1f 0x8b).
    public static func hasSignature<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1F && iterator.next() == 0x8B
    }

    /// Every member decompressed and concatenated, CRC-32 and size verified. Output beyond
    /// `maxOutputBytes` in total is refused while decoding.
    public static func decompress(_ data: [UInt8], maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        try data.withUnsafeBytes { bytes in
            var output: [UInt8] = []
            var offset = 0
            var member = 0
            repeat {
                let body = try headerLength(UnsafeRawBufferPointer(rebasing: bytes[offset...]), member: member)
                offset += body
                let (inflated, consumed) = try Inflate.rawPrefix(
                    bytes: UnsafeRawBufferPointer(rebasing: bytes[offset...]),
                    maxOutputBytes: maxOutputBytes - output.count)
                offset += consumed
                guard bytes.count - offset >= 8 else {
                    throw CompressionError.truncatedInput("gzip member \(member + 1) lacks its 8-byte CRC-32 and size trailer")
                }
                let expectedCRC = littleEndian32(bytes, offset)
                let expectedSize = littleEndian32(bytes, offset + 4)
                offset += 8
                let actualCRC = CRC32.checksum(inflated)
                guard actualCRC == expectedCRC else {
                    throw CompressionError.checksumMismatch(kind: "gzip CRC-32", expected: expectedCRC, actual: actualCRC)
                }
                guard UInt32(truncatingIfNeeded: inflated.count) == expectedSize else {
                    throw CompressionError.invalidSymbol(
                        "gzip member \(member + 1) inflates to \(inflated.count) bytes, its trailer records \(expectedSize) (mod 2^32)")
                }
                output += inflated
                member += 1
                // Padding of zero bytes after the last member is tolerated, as gzip does.
            } while offset < bytes.count && !bytes[offset...].allSatisfy({ $0 == 0 })
            return output
        }
    }

    /// The length of a member header (fixed part and the optional fields its flags announce).
    private static func headerLength(_ bytes: UnsafeRawBufferPointer, member: Int) throws -> Int {
        let context = "gzip member \(member + 1) header"
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw CompressionError.invalidSymbol(member == 0 ? "not a gzip file (no 1f 8b signature)" : "data after gzip member \(member) is not another member")
        }
        guard bytes.count >= 10 else { throw CompressionError.truncatedInput("\(context) needs 10 bytes, \(bytes.count) remain") }
        guard bytes[2] == 8 else { throw CompressionError.invalidSymbol("\(context): compression method \(bytes[2]) is not deflate (8)") }
        let flags = bytes[3]
        guard flags & 0xE0 == 0 else { throw CompressionError.invalidSymbol("\(context): reserved flag bits are set") }
        var offset = 10
        if flags & 0x04 != 0 {  // FEXTRA: 2-byte length, then the field
            guard offset + 2 <= bytes.count else { throw CompressionError.truncatedInput("\(context): extra field length") }
            offset += 2 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: NUL-terminated
            while offset < bytes.count && bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: low 16 bits of the header's CRC-32
            guard offset + 2 <= bytes.count else { throw CompressionError.truncatedInput("\(context): header CRC") }
            let stored = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            let actual = CRC32.update(0, UnsafeRawBufferPointer(rebasing: bytes[0..<offset])) & 0xFFFF
            guard stored == actual else {
                throw CompressionError.checksumMismatch(kind: "gzip header CRC-16", expected: stored, actual: actual)
            }
            offset += 2
        }
        guard offset <= bytes.count else { throw CompressionError.truncatedInput("\(context) runs past the end of the data") }
        return offset
    }

    private static func littleEndian32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

extension Gzip {
    /// One gzip member holding `data` (no name, no timestamp: the same input gives the same bytes).
    public static func compress(_ data: [UInt8], level: Int = 6) -> [UInt8] {
        let extraFlags: UInt8 = level >= 9 ? 2 : level <= 1 ? 4 : 0
        var member: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, extraFlags, 3]  // OS 3: Unix
        member += Deflate.raw(data, level: level)
        let crc = CRC32.checksum(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        for value in [crc, size] {
            member += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
        }
        return member
    }
}
