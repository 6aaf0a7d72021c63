/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF), the
/// checksum of TFRecord files, iSCSI and ext4. `checksum("123456789")` is 0xE3069283.
public enum CRC32C {
    static let engine = ReflectedCRC32(polynomial: 0x82F6_3B78)

    /// The CRC-32C of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        engine.update(0, bytes)
    }

    /// Continues a CRC-32C: `update(checksum(a), b) == checksum(a + b)`. Start from 0.
    /// (Arrays and slices take the slicing-by-8 path over their contiguous storage.)
    public static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        engine.update(crc, bytes)
    }

    /// The CRC as LevelDB and TFRecord store it: rotated right by 15 bits plus a constant, so
    /// that the CRC of data which itself holds CRCs does not degenerate.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The CRC a masked value came from (the inverse of `masked`).
    public static func unmasked(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- 0xA282_EAD8
        return (rotated >> 17) | (rotated << 15)
    }
}
