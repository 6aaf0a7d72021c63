/// Bob Jenkins' lookup3 `hashlittle` (initial value 0), which HDF5 uses to checksum version-2
/// metadata: object headers, B-tree v2 nodes, fractal heap and chunk-index blocks.
enum Lookup3 {
    static func hash<C: Collection>(_ data: C, initial: UInt32 = 0) -> UInt32 where C.Element == UInt8, C.Index == Int {
        var a: UInt32 = 0xdead_beef &+ UInt32(truncatingIfNeeded: data.count) &+ initial
        var b = a
        var c = a
        var index = data.startIndex
        var length = data.count

        @inline(__always) func word(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        @inline(__always) func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }

        while length > 12 {
            a = a &+ word(index)
            b = b &+ word(index + 4)
            c = c &+ word(index + 8)
            // mix(a, b, c)
            a = a &- c; a ^= rotate(c, 4); c = c &+ b
            b = b &- a; b ^= rotate(a, 6); a = a &+ c
            c = c &- b; c ^= rotate(b, 8); b = b &+ a
            a = a &- c; a ^= rotate(c, 16); c = c &+ b
            b = b &- a; b ^= rotate(a, 19); a = a &+ c
            c = c &- b; c ^= rotate(b, 4); b = b &+ a
            length -= 12
            index += 12
        }
        if length == 0 { return c }
        // The last 1...12 bytes, added byte by byte into a, b, c.
        for offset in 0..<length {
            let value = UInt32(data[index + offset]) << (8 * UInt32(offset % 4))
            switch offset / 4 {
            case 0: a = a &+ value
            case 1: b = b &+ value
            default: c = c &+ value
            }
        }
        // final(a, b, c)
        c ^= b; c = c &- rotate(b, 14)
        a ^= c; a = a &- rotate(c, 11)
        b ^= a; b = b &- rotate(a, 25)
        c ^= b; c = c &- rotate(b, 16)
        a ^= c; a = a &- rotate(c, 4)
        b ^= a; b = b &- rotate(a, 14)
        c ^= b; c = c &- rotate(b, 24)
        return c
    }

    /// Verifies the 4-byte little-endian checksum stored right after `region` in `bytes`.
    static func verify(_ bytes: ArraySlice<UInt8>, start: Int, checkedLength: Int, what: String) throws {
        guard start >= bytes.startIndex, checkedLength >= 0,
              start + checkedLength + 4 <= bytes.endIndex else {
            throw HDF5Error.truncated("\(what) runs past the end of the file")
        }
        let region = bytes[start..<(start + checkedLength)]
        let storedStart = start + checkedLength
        let stored = UInt32(bytes[storedStart]) | UInt32(bytes[storedStart + 1]) << 8
            | UInt32(bytes[storedStart + 2]) << 16 | UInt32(bytes[storedStart + 3]) << 24
        let computed = hash(region)
        guard stored == computed else {
            throw HDF5Error(.checksumMismatch, "\(what) checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))")
        }
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
