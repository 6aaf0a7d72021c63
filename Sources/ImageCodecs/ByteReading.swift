/// Bounds-checked reads of fixed-width integers from a byte array. Every accessor returns nil
/// past the end, so a decoder turns a short file into a typed error instead of a trap.
extension Array where Element == UInt8 {
    @inline(__always)
    func uint16LE(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    @inline(__always)
    func uint32LE(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(self[offset]) | UInt32(self[offset + 1]) << 8
            | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    @inline(__always)
    func uint32BE(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16
            | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
}

/// `value * 255 / maxValue` rounded half to even, as Python's `round` (and so Pillow's netpbm
/// reader) does; used to bring samples of any maximum to 0...255.
@inline(__always)
func rescaleToByte(_ value: Int, maxValue: Int) -> UInt8 {
    let scaled = Swift.min(value, maxValue) * 255
    var quotient = scaled / maxValue
    let twiceRemainder = 2 * (scaled % maxValue)
    if twiceRemainder > maxValue || (twiceRemainder == maxValue && quotient & 1 == 1) { quotient += 1 }
    return UInt8(truncatingIfNeeded: quotient)
}
