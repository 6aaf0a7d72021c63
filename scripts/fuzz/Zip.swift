// Fuzzes ZipArchive: parsing the central directory and extracting every entry.
// fuzz-modules: Compression
// fuzz-seeds: Tests/CompressionTests/Fixtures/zip
// fuzz-max-len: 65536
import Compression

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    guard let archive = try? ZipArchive(bytes: bytes) else { return 0 }
    for entry in archive.entries {
        _ = archive.entry(named: entry.name)
        // A limit keeps a declared multi-gigabyte entry from being attempted.
        if let contents = try? archive.contents(of: entry, maxOutputBytes: 1 << 24) {
            precondition(contents.count == entry.uncompressedSize, "extracted size differs from the recorded size")
            precondition(CRC32.checksum(contents) == entry.crc32, "extracted data differs from the recorded CRC-32")
        }
    }
    return 0
}
