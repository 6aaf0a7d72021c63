/// The block-level deflate decoder (RFC 1951 section 3.2): reads block headers, builds the
/// Huffman tables of dynamic blocks, and decodes literal/length/distance symbols.
struct DeflateDecoder {
    var input: InputBitStream

    /// Width of the primary lookup for dynamic literal/length codes: 10 bits covers almost all
    /// codes in one probe while keeping the table small enough to rebuild for every block.
    private static let literalPrimaryBits = 10
    private static let distancePrimaryBits = 8

    /// Decodes blocks until the one marked final; the input is left just after it.
    mutating func run(into output: inout InflateOutput) throws {
        var isFinal = false
        while !isFinal {
            isFinal = try input.read(1, "a block header") == 1
            let type = try input.read(2, "a block header")
            switch type {
            case 0:
                try copyStoredBlock(into: &output)
            case 1:
                guard let literal = HuffmanDecodingTable.fixedLiteralLength,
                      let distance = HuffmanDecodingTable.fixedDistance else {
                    throw CompressionError.invalidCodeLengths("fixed Huffman tables could not be built")
                }
                try decodeSymbols(literal: literal, distance: distance, into: &output)
            case 2:
                let (literal, distance) = try readDynamicTables()
                try decodeSymbols(literal: literal, distance: distance, into: &output)
            default:
                throw CompressionError.invalidBlockType(type)
            }
        }
        input.alignToByte()
    }

    private mutating func copyStoredBlock(into output: inout InflateOutput) throws {
        input.alignToByte()
        let length = try input.read(16, "a stored block's length")
        let complement = try input.read(16, "a stored block's length")
        guard length == (~complement & 0xFFFF) else {
            throw CompressionError.storedLengthMismatch(length: length, complement: complement)
        }
        var appendError: Error?
        let complete = input.takeBytes(length) { bytes in
            do { try output.append(bytes) } catch { appendError = error }
        }
        if let appendError { throw appendError }
        guard complete else {
            throw CompressionError.truncatedInput("a stored block of \(length) bytes has only \(input.remainingByteCount) left")
        }
    }

    /// Reads a dynamic block's header (RFC 1951 section 3.2.7): the code-length code, then the
    /// run-length-coded lengths of the literal/length and distance codes.
    private mutating func readDynamicTables() throws -> (HuffmanDecodingTable, HuffmanDecodingTable) {
        let literalCount = try input.read(5, "a dynamic block header") + 257
        let distanceCount = try input.read(5, "a dynamic block header") + 1
        let codeLengthCount = try input.read(4, "a dynamic block header") + 4
        guard literalCount <= 286 else {
            throw CompressionError.invalidCodeLengths("\(literalCount) literal/length codes (at most 286)")
        }
        guard distanceCount <= 30 else {
            throw CompressionError.invalidCodeLengths("\(distanceCount) distance codes (at most 30)")
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount {
            codeLengthLengths[DeflateTables.codeLengthOrder[i]] = UInt8(try input.read(3, "the code length code"))
        }
        let codeLengthTable = try HuffmanDecodingTable(
            lengths: codeLengthLengths, payloads: HuffmanDecodingTable.codeLengthPayloads,
            primaryBits: 7, name: "code length")

        let total = literalCount + distanceCount
        var lengths = [UInt8](repeating: 0, count: total)
        var index = 0
        while index < total {
            let symbol = try decodeSymbol(codeLengthTable, "the code lengths").value
            var repeatValue: UInt8 = 0
            var repeatCount = 0
            switch symbol {
            case 0...15:
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            case 16:
                guard index > 0 else {
                    throw CompressionError.invalidCodeLengths("a repeat of the previous length comes first")
                }
                repeatValue = lengths[index - 1]
                repeatCount = 3 + (try input.read(2, "the code lengths"))
            case 17:
                repeatCount = 3 + (try input.read(3, "the code lengths"))
            default:
                repeatCount = 11 + (try input.read(7, "the code lengths"))
            }
            guard index + repeatCount <= total else {
                throw CompressionError.invalidCodeLengths("a run of code lengths goes past the end of the list")
            }
            for i in index..<(index + repeatCount) { lengths[i] = repeatValue }
            index += repeatCount
        }
        guard lengths[DeflateTables.endOfBlock] != 0 else {
            throw CompressionError.invalidCodeLengths("the literal/length code has no end-of-block code")
        }
        let literal = try HuffmanDecodingTable(
            lengths: lengths[0..<literalCount], payloads: HuffmanDecodingTable.literalLengthPayloads,
            primaryBits: Self.literalPrimaryBits, name: "literal/length")
        let distance = try HuffmanDecodingTable(
            lengths: lengths[literalCount...], payloads: HuffmanDecodingTable.distancePayloads,
            primaryBits: Self.distancePrimaryBits, name: "distance", allowEmpty: true)
        return (literal, distance)
    }

    /// Decodes one symbol the slow, simple way (used for the code-length code).
    private mutating func decodeSymbol(_ table: HuffmanDecodingTable, _ what: String) throws -> (value: Int, entry: UInt32) {
        input.refill()
        let entry = try table.entries.withUnsafeBufferPointer { try lookUp($0, primaryBits: table.primaryBits, what) }
        return (Int(entry >> 16), entry)
    }

    /// Finds the entry for the next code and consumes its bits. The caller has refilled.
    @inline(__always)
    private mutating func lookUp(_ table: UnsafeBufferPointer<UInt32>, primaryBits: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        var entry = table[Int(truncatingIfNeeded: input.buffer & ((1 &<< UInt64(primaryBits)) &- 1))]
        if (entry >> 8) & 0xF == HuffmanDecodingTable.Kind.link.rawValue {
            let linkBits = Int(entry & 0xFF)
            guard linkBits <= input.count else { throw CompressionError.truncatedInput("input ended inside \(what())") }
            input.consume(linkBits)
            let subBits = UInt64((entry >> 12) & 0xF)
            let slot = Int(entry >> 16) &+ Int(truncatingIfNeeded: input.buffer & ((1 &<< subBits) &- 1))
            entry = table[slot]
        }
        let kind = (entry >> 8) & 0xF
        let codeBits = Int(entry & 0xFF)
        guard codeBits <= input.count else { throw CompressionError.truncatedInput("input ended inside \(what())") }
        guard kind != HuffmanDecodingTable.Kind.invalid.rawValue else {
            throw CompressionError.invalidSymbol("an undefined Huffman code or reserved symbol in \(what())")
        }
        input.consume(codeBits)
        return entry
    }

    /// Decodes literal, length and distance symbols until end-of-block: the hot loop.
    private mutating func decodeSymbols(literal: HuffmanDecodingTable, distance: HuffmanDecodingTable,
                                        into output: inout InflateOutput) throws {
        let literalPrimary = literal.primaryBits
        let distancePrimary = distance.primaryBits
        try literal.entries.withUnsafeBufferPointer { literalTable in
            try distance.entries.withUnsafeBufferPointer { distanceTable in
                while true {
                    input.refill()
                    let entry = try lookUp(literalTable, primaryBits: literalPrimary, "a literal/length code")
                    let kind = (entry >> 8) & 0xF
                    if kind == HuffmanDecodingTable.Kind.literal.rawValue {
                        if output.count == output.capacity { try output.reserve(1) }
                        output.appendReserved(UInt8(truncatingIfNeeded: entry >> 16))
                        continue
                    }
                    if kind == HuffmanDecodingTable.Kind.endOfBlock.rawValue { return }

                    // A length symbol: base + extra bits, then a distance code + extra bits.
                    // After one refill the buffer holds 56 bits, enough for the longest
                    // length+distance (15+5+15+13), unless the input is ending.
                    let lengthExtra = Int((entry >> 12) & 0xF)
                    guard lengthExtra <= input.count else { throw CompressionError.truncatedInput("input ended inside a match length") }
                    let length = Int(entry >> 16) &+ Int(truncatingIfNeeded: input.buffer & ((1 &<< UInt64(lengthExtra)) &- 1))
                    input.consume(lengthExtra)

                    let distanceEntry = try lookUp(distanceTable, primaryBits: distancePrimary, "a distance code")
                    let distanceExtra = Int((distanceEntry >> 12) & 0xF)
                    guard distanceExtra <= input.count else { throw CompressionError.truncatedInput("input ended inside a match distance") }
                    let matchDistance = Int(distanceEntry >> 16) &+ Int(truncatingIfNeeded: input.buffer & ((1 &<< UInt64(distanceExtra)) &- 1))
                    input.consume(distanceExtra)

                    guard matchDistance <= output.count else {
                        throw CompressionError.distanceTooFarBack(distance: matchDistance, available: output.count)
                    }
                    if length > output.capacity &- output.count { try output.reserve(length) }
                    output.appendMatchReserved(length: length, distance: matchDistance)
                }
            }
        }
    }
}
