import Compression

/// TensorFlow's TFRecord framing (tensorflow/core/lib/io/record_writer.cc): a file is a
/// sequence of records, each
///
///     uint64 length           little-endian
///     uint32 masked CRC-32C of the 8 length bytes
///     byte   data[length]
///     uint32 masked CRC-32C of the data
///
/// Both checksums are verified on read. A record that claims more bytes than the file has left
/// (a 4 GB length in a damaged header) is refused before anything is allocated: records are
/// ranges into the bytes already read, never copies sized by the header.
public enum TFRecord {
    /// Bytes of framing around each record's data.
    public static let headerSize = 12
    public static let footerSize = 4

    /// True when `bytes` starts with a record header whose length checksum holds and whose
    /// record fits: 32 bits of evidence, so text, zip or IDX files are never mistaken for one.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= headerSize + footerSize else { return false }
        let length = readUInt64(bytes, at: 0)
        guard CRC32C.masked(CRC32C.checksum(bytes[0..<8])) == readUInt32(bytes, at: 8) else { return false }
        return length <= UInt64(bytes.count - headerSize - footerSize)
    }

    /// Why the first record of `bytes` is not a valid record ("record 0 (at byte 0): ..."), or
    /// nil when it is: explains a file that was meant to be a TFRecord but is damaged at its start.
    public static func firstRecordProblem(_ bytes: [UInt8]) -> String? {
        do {
            try forEachRecord(in: bytes) { _, _ in throw FirstRecordRead() }
        } catch let error as DatasetError {
            return error.message
        } catch {}
        return nil
    }

    private struct FirstRecordRead: Error {}

    /// The data range of every record, in order; both checksums of each are verified. A
    /// damaged record is named by its index (from 0) and byte offset.
    public static func records(in bytes: [UInt8]) throws -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        try forEachRecord(in: bytes) { _, range in ranges.append(range) }
        return ranges
    }

    /// Calls `body` with each record's index and data range, verifying as it goes.
    public static func forEachRecord(in bytes: [UInt8], _ body: (Int, Range<Int>) throws -> Void) throws {
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            guard remaining >= headerSize else {
                throw DatasetError.invalid("record \(index) (at byte \(offset)): the file ends inside the record's 12-byte header (\(remaining) bytes left); it is truncated")
            }
            let length = readUInt64(bytes, at: offset)
            let storedLengthCRC = readUInt32(bytes, at: offset + 8)
            let lengthCRC = CRC32C.masked(CRC32C.checksum(bytes[offset..<(offset + 8)]))
            guard storedLengthCRC == lengthCRC else {
                throw DatasetError.invalid("record \(index) (at byte \(offset)): the length's checksum does not match (stored 0x\(hex(storedLengthCRC)), computed 0x\(hex(lengthCRC))); the file is damaged or not a TFRecord file")
            }
            let available = remaining - headerSize - footerSize
            guard available >= 0, length <= UInt64(available) else {
                throw DatasetError.invalid("record \(index) (at byte \(offset)): claims \(length) bytes of data, the file has \(max(available, 0)) left; it is truncated or damaged")
            }
            let start = offset + headerSize
            let range = start..<(start + Int(length))
            let storedDataCRC = readUInt32(bytes, at: range.upperBound)
            let dataCRC = CRC32C.masked(CRC32C.checksum(bytes[range]))
            guard storedDataCRC == dataCRC else {
                throw DatasetError.invalid("record \(index) (at byte \(offset)): the data's checksum does not match (stored 0x\(hex(storedDataCRC)), computed 0x\(hex(dataCRC))); the record is damaged")
            }
            try body(index, range)
            offset = range.upperBound + footerSize
            index += 1
        }
    }

    /// Appends one framed record holding `data` to `output`.
    public static func append<C: Collection>(_ data: C, to output: inout [UInt8]) where C.Element == UInt8 {
        var header: [UInt8] = []
        let length = UInt64(data.count)
        for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        output += header
        appendUInt32(CRC32C.masked(CRC32C.checksum(header)), to: &output)
        output += data
        appendUInt32(CRC32C.masked(CRC32C.checksum(data)), to: &output)
    }

    /// A file of the given records.
    public static func encode(_ records: [[UInt8]]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(records.reduce(0) { $0 + $1.count + headerSize + footerSize })
        for record in records { append(record, to: &output) }
        return output
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        return value
    }

    private static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
