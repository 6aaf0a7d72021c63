/// Writes zip archives (APPNOTE.TXT) in memory: what `numpy.savez` (entries stored) and
/// `numpy.savez_compressed` (entries deflated) produce, which `ZipArchive`, Python's zipfile
/// and `unzip` read. Entries carry no timestamps (1980-01-01 00:00), so the same entries give
/// the same bytes.
///
/// No ZIP64: an archive whose entries or offsets need more than 32 bits is refused.
public struct ZipWriter {
    public enum Method: Sendable {
        case stored
        /// Deflate at this level (1-9).
        case deflated(level: Int)
    }

    private var output: [UInt8] = []
    private var centralDirectory: [UInt8] = []
    private var entryCount = 0
    private var names: Set<String> = []

    public init() {}

    /// Adds an entry named `name` (a path with `/` separators) holding `data`.
    public mutating func add(_ name: String, _ data: [UInt8], method: Method = .stored) throws {
        guard !name.isEmpty, !names.contains(name) else {
            throw CompressionError.invalidZip(name.isEmpty ? "an entry needs a name" : "two entries are named '\(name)'")
        }
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xFFFF else { throw CompressionError.invalidZip("entry name of \(nameBytes.count) bytes is too long") }
        let stored: [UInt8]
        let methodCode: UInt16
        switch method {
        case .stored:
            stored = data
            methodCode = 0
        case .deflated(let level):
            stored = Deflate.raw(data, level: level)
            methodCode = 8
        }
        let offset = output.count
        guard data.count <= 0xFFFF_FFFE, stored.count <= 0xFFFF_FFFE, offset + stored.count + 30 + nameBytes.count <= 0xFFFF_FFFE,
              entryCount < 0xFFFF else {
            throw CompressionError.unsupportedZipFeature("archives over 4 GiB or 65,535 entries need ZIP64, which this writer does not write")
        }
        names.insert(name)
        let crc = CRC32.checksum(data)
        let dosTime: UInt16 = 0, dosDate: UInt16 = 0x21  // 1980-01-01
        // The fields the local header and the central directory record share, in that order.
        func appendEntryFields(to bytes: inout [UInt8]) {
            Self.append16(20, to: &bytes)             // version needed: 2.0 (deflate)
            Self.append16(0, to: &bytes)              // flags
            Self.append16(methodCode, to: &bytes)
            Self.append16(dosTime, to: &bytes)
            Self.append16(dosDate, to: &bytes)
            Self.append32(crc, to: &bytes)
            Self.append32(UInt32(stored.count), to: &bytes)
            Self.append32(UInt32(data.count), to: &bytes)
            Self.append16(UInt16(nameBytes.count), to: &bytes)
            Self.append16(0, to: &bytes)              // extra field length
        }
        Self.append32(0x0403_4B50, to: &output)       // local file header
        appendEntryFields(to: &output)
        output += nameBytes
        output += stored
        Self.append32(0x0201_4B50, to: &centralDirectory)
        Self.append16(0x0314, to: &centralDirectory)  // made by: Unix, 2.0
        appendEntryFields(to: &centralDirectory)
        Self.append16(0, to: &centralDirectory)       // comment
        Self.append16(0, to: &centralDirectory)       // disk number
        Self.append16(0, to: &centralDirectory)       // internal attributes
        Self.append32(0o100644 << 16, to: &centralDirectory)  // external: a regular file, rw-r--r--
        Self.append32(UInt32(offset), to: &centralDirectory)
        centralDirectory += nameBytes
        entryCount += 1
    }

    /// The archive: the entries, the central directory and its end record.
    public func finish() throws -> [UInt8] {
        var archive = output
        let directoryOffset = archive.count
        guard directoryOffset + centralDirectory.count <= 0xFFFF_FFFE else {
            throw CompressionError.unsupportedZipFeature("archives over 4 GiB need ZIP64, which this writer does not write")
        }
        archive += centralDirectory
        Self.append32(0x0605_4B50, to: &archive)
        Self.append16(0, to: &archive)                           // this disk
        Self.append16(0, to: &archive)                           // disk of the central directory
        Self.append16(UInt16(entryCount), to: &archive)
        Self.append16(UInt16(entryCount), to: &archive)
        Self.append32(UInt32(centralDirectory.count), to: &archive)
        Self.append32(UInt32(directoryOffset), to: &archive)
        Self.append16(0, to: &archive)                           // comment length
        return archive
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
