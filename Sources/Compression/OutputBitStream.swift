/// Writes a deflate bit stream: values are packed least-significant bit first into bytes
/// (RFC 1951 section 3.1.1). Huffman codes must be passed already bit-reversed.
struct OutputBitStream {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends the low `n` bits of `value` (n <= 32).
    @inline(__always)
    mutating func write(_ value: UInt32, _ n: Int) {
        buffer |= UInt64(value & UInt32(truncatingIfNeeded: (1 &<< UInt64(n)) &- 1)) &<< UInt64(count)
        count &+= n
        if count >= 32 {
            let word = UInt32(truncatingIfNeeded: buffer)
            bytes.append(UInt8(truncatingIfNeeded: word))
            bytes.append(UInt8(truncatingIfNeeded: word >> 8))
            bytes.append(UInt8(truncatingIfNeeded: word >> 16))
            bytes.append(UInt8(truncatingIfNeeded: word >> 24))
            buffer = buffer &>> 32
            count &-= 32
        }
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() {
        while count > 0 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer = buffer &>> 8
            count = max(0, count - 8)
        }
        buffer = 0
    }

    /// Appends whole bytes at a byte boundary (call `alignToByte` first).
    mutating func appendAligned<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Bits needed to reach the next byte boundary.
    var bitsToByteBoundary: Int { (8 - count % 8) % 8 }
}
