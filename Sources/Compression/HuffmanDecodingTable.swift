/// A lookup table that decodes one canonical Huffman code (RFC 1951 section 3.2.2) from a
/// little-endian bit buffer in one or two probes.
///
/// The primary table is indexed by the next `primaryBits` input bits. A code no longer than
/// that fills every slot whose low bits equal its (bit-reversed) code; a longer code lives in a
/// sub-table reached through a link entry. Each 32-bit entry packs what the decoder needs:
///
///     bits 0-7    bits to consume (code length; for a link, `primaryBits`)
///     bits 8-11   kind (literal, length, end of block, distance, link, invalid)
///     bits 12-15  extra bits that follow (for a link: the sub-table's index width)
///     bits 16-31  value (literal byte, base length or distance, or the sub-table's offset)
struct HuffmanDecodingTable {
    enum Kind: UInt32 {
        case literal = 0, length = 1, endOfBlock = 2, distance = 3, link = 4, invalid = 5
    }

    /// Packs an entry without its bit count (the table builder adds it).
    static func payload(_ kind: Kind, value: Int = 0, extraBits: Int = 0) -> UInt32 {
        UInt32(truncatingIfNeeded: value) << 16 | UInt32(truncatingIfNeeded: extraBits) << 12 | kind.rawValue << 8
    }

    /// What each literal/length symbol 0...287 means; 286 and 287 are invalid.
    static let literalLengthPayloads: [UInt32] = (0..<288).map { symbol in
        if symbol < 256 { return payload(.literal, value: symbol) }
        if symbol == DeflateTables.endOfBlock { return payload(.endOfBlock) }
        let index = symbol - 257
        guard index < DeflateTables.lengthBase.count else { return payload(.invalid, value: symbol) }
        return payload(.length, value: Int(DeflateTables.lengthBase[index]),
                       extraBits: Int(DeflateTables.lengthExtraBits[index]))
    }

    /// What each distance symbol 0...31 means; 30 and 31 are invalid.
    static let distancePayloads: [UInt32] = (0..<32).map { symbol in
        guard symbol < DeflateTables.distanceBase.count else { return payload(.invalid, value: symbol) }
        return payload(.distance, value: Int(DeflateTables.distanceBase[symbol]),
                       extraBits: Int(DeflateTables.distanceExtraBits[symbol]))
    }

    /// The code-length code's symbols 0...18 are returned as plain values.
    static let codeLengthPayloads: [UInt32] = (0..<19).map { payload(.literal, value: $0) }

    static let fixedLiteralLength = try? HuffmanDecodingTable(
        lengths: DeflateTables.fixedLiteralLengths, payloads: literalLengthPayloads, primaryBits: 9, name: "fixed literal/length")
    static let fixedDistance = try? HuffmanDecodingTable(
        lengths: DeflateTables.fixedDistanceLengths, payloads: distancePayloads, primaryBits: 5, name: "fixed distance")

    private(set) var entries: [UInt32]
    let primaryBits: Int

    /// Builds the table for the code whose symbol `s` has length `lengths[s]` (0 = unused).
    ///
    /// Rejects over-subscribed code sets and incomplete ones, except the two incomplete forms
    /// RFC 1951 permits: a single code of length 1, and (`allowEmpty`) no codes at all, which
    /// a block holding only literals may send for its distance code.
    init<Lengths: Collection>(lengths: Lengths, payloads: [UInt32], primaryBits: Int, name: String,
                              allowEmpty: Bool = false) throws where Lengths.Element == UInt8 {
        let maxLength = DeflateTables.maxCodeLength
        var countPerLength = [Int](repeating: 0, count: maxLength + 1)
        var symbolCount = 0
        for length in lengths where length != 0 {
            guard Int(length) <= maxLength else { throw CompressionError.invalidCodeLengths("\(name) code length \(length) exceeds 15") }
            countPerLength[Int(length)] += 1
            symbolCount += 1
        }
        let invalid = Self.payload(.invalid)
        if symbolCount == 0 {
            guard allowEmpty else { throw CompressionError.invalidCodeLengths("the \(name) code has no codes") }
            self.primaryBits = 1
            self.entries = [invalid, invalid]
            return
        }
        var unusedCodes = 1
        for length in 1...maxLength {
            unusedCodes = unusedCodes * 2 - countPerLength[length]
            if unusedCodes < 0 { throw CompressionError.invalidCodeLengths("the \(name) code is over-subscribed") }
        }
        if unusedCodes > 0 && !(symbolCount == 1 && countPerLength[1] == 1) {
            throw CompressionError.invalidCodeLengths("the \(name) code is incomplete")
        }

        // First canonical code of each length.
        var nextCode = [Int](repeating: 0, count: maxLength + 2)
        var code = 0
        for length in 1...maxLength {
            code = (code + countPerLength[length - 1]) << 1
            nextCode[length] = code
        }
        let longest = (1...maxLength).last { countPerLength[$0] > 0 } ?? 1
        let primary = min(primaryBits, longest)
        let subBits = longest - primary
        self.primaryBits = primary
        var table = [UInt32](repeating: invalid, count: 1 << primary)

        // Visit symbols in canonical order (by length, then symbol; a counting sort) so that long
        // codes sharing a primary prefix arrive together and can share one sub-table.
        var firstSlot = [Int](repeating: 0, count: maxLength + 2)
        for length in 1...maxLength { firstSlot[length + 1] = firstSlot[length] + countPerLength[length] }
        var canonicalOrder = [Int](repeating: 0, count: symbolCount)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            canonicalOrder[firstSlot[Int(length)]] = symbol
            firstSlot[Int(length)] += 1
        }
        let lengthList = Array(lengths)
        var currentPrefix = -1
        var currentOffset = 0
        for symbol in canonicalOrder {
            let length = Int(lengthList[symbol])
            let canonical = nextCode[length]
            nextCode[length] += 1
            let payload = symbol < payloads.count ? payloads[symbol] : invalid
            let reversed = Self.reverse(canonical, bits: length)
            if length <= primary {
                var slot = reversed
                while slot < table.count {
                    table[slot] = payload | UInt32(length)
                    slot += 1 << length
                }
            } else {
                let prefix = reversed & ((1 << primary) - 1)
                if prefix != currentPrefix {
                    currentPrefix = prefix
                    currentOffset = table.count
                    table[prefix] = Self.payload(.link, value: currentOffset, extraBits: subBits) | UInt32(primary)
                    table.append(contentsOf: repeatElement(invalid, count: 1 << subBits))
                }
                let rest = reversed >> primary
                let restLength = length - primary
                var slot = rest
                while slot < (1 << subBits) {
                    table[currentOffset + slot] = payload | UInt32(restLength)
                    slot += 1 << restLength
                }
            }
        }
        self.entries = table
    }

    /// The low `bits` bits of `code` in reverse order: deflate sends Huffman codes
    /// most-significant bit first into a stream read least-significant bit first.
    static func reverse(_ code: Int, bits: Int) -> Int {
        var result = 0
        var value = code
        for _ in 0..<bits {
            result = (result << 1) | (value & 1)
            value >>= 1
        }
        return result
    }
}
