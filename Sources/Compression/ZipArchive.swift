/// Reads zip archives held in memory (APPNOTE.TXT): the central directory is parsed up front;
/// entries are extracted on demand, stored or deflated, with sizes and CRC-32 verified.
///
/// ZIP64 archives (end record and extra fields) are supported; multi-disk archives, encryption
/// and compression methods other than stored and deflate are refused with a clear error.
public struct ZipArchive {
    public let entries: [ZipEntry]
    private let bytes: [UInt8]

    private enum Signature {
        static let localHeader: UInt32 = 0x0403_4B50
        static let centralHeader: UInt32 = 0x0201_4B50
        static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
        static let zip64Locator: UInt32 = 0x0706_4B50
    }
    private static let zip64ExtraFieldID: UInt16 = 0x0001
    private static let endRecordSize = 22
    private static let centralHeaderSize = 46

    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        let directory = try Self.locateCentralDirectory(bytes)
        var reader = LittleEndianReader(bytes, at: directory.offset, context: "the central directory")
        guard directory.offset <= bytes.count, directory.size <= bytes.count - directory.offset else {
            throw CompressionError.invalidZip("the central directory (offset \(directory.offset), \(directory.size) bytes) lies outside the archive")
        }
        // Each entry takes at least 46 bytes, which bounds what a lying count can make us do.
        guard directory.entryCount <= directory.size / Self.centralHeaderSize else {
            throw CompressionError.invalidZip("\(directory.entryCount) entries cannot fit in a \(directory.size)-byte central directory")
        }
        var entries: [ZipEntry] = []
        entries.reserveCapacity(directory.entryCount)
        for index in 0..<directory.entryCount {
            entries.append(try Self.readCentralHeader(&reader, index: index))
        }
        self.entries = entries
    }

    /// The first entry with exactly this name.
    public func entry(named name: String) -> ZipEntry? {
        entries.first { $0.name == name }
    }

    /// The uncompressed contents of `entry`, verified against its recorded size and CRC-32.
    /// Entries declaring more than `maxOutputBytes` are refused before anything is decoded.
    public func contents(of entry: ZipEntry, maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        guard !entry.isEncrypted else {
            throw CompressionError.unsupportedZipFeature("\(entry.name) is encrypted")
        }
        guard entry.uncompressedSize <= maxOutputBytes else {
            throw CompressionError.outputLimitExceeded(limit: maxOutputBytes)
        }
        var reader = LittleEndianReader(bytes, at: entry.localHeaderOffset, context: "the local header of \(entry.name)")
        guard try reader.uint32() == Signature.localHeader else {
            throw CompressionError.invalidZip("no local header at offset \(entry.localHeaderOffset) for \(entry.name)")
        }
        try reader.skip(22)
        let nameLength = Int(try reader.uint16())
        let extraLength = Int(try reader.uint16())
        try reader.skip(nameLength + extraLength)
        let data = try reader.bytes(entry.compressedSize)

        let output: [UInt8]
        switch entry.method {
        case .stored:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw CompressionError.invalidZip("stored entry \(entry.name) has compressed size \(entry.compressedSize) but size \(entry.uncompressedSize)")
            }
            output = Array(data)
        case .deflated:
            output = try data.withUnsafeBytes {
                try Inflate.rawPrefix(bytes: $0, expectedSize: entry.uncompressedSize,
                                      maxOutputBytes: entry.uncompressedSize).output
            }
            guard output.count == entry.uncompressedSize else {
                throw CompressionError.invalidZip("\(entry.name) inflated to \(output.count) bytes, not the recorded \(entry.uncompressedSize)")
            }
        case .other:
            throw CompressionError.unsupportedZipFeature("\(entry.name) uses compression \(entry.method); only stored and deflated are supported")
        }
        let actual = CRC32.checksum(output)
        guard actual == entry.crc32 else {
            throw CompressionError.checksumMismatch(kind: "CRC-32 of \(entry.name)", expected: entry.crc32, actual: actual)
        }
        return output
    }

    // MARK: - Central directory

    private struct CentralDirectory {
        var entryCount: Int
        var size: Int
        var offset: Int
    }

    /// Finds the end of central directory record (searching back over a comment of up to
    /// 64 KiB) and, when its fields overflow, the ZIP64 end record it points to.
    private static func locateCentralDirectory(_ bytes: [UInt8]) throws -> CentralDirectory {
        guard bytes.count >= endRecordSize else {
            throw CompressionError.invalidZip("\(bytes.count) bytes is too short for a zip archive")
        }
        let lastCandidate = bytes.count - endRecordSize
        let firstCandidate = max(0, lastCandidate - 0xFFFF)
        var endOffset: Int?
        for candidate in stride(from: lastCandidate, through: firstCandidate, by: -1)
        where bytes[candidate] == 0x50 && bytes[candidate + 1] == 0x4B && bytes[candidate + 2] == 0x05 && bytes[candidate + 3] == 0x06 {  // "PK\5\6"
            // The record is followed by its comment and nothing else (a signature inside a
            // comment would claim a comment running past the end).
            let commentLength = Int(bytes[candidate + 20]) | Int(bytes[candidate + 21]) << 8
            if candidate + endRecordSize + commentLength <= bytes.count {
                endOffset = candidate
                break
            }
        }
        guard let endOffset else {
            throw CompressionError.invalidZip("no end of central directory record (not a zip file, or truncated)")
        }
        var reader = LittleEndianReader(bytes, at: endOffset + 4, context: "the end of central directory record")
        let diskNumber = try reader.uint16()
        let directoryDisk = try reader.uint16()
        _ = try reader.uint16()
        let entryCount = try reader.uint16()
        let size = try reader.uint32()
        let offset = try reader.uint32()
        var directory = CentralDirectory(entryCount: Int(entryCount), size: Int(size), offset: Int(offset))

        let needsZip64 = entryCount == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF
        if endOffset >= 20, let zip64 = try zip64Directory(bytes, locatorOffset: endOffset - 20) {
            directory = zip64
        } else if needsZip64 {
            throw CompressionError.invalidZip("the end record says ZIP64 but no ZIP64 end record locator precedes it")
        } else if diskNumber != 0 || directoryDisk != 0 {
            throw CompressionError.unsupportedZipFeature("multi-disk (split) archives")
        }
        return directory
    }

    /// The ZIP64 end of central directory record, if a locator sits at `locatorOffset`.
    private static func zip64Directory(_ bytes: [UInt8], locatorOffset: Int) throws -> CentralDirectory? {
        var locator = LittleEndianReader(bytes, at: locatorOffset, context: "the ZIP64 end record locator")
        guard try locator.uint32() == Signature.zip64Locator else { return nil }
        _ = try locator.uint32()
        let recordOffset = try locator.uint64()
        let diskCount = try locator.uint32()
        guard diskCount <= 1 else { throw CompressionError.unsupportedZipFeature("multi-disk (split) ZIP64 archives") }
        guard recordOffset <= UInt64(bytes.count) else {
            throw CompressionError.invalidZip("the ZIP64 end record offset \(recordOffset) is past the end of the archive")
        }
        var record = LittleEndianReader(bytes, at: Int(recordOffset), context: "the ZIP64 end record")
        guard try record.uint32() == Signature.zip64EndOfCentralDirectory else {
            throw CompressionError.invalidZip("no ZIP64 end record at offset \(recordOffset)")
        }
        try record.skip(8 + 2 + 2 + 4 + 4 + 8)   // record size, versions, disk numbers, entries on this disk
        let entryCount = try record.uint64()
        let size = try record.uint64()
        let offset = try record.uint64()
        let limit = UInt64(bytes.count)
        guard entryCount <= limit, size <= limit, offset <= limit else {
            throw CompressionError.invalidZip("the ZIP64 end record describes a central directory larger than the archive")
        }
        return CentralDirectory(entryCount: Int(entryCount), size: Int(size), offset: Int(offset))
    }

    private static func readCentralHeader(_ reader: inout LittleEndianReader, index: Int) throws -> ZipEntry {
        guard try reader.uint32() == Signature.centralHeader else {
            throw CompressionError.invalidZip("central directory entry \(index) at offset \(reader.offset - 4) has a bad signature")
        }
        try reader.skip(4)                      // versions made by / needed
        let flags = try reader.uint16()
        let method = try reader.uint16()
        try reader.skip(4)                      // modification time and date
        let crc = try reader.uint32()
        var compressedSize = UInt64(try reader.uint32())
        var uncompressedSize = UInt64(try reader.uint32())
        let nameLength = Int(try reader.uint16())
        let extraLength = Int(try reader.uint16())
        let commentLength = Int(try reader.uint16())
        let diskStart = try reader.uint16()
        try reader.skip(6)                      // internal and external attributes
        var localHeaderOffset = UInt64(try reader.uint32())
        let nameBytes = try reader.bytes(nameLength)
        let extra = try reader.bytes(extraLength)
        try reader.skip(commentLength)

        // ZIP64 extra field: 8-byte values for exactly those fields whose 32-bit value is all ones.
        var extraReader = LittleEndianReader(Array(extra), at: 0, context: "the extra fields of entry \(index)")
        while extraReader.offset + 4 <= extra.count {
            let id = try extraReader.uint16()
            let length = Int(try extraReader.uint16())
            var field = LittleEndianReader(Array(try extraReader.bytes(length)), at: 0, context: "the ZIP64 extra field of entry \(index)")
            guard id == zip64ExtraFieldID else { continue }
            if uncompressedSize == 0xFFFF_FFFF { uncompressedSize = try field.uint64() }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try field.uint64() }
            if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try field.uint64() }
        }
        let archiveSize = UInt64(reader.bytes.count)
        guard compressedSize <= archiveSize, localHeaderOffset <= archiveSize else {
            throw CompressionError.invalidZip("entry \(index) claims \(compressedSize) bytes at offset \(localHeaderOffset), beyond the \(archiveSize)-byte archive")
        }
        guard uncompressedSize <= UInt64(Int.max) else {
            throw CompressionError.invalidZip("entry \(index) claims an impossible size \(uncompressedSize)")
        }
        guard diskStart == 0 || diskStart == 0xFFFF else {
            throw CompressionError.unsupportedZipFeature("entry \(index) starts on disk \(diskStart) of a split archive")
        }
        return ZipEntry(name: String(decoding: nameBytes, as: UTF8.self), method: ZipEntry.Method(code: method),
                        compressedSize: Int(compressedSize), uncompressedSize: Int(uncompressedSize), crc32: crc,
                        flags: flags, localHeaderOffset: Int(localHeaderOffset))
    }
}
