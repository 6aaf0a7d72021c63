/// A Huffman table from a DHT segment (ITU T.81 annex C), arranged for fast decoding: codes of
/// up to `lookupBits` bits resolve with one table look-up, longer ones by canonical code ranges.
final class JPEGHuffmanTable {
    static let lookupBits = 9

    /// Indexed by the next `lookupBits` bits: `length << 8 | symbol`, or 0 when the code is longer.
    let lookup: [UInt16]
    /// For each code length 1...16: the largest code of that length (-1 when there is none),
    /// the first code of that length, and where its symbols start in `symbols`.
    private let maxCode: [Int32]
    private let firstCode: [Int32]
    private let firstSymbolIndex: [Int32]
    let symbols: [UInt8]

    /// Builds the table from the 16 code-length counts and the symbols in code order.
    /// Refuses counts that describe more codes than fit in 16 bits (as libjpeg does).
    init(counts: [Int], symbols: [UInt8]) throws {
        var maxCode = [Int32](repeating: -1, count: 17)
        var firstCode = [Int32](repeating: 0, count: 17)
        var firstSymbolIndex = [Int32](repeating: 0, count: 17)
        var lookup = [UInt16](repeating: 0, count: 1 << Self.lookupBits)
        var code = 0, symbolIndex = 0
        for length in 1...16 {
            let count = counts[length - 1]
            firstCode[length] = Int32(code)
            firstSymbolIndex[length] = Int32(symbolIndex)
            for _ in 0..<count {
                guard code < 1 << length else {
                    throw JPEGError.malformedSegment(marker: "DHT", reason: "its code-length counts describe more codes than fit in \(length) bits")
                }
                if length <= Self.lookupBits {
                    let shift = Self.lookupBits - length
                    let entry = UInt16(length << 8) | UInt16(symbols[symbolIndex])
                    for fill in (code << shift)..<((code + 1) << shift) { lookup[fill] = entry }
                }
                code += 1
                symbolIndex += 1
            }
            if count > 0 { maxCode[length] = Int32(code - 1) }
            guard code < 1 << length else {
                throw JPEGError.malformedSegment(marker: "DHT", reason: "its code-length counts describe more codes than fit in \(length) bits")
            }
            code <<= 1
        }
        self.lookup = lookup
        self.maxCode = maxCode
        self.firstCode = firstCode
        self.firstSymbolIndex = firstSymbolIndex
        self.symbols = symbols
    }

    /// The symbol of a code longer than `lookupBits`, given the next 16 bits (MSB first);
    /// returns its length too, or nil when the bits are no code of this table.
    func decodeLong(next16Bits bits: UInt32) -> (symbol: Int, length: Int)? {
        for length in (Self.lookupBits + 1)...16 {
            let code = Int32(bits >> UInt32(16 - length))
            if code <= maxCode[length] {
                let index = Int(firstSymbolIndex[length] + code - firstCode[length])
                guard index >= 0, index < symbols.count else { return nil }
                return (Int(symbols[index]), length)
            }
        }
        return nil
    }
}

/// The four DC and four AC table slots that DHT segments fill and scans refer to.
struct JPEGHuffmanTables {
    var dc: [JPEGHuffmanTable?] = [nil, nil, nil, nil]
    var ac: [JPEGHuffmanTable?] = [nil, nil, nil, nil]

    mutating func parse(_ reader: inout JPEGSegmentReader) throws {
        while reader.remaining > 0 {
            let header = try reader.byte()
            let tableClass = header >> 4, index = header & 15
            guard tableClass <= 1, index < 4 else {
                throw reader.fail("table class \(tableClass) index \(index); class must be 0 (DC) or 1 (AC), index 0 to 3")
            }
            var counts: [Int] = []
            for _ in 0..<16 { counts.append(try reader.byte()) }
            let total = counts.reduce(0, +)
            guard total <= 256 else { throw reader.fail("it declares \(total) symbols; at most 256 exist") }
            var symbols: [UInt8] = []
            symbols.reserveCapacity(total)
            for _ in 0..<total { symbols.append(UInt8(try reader.byte())) }
            let table = try JPEGHuffmanTable(counts: counts, symbols: symbols)
            if tableClass == 0 { dc[index] = table } else { ac[index] = table }
        }
    }
}
