/// Adler-32 (RFC 1950 section 8.2), the checksum that ends every zlib stream.
/// `checksum("Wikipedia")` is 0x11E60398; the checksum of no bytes is 1.
public enum Adler32 {
    private static let modulus: UInt32 = 65521
    /// The most bytes that can be summed before the 32-bit sums must be reduced (zlib's NMAX):
    /// the largest n with 255·n(n+1)/2 + (n+1)(modulus-1) < 2^32.
    private static let maxBytesBeforeReduction = 5552

    /// The Adler-32 of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        update(1, bytes)
    }

    /// Continues an Adler-32: `update(checksum(a), b) == checksum(a + b)`. Start from 1.
    public static func update<C: Collection>(_ adler: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            update(adler, UnsafeRawBufferPointer(buffer))
        }) {
            return result
        }
        var a = (adler & 0xFFFF) % modulus, b = (adler >> 16) % modulus
        var pending = 0
        for byte in bytes {
            a &+= UInt32(byte)
            b &+= a
            pending += 1
            if pending == maxBytesBeforeReduction {
                a %= modulus; b %= modulus; pending = 0
            }
        }
        return ((b % modulus) << 16) | (a % modulus)
    }

    /// Fast path over raw memory.
    public static func update(_ adler: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var a = (adler & 0xFFFF) % modulus, b = (adler >> 16) % modulus
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return adler }
        var index = 0
        let count = bytes.count
        while index < count {
            let end = min(count, index + maxBytesBeforeReduction)
            while index + 4 <= end {
                a &+= UInt32(base[index]); b &+= a
                a &+= UInt32(base[index + 1]); b &+= a
                a &+= UInt32(base[index + 2]); b &+= a
                a &+= UInt32(base[index + 3]); b &+= a
                index += 4
            }
            while index < end {
                a &+= UInt32(base[index]); b &+= a
                index += 1
            }
            a %= modulus
            b %= modulus
        }
        return (b << 16) | a
    }
}
