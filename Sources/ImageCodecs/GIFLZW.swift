/// GIF's variable-length LZW (specification appendix F): codes of 2 to 12 bits packed least
/// significant bit first, a clear code that resets the table and an end code; the code size
/// grows when the table fills its current size, and a full table (4096 entries) is kept until
/// the next clear ("deferred clear"). A code one past the table is the KwKwK case.
enum GIFLZW {
    /// The first `count` indexes of `data`; fewer when the stream ends early (the caller decides
    /// what that means). Throws on a code that refers past the table.
    static func decode(_ data: [UInt8], minimumCodeSize: Int, count: Int) throws -> [UInt8] {
        let clear = 1 << minimumCodeSize, end = clear + 1
        var table = LZWStringTable(roots: clear, reserved: 2)
        var output = [UInt8](repeating: 0, count: count)
        var written = 0
        var size = minimumCodeSize + 1
        var bits: UInt64 = 0
        var bitCount = 0
        var position = 0
        var previous: Int?
        decoding: while written < count {
            while bitCount < size {
                guard position < data.count else { break decoding }  // no end code: the data simply stops
                bits |= UInt64(data[position]) << UInt64(bitCount)
                position += 1
                bitCount += 8
            }
            let code = Int(bits & ((1 << UInt64(size)) - 1))
            bits >>= UInt64(size)
            bitCount -= size
            if code == clear {
                table.reset()
                size = minimumCodeSize + 1
                previous = nil
                continue
            }
            if code == end { break }
            if let earlier = previous {
                guard table.learn(code, after: earlier) else {
                    throw ImageDecodingError(.gif, .invalid, "the image data uses LZW code \(code) before defining it; the file is corrupt")
                }
                if table.next == 1 << size && size < 12 { size += 1 }
            } else if code >= clear {
                throw ImageDecodingError(.gif, .invalid, "the image data starts with code \(code), which is not a colour index")
            }
            written = table.write(code, into: &output, at: written)
            previous = code
        }
        return written == count ? output : Array(output[0..<written])
    }
}
