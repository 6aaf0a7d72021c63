/// CRC-32 as used by zip, gzip and PNG (ISO-HDLC: reflected polynomial 0xEDB88320, initial and
/// final XOR 0xFFFFFFFF). `checksum("123456789")` is 0xCBF43926.
public enum CRC32 {
    static let engine = ReflectedCRC32(polynomial: 0xEDB8_8320)

    /// The CRC-32 of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        engine.update(0, bytes)
    }

    /// Continues a CRC-32: `update(checksum(a), b) == checksum(a + b)`. Start from 0.
    public static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        engine.update(crc, bytes)
    }

    /// Fast path over raw memory.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        engine.update(crc, bytes)
    }
}

/// A 32-bit CRC with a reflected polynomial, initial value and final XOR 0xFFFFFFFF: the family
/// of CRC-32 (zip) and CRC-32C (Castagnoli, used by TFRecord, iSCSI, ext4), which differ only
/// in the polynomial.
///
/// Slicing-by-8: eight 256-entry tables let the loop fold eight input bytes per step, several
/// times faster than the byte-at-a-time table, which matters for PNG, zip and record checks.
struct ReflectedCRC32: Sendable {
    /// Eight consecutive 256-entry tables: table k maps a byte to its CRC contribution when
    /// followed by k zero bytes.
    private let table: [UInt32]

    init(polynomial: UInt32) {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        table = t
    }

    func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            update(crc, UnsafeRawBufferPointer(buffer))
        }) {
            return result
        }
        var state = ~crc
        for byte in bytes {
            state = table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8)
        }
        return ~state
    }

    func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var state = ~crc
        guard let base = bytes.baseAddress else { return crc }
        let count = bytes.count
        table.withUnsafeBufferPointer { t in
            var index = 0
            while index + 8 <= count {
                let low = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ state
                let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                state = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                state = t[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8)
                index += 1
            }
        }
        return ~state
    }
}
