import Compression

/// The strip codings of baseline TIFF this decoder reads: none, PackBits (part 1 section 9),
/// LZW (section 13: codes of 9 to 12 bits, most significant bit first, widened one code early)
/// and deflate (the zlib stream of Adobe's TIFF technical note 2). Each decodes one strip into
/// exactly `expected` bytes or fails.
enum TIFFCompression {
    static func decode(_ strip: ArraySlice<UInt8>, compression: TIFFDirectory.Compression, expected: Int) throws -> [UInt8] {
        switch compression {
        case .none:
            guard strip.count >= expected else { throw shortStrip(strip.count, expected) }
            return Array(strip.prefix(expected))
        case .packBits:
            return try packBits(strip, expected: expected)
        case .lzw:
            return try lzw(Array(strip), expected: expected)
        case .deflate:
            let output: [UInt8]
            do {
                output = try Array(strip).withUnsafeBytes { try Inflate.zlib(bytes: $0, expectedSize: expected, maxOutputBytes: expected) }
            } catch {
                throw ImageDecodingError(.tiff, .invalid, "a deflate strip is damaged (\(error))")
            }
            guard output.count == expected else { throw shortStrip(output.count, expected) }
            return output
        }
    }

    private static func shortStrip(_ got: Int, _ expected: Int) -> ImageDecodingError {
        ImageDecodingError(.tiff, .truncated, "a strip holds \(got) bytes once decoded, \(expected) are needed; the file is cut short")
    }

    /// PackBits: a header byte n, then n+1 literal bytes (0...127) or one byte repeated 1-n
    /// times (-127...-1); -128 is skipped.
    static func packBits(_ strip: ArraySlice<UInt8>, expected: Int) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(expected)
        var index = strip.startIndex
        while output.count < expected && index < strip.endIndex {
            let header = Int(Int8(bitPattern: strip[index]))
            index += 1
            if header >= 0 {
                let count = min(header + 1, strip.endIndex - index)
                output.append(contentsOf: strip[index..<(index + count)].prefix(expected - output.count))
                index += count
            } else if header != -128 {
                guard index < strip.endIndex else { break }
                output.append(contentsOf: repeatElement(strip[index], count: min(1 - header, expected - output.count)))
                index += 1
            }
        }
        guard output.count == expected else { throw shortStrip(output.count, expected) }
        return output
    }

    /// TIFF LZW: clear 256, end 257, entries from 258; the code size grows when the next entry
    /// is one below a power of two (libtiff's "early change"). The old LZW of TIFF 5 (bits
    /// least significant first, recognised by its first byte) is refused by name.
    static func lzw(_ data: [UInt8], expected: Int) throws -> [UInt8] {
        if data.count >= 2 && data[0] == 0 && data[1] & 1 != 0 {
            throw ImageDecodingError(.tiff, .unsupported, "old-style (TIFF 5) LZW is not supported; resave the image")
        }
        let clear = 256, end = 257
        var table = LZWStringTable(roots: 256, reserved: 2)
        var output = [UInt8](repeating: 0, count: expected)
        var written = 0
        var size = 9
        var bits: UInt64 = 0
        var bitCount = 0
        var position = 0
        var previous: Int?
        decoding: while written < expected {
            while bitCount < size {
                guard position < data.count else { break decoding }
                bits = (bits << 8 | UInt64(data[position])) & 0xFFFF_FFFF
                position += 1
                bitCount += 8
            }
            let code = Int((bits >> UInt64(bitCount - size)) & ((1 << UInt64(size)) - 1))
            bitCount -= size
            if code == clear {
                table.reset()
                size = 9
                previous = nil
                continue
            }
            if code == end { break }
            if let earlier = previous {
                guard table.learn(code, after: earlier) else {
                    throw ImageDecodingError(.tiff, .invalid, "an LZW strip uses code \(code) before defining it; the file is corrupt")
                }
                if table.next >= (1 << size) - 1 && size < 12 { size += 1 }
            } else if code > end {
                throw ImageDecodingError(.tiff, .invalid, "an LZW strip starts with code \(code), which is not a byte")
            }
            written = table.write(code, into: &output, at: written)
            previous = code
        }
        guard written == expected else { throw shortStrip(written, expected) }
        return output
    }
}
