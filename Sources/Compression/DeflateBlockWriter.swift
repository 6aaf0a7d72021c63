/// Writes one batch of LZ77 tokens as a deflate block (RFC 1951 section 3.2), choosing whichever
/// of stored, fixed-Huffman and dynamic-Huffman encoding is smallest for it.
struct DeflateBlockWriter {
    private(set) var output: OutputBitStream

    init(expectedInputSize: Int) {
        output = OutputBitStream(reservingCapacity: expectedInputSize / 2 + 64)
    }

    /// Symbol for each match length 3...258 (index length - 3), as an index into the length tables.
    private static let lengthSymbolIndex: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        for (index, base) in DeflateTables.lengthBase.enumerated() {
            let span = 1 << Int(DeflateTables.lengthExtraBits[index])
            for length in Int(base)..<min(Int(base) + span, 259) { table[length - 3] = UInt8(index) }
        }
        return table
    }()

    /// Distance symbol lookup: `[d - 1]` for d <= 256, `[256 + (d - 1) >> 7]` beyond (zlib's trick).
    private static let distanceSymbolTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        for (symbol, base) in DeflateTables.distanceBase.enumerated() {
            let span = 1 << Int(DeflateTables.distanceExtraBits[symbol])
            for distance in Int(base)..<(Int(base) + span) {
                let d = distance - 1
                if d < 256 { table[d] = UInt8(symbol) } else { table[256 + (d >> 7)] = UInt8(symbol) }
            }
        }
        return table
    }()

    @inline(__always)
    private static func distanceSymbol(_ distance: Int) -> Int {
        let d = distance - 1
        return Int(d < 256 ? distanceSymbolTable[d] : distanceSymbolTable[256 + (d >> 7)])
    }

    private static let fixedLiteralCodes = HuffmanCodeBuilder.reversedCodes(for: DeflateTables.fixedLiteralLengths)
    private static let fixedDistanceCodes = HuffmanCodeBuilder.reversedCodes(for: DeflateTables.fixedDistanceLengths)

    /// Writes `input` as stored blocks only (level 0).
    mutating func writeStored(_ input: UnsafeBufferPointer<UInt8>, isFinal: Bool) {
        writeStoredBlocks(input, range: 0..<input.count, isFinal: isFinal)
    }

    /// Writes `tokens`, which encode `input[range]`, as one block (or several stored blocks).
    mutating func writeBlock(_ tokens: [LZ77Matcher.Token], input: UnsafeBufferPointer<UInt8>,
                             range: Range<Int>, isFinal: Bool) {
        var literalFrequencies = [Int](repeating: 0, count: 286)
        var distanceFrequencies = [Int](repeating: 0, count: 30)
        var extraBits = 0
        for token in tokens {
            if token & LZ77Matcher.matchFlag == 0 {
                literalFrequencies[Int(token)] += 1
            } else {
                let lengthIndex = Int(Self.lengthSymbolIndex[Int((token >> 16) & 0xFF)])
                let distanceIndex = Self.distanceSymbol(Int(token & 0xFFFF))
                literalFrequencies[257 + lengthIndex] += 1
                distanceFrequencies[distanceIndex] += 1
                extraBits += Int(DeflateTables.lengthExtraBits[lengthIndex]) + Int(DeflateTables.distanceExtraBits[distanceIndex])
            }
        }
        literalFrequencies[DeflateTables.endOfBlock] = 1

        let literalLengths = HuffmanCodeBuilder.lengths(for: literalFrequencies, maxLength: 15)
        let distanceLengths = HuffmanCodeBuilder.lengths(for: distanceFrequencies, maxLength: 15)
        let header = DynamicHeader(literalLengths: literalLengths, distanceLengths: distanceLengths)

        func cost(_ lengths: [UInt8], _ frequencies: [Int]) -> Int {
            zip(lengths, frequencies).reduce(0) { $0 + Int($1.0) * $1.1 }
        }
        let dynamicBits = 3 + header.bitCount + cost(literalLengths, literalFrequencies)
            + cost(distanceLengths, distanceFrequencies) + extraBits
        let fixedBits = 3 + cost(DeflateTables.fixedLiteralLengths, literalFrequencies)
            + cost(DeflateTables.fixedDistanceLengths, distanceFrequencies) + extraBits
        let storedBlockCount = max(1, (range.count + 65534) / 65535)
        let storedBits = 3 + output.bitsToByteBoundary + storedBlockCount * 32 + (storedBlockCount - 1) * 8
            + range.count * 8

        if storedBits <= min(dynamicBits, fixedBits) {
            writeStoredBlocks(input, range: range, isFinal: isFinal)
        } else if fixedBits <= dynamicBits {
            output.write(isFinal ? 1 : 0, 1)
            output.write(1, 2)
            writeTokens(tokens, literalCodes: Self.fixedLiteralCodes, literalLengths: DeflateTables.fixedLiteralLengths,
                        distanceCodes: Self.fixedDistanceCodes, distanceLengths: DeflateTables.fixedDistanceLengths)
        } else {
            output.write(isFinal ? 1 : 0, 1)
            output.write(2, 2)
            header.write(to: &output)
            writeTokens(tokens, literalCodes: HuffmanCodeBuilder.reversedCodes(for: literalLengths), literalLengths: literalLengths,
                        distanceCodes: HuffmanCodeBuilder.reversedCodes(for: distanceLengths), distanceLengths: distanceLengths)
        }
    }

    /// Stored blocks hold at most 65,535 bytes each; an empty range still makes one block.
    private mutating func writeStoredBlocks(_ input: UnsafeBufferPointer<UInt8>, range: Range<Int>, isFinal: Bool) {
        var start = range.lowerBound
        repeat {
            let end = min(range.upperBound, start + 65535)
            let isLast = end == range.upperBound
            output.write(isFinal && isLast ? 1 : 0, 1)
            output.write(0, 2)
            output.alignToByte()
            let length = UInt32(end - start)
            output.write(length, 16)
            output.write(~length & 0xFFFF, 16)
            output.alignToByte()
            output.appendAligned(UnsafeBufferPointer(rebasing: input[start..<end]))
            start = end
        } while start < range.upperBound
    }

    private mutating func writeTokens(_ tokens: [LZ77Matcher.Token], literalCodes: [UInt32], literalLengths: [UInt8],
                                      distanceCodes: [UInt32], distanceLengths: [UInt8]) {
        for token in tokens {
            if token & LZ77Matcher.matchFlag == 0 {
                let symbol = Int(token)
                output.write(literalCodes[symbol], Int(literalLengths[symbol]))
                continue
            }
            let lengthOffset = Int((token >> 16) & 0xFF)
            let lengthIndex = Int(Self.lengthSymbolIndex[lengthOffset])
            let symbol = 257 + lengthIndex
            output.write(literalCodes[symbol], Int(literalLengths[symbol]))
            output.write(UInt32(lengthOffset + 3 - Int(DeflateTables.lengthBase[lengthIndex])),
                         Int(DeflateTables.lengthExtraBits[lengthIndex]))
            let distance = Int(token & 0xFFFF)
            let distanceIndex = Self.distanceSymbol(distance)
            output.write(distanceCodes[distanceIndex], Int(distanceLengths[distanceIndex]))
            output.write(UInt32(distance - Int(DeflateTables.distanceBase[distanceIndex])),
                         Int(DeflateTables.distanceExtraBits[distanceIndex]))
        }
        output.write(literalCodes[DeflateTables.endOfBlock], Int(literalLengths[DeflateTables.endOfBlock]))
    }

    /// Writes the final block when no tokens remain to be written: an empty fixed block.
    mutating func writeEmptyFinalBlock() {
        output.write(1, 1)
        output.write(1, 2)
        output.write(Self.fixedLiteralCodes[DeflateTables.endOfBlock], 7)
    }

    /// Finishes the stream at a byte boundary and returns its bytes.
    mutating func finish() -> [UInt8] {
        output.alignToByte()
        return output.bytes
    }
}

/// The header of a dynamic block: code lengths of both codes, run-length coded with symbols
/// 16-18 and themselves Huffman coded (RFC 1951 section 3.2.7).
struct DynamicHeader {
    /// A code-length symbol (0-18) and the value of its extra bits.
    private var symbols: [(symbol: Int, extra: Int)] = []
    private let literalCount: Int
    private let distanceCount: Int
    private let codeLengthLengths: [UInt8]
    private let codeLengthCodes: [UInt32]
    private let orderedCount: Int
    let bitCount: Int

    init(literalLengths: [UInt8], distanceLengths: [UInt8]) {
        literalCount = max(257, (literalLengths.lastIndex { $0 != 0 } ?? 0) + 1)
        distanceCount = max(1, (distanceLengths.lastIndex { $0 != 0 } ?? 0) + 1)
        let all = Array(literalLengths[..<literalCount]) + Array(distanceLengths[..<distanceCount])

        var index = 0
        while index < all.count {
            let value = all[index]
            var run = 1
            while index + run < all.count && all[index + run] == value { run += 1 }
            index += run
            if value == 0 {
                while run >= 11 { let n = min(run, 138); symbols.append((18, n - 11)); run -= n }
                if run >= 3 { symbols.append((17, run - 3)); run = 0 }
            } else {
                symbols.append((Int(value), 0)); run -= 1
                while run >= 3 { let n = min(run, 6); symbols.append((16, n - 3)); run -= n }
            }
            for _ in 0..<run { symbols.append((Int(value), 0)) }
        }

        var frequencies = [Int](repeating: 0, count: 19)
        for entry in symbols { frequencies[entry.symbol] += 1 }
        let lengths = HuffmanCodeBuilder.lengths(for: frequencies, maxLength: 7)
        codeLengthLengths = lengths
        codeLengthCodes = HuffmanCodeBuilder.reversedCodes(for: lengths)
        orderedCount = max(4, (DeflateTables.codeLengthOrder.lastIndex { lengths[$0] != 0 } ?? 0) + 1)

        let extraBitsPerSymbol: [Int: Int] = [16: 2, 17: 3, 18: 7]
        var bits = 5 + 5 + 4 + 3 * orderedCount
        for entry in symbols {
            bits += Int(lengths[entry.symbol]) + (extraBitsPerSymbol[entry.symbol] ?? 0)
        }
        bitCount = bits
    }

    func write(to output: inout OutputBitStream) {
        output.write(UInt32(literalCount - 257), 5)
        output.write(UInt32(distanceCount - 1), 5)
        output.write(UInt32(orderedCount - 4), 4)
        for symbol in DeflateTables.codeLengthOrder[..<orderedCount] {
            output.write(UInt32(codeLengthLengths[symbol]), 3)
        }
        for entry in symbols {
            output.write(codeLengthCodes[entry.symbol], Int(codeLengthLengths[entry.symbol]))
            switch entry.symbol {
            case 16: output.write(UInt32(entry.extra), 2)
            case 17: output.write(UInt32(entry.extra), 3)
            case 18: output.write(UInt32(entry.extra), 7)
            default: break
            }
        }
    }
}
