// Fuzzes the gzip reader (RFC 1952 headers, members, trailers); anything it accepts must
// survive a compress/decompress round trip. Run: scripts/fuzz.sh Gzip 300
// fuzz-modules: Compression
// fuzz-seeds: Tests/DatasetsTests/Fixtures
// fuzz-max-len: 65536
import Compression

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: CompressionError.self, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func gzipFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let output = attempt("Gzip.decompress", { try Gzip.decompress(bytes, maxOutputBytes: 1 << 22) }) {
        precondition((try? Gzip.decompress(Gzip.compress(output))) == output, "gzip round trip differs")
    }
    return 0
}
