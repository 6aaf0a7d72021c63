/// Builds deflate bit streams by hand: malformed inputs no real encoder would produce, and
/// large regular outputs (repeated rows) from a few kilobytes of input, fast in debug builds.
public struct HandmadeBitStream {
    public private(set) var bytes: [UInt8] = []
    private var bitCount = 0

    public init() {}

    /// Appends the low `count` bits of `value`, least significant first (header fields, extra bits).
    public mutating func bits(_ value: Int, _ count: Int) {
        for i in 0..<count {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> i) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }

    /// Appends a Huffman code, most significant bit first.
    public mutating func code(_ code: Int, length: Int) {
        for i in stride(from: length - 1, through: 0, by: -1) { bits((code >> i) & 1, 1) }
    }

    /// A fixed-Huffman literal/length symbol (RFC 1951 section 3.2.6).
    public mutating func fixedSymbol(_ symbol: Int) {
        switch symbol {
        case 0...143: code(0x30 + symbol, length: 8)
        case 144...255: code(0x190 + symbol - 144, length: 9)
        case 256...279: code(symbol - 256, length: 7)
        default: code(0xC0 + symbol - 280, length: 8)
        }
    }

    /// A fixed-Huffman distance symbol.
    public mutating func fixedDistance(_ symbol: Int) { code(symbol, length: 5) }

    /// A match of `length` (3...258) bytes from `distance` (1...32768) back, in fixed-Huffman
    /// codes with their extra bits (RFC 1951 section 3.2.5).
    public mutating func fixedMatch(length: Int, distance: Int) {
        precondition((3...258).contains(length) && (1...32768).contains(distance))
        if length == 258 {
            fixedSymbol(285)
        } else {
            var symbol = 257, base = 3, extra = 0
            // Lengths 3-10 have no extra bits; then each group of four codes doubles the range.
            while true {
                let span = 1 << extra
                if length < base + span { break }
                base += span
                symbol += 1
                if symbol >= 265 && (symbol - 265) % 4 == 0 { extra += 1 }
            }
            fixedSymbol(symbol)
            bits(length - base, extra)
        }
        var code = 0, base = 1, extra = 0
        while distance >= base + (1 << extra) {
            base += 1 << extra
            code += 1
            if code >= 4 && code % 2 == 0 { extra += 1 }
        }
        fixedDistance(code)
        bits(distance - base, extra)
    }
}
