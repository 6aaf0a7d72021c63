// Fuzzes ZipArchive: parsing the central directory and extracting every entry. Only
// CompressionError may be thrown; an extracted entry must match its recorded size and CRC-32.
// fuzz-modules: Compression
// fuzz-seeds: Tests/CompressionTests/Fixtures/zip
// fuzz-max-len: 65536
import Compression

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: CompressionError.self, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    guard let archive = attempt("ZipArchive(bytes:)", { try ZipArchive(bytes: bytes) }) else { return 0 }
    for entry in archive.entries {
        _ = archive.entry(named: entry.name)
        // A limit keeps a declared multi-gigabyte entry from being attempted.
        if let contents = attempt("contents(of:)", { try archive.contents(of: entry, maxOutputBytes: 1 << 24) }) {
            precondition(contents.count == entry.uncompressedSize, "extracted size differs from the recorded size")
            precondition(CRC32.checksum(contents) == entry.crc32, "extracted data differs from the recorded CRC-32")
        }
    }
    return 0
}
