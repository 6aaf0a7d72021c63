/// Decompression of deflate data (RFC 1951), bare or wrapped in a zlib stream (RFC 1950).
///
/// Every malformed input ends in a `CompressionError`, never a trap, and output is capped by
/// `maxOutputBytes` while decoding, so a decompression bomb is refused without being allocated.
public enum Inflate {
    /// A zlib stream (RFC 1950): header, deflate data, Adler-32 verified.
    /// Bytes after the Adler-32 trailer are an error.
    public static func zlib(_ data: [UInt8], maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        try data.withUnsafeBytes { try zlib(bytes: $0, maxOutputBytes: maxOutputBytes) }
    }

    /// A zlib stream over raw memory; see `zlib(_:maxOutputBytes:)`.
    public static func zlib(bytes: UnsafeRawBufferPointer, expectedSize: Int? = nil,
                            maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        let body = try zlibBody(bytes)
        let (output, consumed) = try decode(body, expectedSize: expectedSize, maxOutputBytes: maxOutputBytes)
        try checkZlibTrailer(body, consumed: consumed, adler: Adler32.checksum(output))
        return output
    }

    /// A zlib stream decoded in pieces, so that its whole output is never held: `consume`
    /// receives the bytes in order, about `chunkSize` at a time, as they are produced (an error
    /// it throws ends the decoding). The Adler-32 is verified at the end; returns the byte count.
    @discardableResult
    public static func zlib(bytes: UnsafeRawBufferPointer, maxOutputBytes: Int = 1 << 30, chunkSize: Int = 1 << 18,
                            consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let body = try zlibBody(bytes)
        var adler: UInt32 = 1
        return try withoutActuallyEscaping(consume) { consume in
            var output = InflateOutput(streamingChunk: chunkSize, limit: maxOutputBytes) { piece in
                adler = Adler32.update(adler, piece)
                try consume(piece)
            }
            defer { output.deallocate() }
            var decoder = DeflateDecoder(input: InputBitStream(body))
            try decoder.run(into: &output)
            try output.finish()
            try checkZlibTrailer(body, consumed: decoder.input.bytesConsumed, adler: adler)
            return output.delivered
        }
    }

    /// Checks the 2-byte zlib header; returns what follows it.
    private static func zlibBody(_ bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard bytes.count >= 2 else { throw CompressionError.truncatedInput("a zlib stream needs a 2-byte header") }
        let cmf = Int(bytes[0]), flg = Int(bytes[1])
        guard cmf & 0x0F == 8 else {
            throw CompressionError.invalidZlibHeader("compression method \(cmf & 0x0F) is not deflate (8)")
        }
        guard cmf >> 4 <= 7 else {
            throw CompressionError.invalidZlibHeader("window size exponent \(cmf >> 4) exceeds 7 (32 KiB)")
        }
        guard (cmf << 8 | flg) % 31 == 0 else {
            throw CompressionError.invalidZlibHeader("header check bits are wrong (not a zlib stream?)")
        }
        guard flg & 0x20 == 0 else {
            throw CompressionError.invalidZlibHeader("the stream needs a preset dictionary, which is not supported")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[2...])
    }

    /// The 4-byte Adler-32 must follow the deflate data and match; nothing may follow it.
    private static func checkZlibTrailer(_ body: UnsafeRawBufferPointer, consumed: Int, adler actual: UInt32) throws {
        let trailer = body.count - consumed
        guard trailer >= 4 else { throw CompressionError.truncatedInput("the 4-byte Adler-32 trailer is missing") }
        let expected = UInt32(body[consumed]) << 24 | UInt32(body[consumed + 1]) << 16
            | UInt32(body[consumed + 2]) << 8 | UInt32(body[consumed + 3])
        guard trailer == 4 else { throw CompressionError.trailingData(count: trailer - 4) }
        guard actual == expected else {
            throw CompressionError.checksumMismatch(kind: "Adler-32", expected: expected, actual: actual)
        }
    }

    /// Raw deflate (RFC 1951), e.g. zip entries; `expectedSize` pre-sizes the output when known.
    /// Bytes after the final block are an error.
    public static func raw(_ data: [UInt8], expectedSize: Int? = nil, maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        try data.withUnsafeBytes { try raw(bytes: $0, expectedSize: expectedSize, maxOutputBytes: maxOutputBytes) }
    }

    /// Raw deflate over raw memory; see `raw(_:expectedSize:maxOutputBytes:)`.
    public static func raw(bytes: UnsafeRawBufferPointer, expectedSize: Int? = nil,
                           maxOutputBytes: Int = 1 << 30) throws -> [UInt8] {
        let (output, consumed) = try decode(bytes, expectedSize: expectedSize, maxOutputBytes: maxOutputBytes)
        guard consumed == bytes.count else { throw CompressionError.trailingData(count: bytes.count - consumed) }
        return output
    }

    /// Raw deflate that stops after the final block and reports how many input bytes it used
    /// (for containers such as gzip where more data follows).
    public static func rawPrefix(bytes: UnsafeRawBufferPointer, expectedSize: Int? = nil,
                                 maxOutputBytes: Int = 1 << 30) throws -> (output: [UInt8], bytesConsumed: Int) {
        try decode(bytes, expectedSize: expectedSize, maxOutputBytes: maxOutputBytes)
    }

    /// Deflate can expand at most about 1032:1, so no valid stream outgrows this; pre-sizing
    /// from a declared size never allocates more than the input could produce.
    private static func initialCapacity(inputCount: Int, expectedSize: Int?) -> Int {
        let bound = inputCount.multipliedReportingOverflow(by: 1032)
        let ceiling = bound.overflow ? Int.max : bound.partialValue &+ 64
        if let expectedSize, expectedSize >= 0 { return min(expectedSize, ceiling) }
        return min(max(inputCount.multipliedReportingOverflow(by: 4).partialValue, 4096), ceiling)
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, expectedSize: Int?,
                               maxOutputBytes: Int) throws -> (output: [UInt8], bytesConsumed: Int) {
        var output = InflateOutput(
            initialCapacity: initialCapacity(inputCount: bytes.count, expectedSize: expectedSize),
            limit: maxOutputBytes)
        defer { output.deallocate() }
        var decoder = DeflateDecoder(input: InputBitStream(bytes))
        try decoder.run(into: &output)
        return (output.toArray(), decoder.input.bytesConsumed)
    }
}
