import Compression
import XCTest

/// Archives written by Python's zipfile: plain, ZIP64, and streamed (data descriptors).
final class ZipArchiveTests: XCTestCase {
    func testReadsEveryFixtureArchive() throws {
        let corpus = try FixtureCorpus.load()
        XCTAssertEqual(corpus.zipArchives.count, 3)
        for (archiveName, expectedEntries) in corpus.zipArchives.sorted(by: { $0.key < $1.key }) {
            let archive = try ZipArchive(bytes: FixtureCorpus.file("zip/\(archiveName)"))
            XCTAssertEqual(archive.entries.map(\.name), expectedEntries.map(\.name), archiveName)
            for (entry, expected) in zip(archive.entries, expectedEntries) {
                let context = "\(archiveName) \(entry.name)"
                XCTAssertEqual(entry.isDirectory, expected.isDirectory, context)
                XCTAssertEqual(entry.uncompressedSize, expected.size, context)
                XCTAssertEqual(entry.crc32, expected.crc32, context)
                XCTAssertEqual(entry.method, expected.method == 8 ? .deflated : .stored, context)
                XCTAssertEqual(try archive.contents(of: entry), expected.contents, context)
                // The output limit is inclusive: exactly the entry's size is allowed, one less is not.
                XCTAssertEqual(try archive.contents(of: entry, maxOutputBytes: expected.size), expected.contents, context)
                if expected.size > 0 {
                    XCTAssertThrowsError(try archive.contents(of: entry, maxOutputBytes: expected.size - 1), context) {
                        XCTAssertEqual($0 as? CompressionError, .outputLimitExceeded(limit: expected.size - 1), context)
                    }
                }
            }
        }
    }

    func testLookupByName() throws {
        let archive = try ZipArchive(bytes: FixtureCorpus.file("zip/plain.zip"))
        let config = try XCTUnwrap(archive.entry(named: "model/config.json"))
        XCTAssertEqual(String(decoding: try archive.contents(of: config), as: UTF8.self), "{\"layers\": [1, 2, 3]}\n")
        XCTAssertNil(archive.entry(named: "model/config"))
        XCTAssertNil(archive.entry(named: "missing.txt"))
        let directory = try XCTUnwrap(archive.entry(named: "model/"))
        XCTAssertTrue(directory.isDirectory)
        XCTAssertEqual(try archive.contents(of: directory), [])
    }

    func testZip64ArchiveUsesExtraFields() throws {
        let archive = try ZipArchive(bytes: FixtureCorpus.file("zip/zip64.zip"))
        let plain = try ZipArchive(bytes: FixtureCorpus.file("zip/plain.zip"))
        // Same entries; offsets differ since the ZIP64 local headers carry extra fields.
        XCTAssertEqual(archive.entries.map(\.uncompressedSize), plain.entries.map(\.uncompressedSize))
        XCTAssertEqual(archive.entries.map(\.crc32), plain.entries.map(\.crc32))
        XCTAssertNotEqual(archive.entries.map(\.localHeaderOffset), plain.entries.map(\.localHeaderOffset))
    }

    func testOutputLimitRefusesLargeEntryUpFront() throws {
        let archive = try ZipArchive(bytes: FixtureCorpus.file("zip/plain.zip"))
        let readme = try XCTUnwrap(archive.entry(named: "docs/readme.txt"))
        XCTAssertThrowsError(try archive.contents(of: readme, maxOutputBytes: 1000)) {
            XCTAssertEqual($0 as? CompressionError, .outputLimitExceeded(limit: 1000))
        }
    }

    func testNotAZipAndTruncation() throws {
        XCTAssertThrowsError(try ZipArchive(bytes: [])) { XCTAssertNotNil($0 as? CompressionError) }
        XCTAssertThrowsError(try ZipArchive(bytes: Array("definitely not a zip archive at all".utf8))) { error in
            XCTAssertTrue(String(describing: error).contains("end of central directory"))
        }
        let bytes = try FixtureCorpus.file("zip/plain.zip")
        for length in stride(from: 0, to: bytes.count, by: 13) {
            XCTAssertThrowsError(try ZipArchive(bytes: Array(bytes[..<length])), "cut to \(length)")
        }
    }

    /// Patches a little-endian field of the first central-directory entry named `name`.
    private func patchCentralHeader(_ bytes: inout [UInt8], entry name: String, fieldOffset: Int, value: [UInt8]) throws {
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let nameBytes = Array(name.utf8)
        for start in 0..<(bytes.count - 46) where Array(bytes[start..<(start + 4)]) == signature {
            if Array(bytes[(start + 46)..<(start + 46 + nameBytes.count)]) == nameBytes {
                for (i, byte) in value.enumerated() { bytes[start + fieldOffset + i] = byte }
                return
            }
        }
        XCTFail("no central header for \(name)")
    }

    func testChecksumMismatchAndUnsupportedFeatures() throws {
        let original = try FixtureCorpus.file("zip/plain.zip")

        var wrongCRC = original
        try patchCentralHeader(&wrongCRC, entry: "model/config.json", fieldOffset: 16, value: [0x78, 0x56, 0x34, 0x12])
        let crcArchive = try ZipArchive(bytes: wrongCRC)
        XCTAssertThrowsError(try crcArchive.contents(of: XCTUnwrap(crcArchive.entry(named: "model/config.json")))) { error in
            guard case .checksumMismatch(_, let expected, _)? = error as? CompressionError else { return XCTFail("got \(error)") }
            XCTAssertEqual(expected, 0x1234_5678)
            XCTAssertTrue(String(describing: error).contains("0x12345678"))
        }

        var encrypted = original
        try patchCentralHeader(&encrypted, entry: "runs.dat", fieldOffset: 8, value: [0x01, 0x00])
        let encryptedArchive = try ZipArchive(bytes: encrypted)
        XCTAssertThrowsError(try encryptedArchive.contents(of: XCTUnwrap(encryptedArchive.entry(named: "runs.dat")))) { error in
            XCTAssertTrue(String(describing: error).contains("encrypted"))
        }

        var bzip2 = original
        try patchCentralHeader(&bzip2, entry: "runs.dat", fieldOffset: 10, value: [12, 0])
        let bzip2Archive = try ZipArchive(bytes: bzip2)
        let bzip2Entry = try XCTUnwrap(bzip2Archive.entry(named: "runs.dat"))
        XCTAssertEqual(bzip2Entry.method, .other(12))
        XCTAssertThrowsError(try bzip2Archive.contents(of: bzip2Entry)) { error in
            guard case .unsupportedZipFeature? = error as? CompressionError else { return XCTFail("got \(error)") }
        }

        var hugeOffset = original
        try patchCentralHeader(&hugeOffset, entry: "runs.dat", fieldOffset: 42, value: [0xF0, 0xFF, 0xFF, 0x7F])
        XCTAssertThrowsError(try ZipArchive(bytes: hugeOffset)) { XCTAssertNotNil($0 as? CompressionError) }
    }

    /// Corrupting any byte must never yield wrong contents without an error: either the
    /// archive or an entry is refused, or every entry still reads back exactly (bytes such as
    /// timestamps, version fields or local-header names are not needed to extract).
    func testByteCorruptionNeverYieldsWrongData() throws {
        let corpus = try FixtureCorpus.load()
        for archiveName in ["plain.zip", "streamed.zip"] {
            let original = try FixtureCorpus.file("zip/\(archiveName)")
            let expected = try XCTUnwrap(corpus.zipArchives[archiveName]).map(\.contents)
            var refused = 0
            let positions = Array(stride(from: 0, to: original.count, by: 11))
            for position in positions {
                var corrupt = original
                corrupt[position] ^= 0x5A
                do {
                    let archive = try ZipArchive(bytes: corrupt)
                    let contents = try archive.entries.map { try archive.contents(of: $0) }
                    XCTAssertEqual(contents, expected, "\(archiveName): corruption at \(position) changed the data silently")
                } catch is CompressionError {
                    refused += 1
                }
            }
            // Almost all bytes are entry data, which the CRC-32 protects.
            XCTAssertGreaterThan(refused, positions.count * 8 / 10, archiveName)
        }
    }
}
