/// Compression to deflate (RFC 1951), bare or as a zlib stream (RFC 1950).
///
/// LZ77 matching with hash chains (lazy matching from level 4, as zlib), and each block of
/// about 16K tokens written with whichever of stored, fixed or dynamic Huffman coding is
/// smallest. Level 0 stores the data uncompressed. Output is decodable by any inflater;
/// compression ratios are close to zlib's at the same level.
public enum Deflate {
    /// A zlib stream: 2-byte header, deflate data, Adler-32 of `data`.
    public static func zlib(_ data: [UInt8], level: Int = 6) -> [UInt8] {
        // CMF 0x78: deflate with a 32 KiB window; FLG carries the level hint and check bits.
        let levelHint: UInt8 = level <= 0 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3
        let cmf: UInt8 = 0x78
        var flg: UInt8 = levelHint << 6
        flg += UInt8(31 - (Int(cmf) * 256 + Int(flg)) % 31)
        var stream: [UInt8] = [cmf, flg]
        stream += raw(data, level: level)
        let adler = Adler32.checksum(data)
        stream += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return stream
    }

    /// Raw deflate data, e.g. for a zip entry. Levels outside 0...9 are clamped.
    public static func raw(_ data: [UInt8], level: Int = 6) -> [UInt8] {
        let level = min(max(level, 0), 9)
        return data.withUnsafeBufferPointer { input in
            var writer = DeflateBlockWriter(expectedInputSize: input.count)
            if input.isEmpty {
                writer.writeEmptyFinalBlock()
            } else if level == 0 {
                writer.writeStored(input, isFinal: true)
            } else {
                // Each batch is written when the next one arrives, so the last can be marked final.
                var pending: (tokens: [LZ77Matcher.Token], range: Range<Int>)?
                LZ77Matcher.tokenize(input, effort: .forLevel(level)) { tokens, range in
                    if let previous = pending {
                        writer.writeBlock(previous.tokens, input: input, range: previous.range, isFinal: false)
                    }
                    pending = (tokens, range)
                }
                if let last = pending {
                    writer.writeBlock(last.tokens, input: input, range: last.range, isFinal: true)
                } else {
                    writer.writeEmptyFinalBlock()
                }
            }
            return writer.finish()
        }
    }
}
