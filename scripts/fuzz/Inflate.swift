// Fuzzes Inflate (zlib and raw deflate) and, on inputs that decode, the Deflate round trip.
// Only CompressionError may be thrown; anything else, or a round trip that changes the data,
// is a finding.
// fuzz-modules: Compression
// fuzz-seeds: Tests/CompressionTests/Fixtures/zlib Tests/CompressionTests/Fixtures/raw
// fuzz-max-len: 65536
import Compression

/// Small enough that every input is fast; large enough that real streams decode fully.
private let outputLimit = 1 << 22

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: CompressionError.self, message: \.description, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let fromZlib = attempt("Inflate.zlib") { try Inflate.zlib(bytes: bytes, maxOutputBytes: outputLimit) }
    let fromRaw = attempt("Inflate.rawPrefix") { try Inflate.rawPrefix(bytes: bytes, maxOutputBytes: outputLimit) }
    if let fromRaw, fromRaw.bytesConsumed > size { fatalError("rawPrefix consumed \(fromRaw.bytesConsumed) of \(size) bytes") }
    // Whatever decodes must survive our own encoder unchanged, at a level chosen by the input
    // (small outputs only, so that most time goes to the decoder).
    if let decoded = fromZlib ?? fromRaw?.output, decoded.count <= 1 << 13 {
        let level = size % 10
        let recoded = Deflate.zlib(decoded, level: level)
        guard let again = attempt("Inflate.zlib of our own stream", { try Inflate.zlib(recoded) }), again == decoded else {
            fatalError("Deflate level \(level) round trip failed for \(decoded.count) bytes")
        }
        precondition(CRC32.checksum(decoded) == CRC32.update(CRC32.checksum(decoded.prefix(size / 2)), decoded.dropFirst(size / 2)))
    }
    return 0
}
