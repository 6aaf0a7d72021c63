/// Decodes the entropy-coded data of one scan (ITU T.81 annexes F and G: sequential and
/// progressive Huffman) into the quantised DCT coefficients of each block, in natural order.

/// How a scan codes its coefficients, from its header and the frame type.
enum JPEGScanKind {
    /// Sequential: every coefficient of every block in one pass.
    case sequential
    /// Progressive DC, first pass (Ah = 0) or refinement (Ah > 0).
    case dcFirst, dcRefine
    /// Progressive AC band of a single component, first pass or refinement.
    case acFirst, acRefine

    init(frame: JPEGFrame, scan: JPEGScanHeader) {
        if !frame.isProgressive {
            self = .sequential
        } else if scan.spectralStart == 0 {
            self = scan.approximationHigh == 0 ? .dcFirst : .dcRefine
        } else {
            self = scan.approximationHigh == 0 ? .acFirst : .acRefine
        }
    }
}

/// The state of one component within the scan being decoded.
private struct ScanComponentState {
    let frameIndex: Int
    /// The component's first coefficient in the shared coefficient buffer.
    let coefficients: UnsafeMutablePointer<Int16>
    let blocksPerLine: Int
    let horizontalFactor: Int
    let verticalFactor: Int
    let usedBlocksPerLine: Int
    let usedBlocksPerColumn: Int
    /// Unowned: the decoding session keeps the tables alive for the whole scan, and skipping
    /// reference counting here matters in the per-symbol loop.
    unowned(unsafe) let dcTable: JPEGHuffmanTable?
    unowned(unsafe) let acTable: JPEGHuffmanTable?
    /// DC prediction (T.81 F.2.1.3.1), reset at the start of the scan and at each restart.
    var previousDC: Int32 = 0

    @inline(__always)
    func block(row: Int, column: Int) -> UnsafeMutablePointer<Int16> {
        coefficients + (row * blocksPerLine + column) * 64
    }
}

struct JPEGScanDecoder {
    private var reader: JPEGBitReader
    private var components: [ScanComponentState]
    private let kind: JPEGScanKind
    private let spectralStart: Int
    private let spectralEnd: Int
    private let approximationLow: Int
    private let restartInterval: Int
    private let mcusPerLine: Int
    private let mcusPerColumn: Int
    private let naturalOrder = jpegNaturalOrderPointer
    /// Remaining blocks of the current end-of-band run (progressive AC scans).
    private var endOfBandRun = 0

    /// Prepares to decode `scan`, checking that every table it needs exists.
    /// `coefficientOffsets[i]` is where component i's blocks start in `coefficients`.
    init(scan: JPEGScanHeader, frame: JPEGFrame, huffmanTables: JPEGHuffmanTables, restartInterval: Int,
         data: UnsafeBufferPointer<UInt8>, position: Int,
         coefficients: UnsafeMutablePointer<Int16>, coefficientOffsets: [Int]) throws {
        let kind = JPEGScanKind(frame: frame, scan: scan)
        var states: [ScanComponentState] = []
        for member in scan.components {
            let component = frame.components[member.componentIndex]
            let needsDC = kind == .sequential || kind == .dcFirst
            let needsAC = kind == .sequential || kind == .acFirst || kind == .acRefine
            let dc = huffmanTables.dc[member.dcTableIndex], ac = huffmanTables.ac[member.acTableIndex]
            if needsDC && dc == nil { throw JPEGError.missingHuffmanTable(kind: "DC", index: member.dcTableIndex) }
            if needsAC && ac == nil { throw JPEGError.missingHuffmanTable(kind: "AC", index: member.acTableIndex) }
            states.append(ScanComponentState(
                frameIndex: member.componentIndex,
                coefficients: coefficients + coefficientOffsets[member.componentIndex],
                blocksPerLine: component.blocksPerLine,
                horizontalFactor: component.horizontalFactor, verticalFactor: component.verticalFactor,
                usedBlocksPerLine: component.usedBlocksPerLine, usedBlocksPerColumn: component.usedBlocksPerColumn,
                dcTable: needsDC ? dc : nil, acTable: needsAC ? ac : nil))
        }
        self.components = states
        self.kind = kind
        self.spectralStart = frame.isProgressive ? scan.spectralStart : 0
        self.spectralEnd = frame.isProgressive ? scan.spectralEnd : 63
        self.approximationLow = frame.isProgressive ? scan.approximationLow : 0
        self.restartInterval = restartInterval
        if states.count == 1, let only = states.first {
            // A scan of one component codes its blocks one by one, only those holding samples.
            mcusPerLine = only.usedBlocksPerLine
            mcusPerColumn = only.usedBlocksPerColumn
        } else {
            mcusPerLine = frame.mcusPerLine
            mcusPerColumn = frame.mcusPerColumn
        }
        reader = JPEGBitReader(data: data, position: position)
    }

    /// Decodes every MCU of the scan; returns the position of the marker that follows it
    /// (or the end of the data).
    ///
    /// When a segment's data runs out at a marker before its last MCU, the MCU being decoded
    /// gets zero bits and the rest of the segment is left at zero (uniform gray), exactly as
    /// libjpeg-turbo does; running out at the end of the file is an error instead, as in Pillow.
    mutating func decode() throws -> Int {
        let totalMCUs = mcusPerLine * mcusPerColumn
        var restartsSeen = 0
        var starved = false
        var mcu = 0
        while mcu < totalMCUs {
            if restartInterval > 0, mcu > 0, mcu % restartInterval == 0 {
                if try processRestart(expected: restartsSeen & 7, afterStarving: starved) { starved = false }
                restartsSeen += 1
            }
            if !starved {
                try decodeMCU(mcu)
                if reader.consumedPadding {
                    if reader.reachedEndOfFile {
                        throw JPEGError.truncated(context: "entropy-coded data ends inside MCU \(mcu) of \(totalMCUs)")
                    }
                    starved = true
                }
            }
            if starved && restartInterval == 0 { break }
            mcu += 1
        }
        return reader.seekMarker()?.position ?? reader.position
    }

    private mutating func decodeMCU(_ mcu: Int) throws {
        let mcuRow = mcu / mcusPerLine, mcuColumn = mcu % mcusPerLine
        for slot in components.indices {
            // A local copy (tables are unowned) avoids array access per coefficient.
            var component = components[slot]
            if components.count == 1 {
                try decodeBlock(&component, row: mcuRow, column: mcuColumn)
            } else {
                let v = component.verticalFactor, h = component.horizontalFactor
                for y in 0..<v {
                    for x in 0..<h {
                        try decodeBlock(&component, row: mcuRow * v + y, column: mcuColumn * h + x)
                    }
                }
            }
            components[slot].previousDC = component.previousDC
        }
    }

    /// Expects restart marker RSTn, then resets the DC predictions and the end-of-band run;
    /// returns whether decoding resumes. After the data ran short, another marker (the next
    /// scan's, EOI) is left for the caller and the rest of the scan stays empty.
    private mutating func processRestart(expected: Int, afterStarving starved: Bool) throws -> Bool {
        guard let marker = reader.seekMarker() else {
            throw JPEGError.truncated(context: "the data ends where restart marker RST\(expected) belongs")
        }
        let isRestart = (0xD0...0xD7).contains(marker.code)
        if starved && !isRestart { return false }
        guard marker.code == 0xD0 + UInt8(expected) else {
            let found = isRestart ? "RST\(marker.code - 0xD0)" : "marker \(jpegMarkerName(marker.code))"
            throw JPEGError.restartMarkerMismatch(expected: expected, found: found)
        }
        reader.resume(after: marker.position)
        for slot in components.indices { components[slot].previousDC = 0 }
        endOfBandRun = 0
        return true
    }

    @inline(__always)
    private mutating func decodeBlock(_ component: inout ScanComponentState, row: Int, column: Int) throws {
        let block = component.block(row: row, column: column)
        switch kind {
        case .sequential: try decodeSequential(block, &component)
        case .dcFirst: try decodeDCFirst(block, &component)
        case .dcRefine: if reader.bit() { block[0] |= Int16(truncatingIfNeeded: 1 << approximationLow) }
        case .acFirst: try decodeACFirst(block, &component)
        case .acRefine: try decodeACRefine(block, &component)
        }
    }

    @inline(__always)
    private mutating func decodeDC(_ component: inout ScanComponentState) throws -> Int32 {
        guard let table = component.dcTable else { throw JPEGError.missingHuffmanTable(kind: "DC", index: 0) }
        let size = reader.symbol(table)
        guard size >= 0, size <= 16 else { throw JPEGError.invalidHuffmanCode(component: component.frameIndex) }
        let value = component.previousDC &+ reader.signedValue(size: size)
        component.previousDC = value
        return value
    }

    private mutating func decodeSequential(_ block: UnsafeMutablePointer<Int16>, _ component: inout ScanComponentState) throws {
        block[0] = Int16(truncatingIfNeeded: try decodeDC(&component))
        guard let table = component.acTable else { return }
        let valueLookup = table.valueLookup
        var k = 1
        while k < 64 {
            // A short code with its value bits: decoded by one look-up, the same bits consumed.
            let fast = valueLookup[Int(reader.peek16() &>> UInt32(16 - JPEGHuffmanTable.lookupBits))]
            if fast != 0 {
                reader.skip(Int(fast & 0xFF))
                k += Int((fast >> 8) & 0xFF)
                block[naturalOrder[k]] = Int16(truncatingIfNeeded: fast >> 16)
                k += 1
                continue
            }
            let runSize = reader.symbol(table)
            guard runSize >= 0 else { throw JPEGError.invalidHuffmanCode(component: component.frameIndex) }
            let run = runSize >> 4, size = runSize & 15
            if size != 0 {
                k += run
                block[naturalOrder[k]] = Int16(truncatingIfNeeded: reader.signedValue(size: size))
                k += 1
            } else if run == 15 {
                k += 16
            } else {
                break
            }
        }
    }

    private mutating func decodeDCFirst(_ block: UnsafeMutablePointer<Int16>, _ component: inout ScanComponentState) throws {
        let value = try decodeDC(&component)
        block[0] = Int16(truncatingIfNeeded: value &<< Int32(approximationLow))
    }

    /// Reads the length of an end-of-band run whose symbol had run nibble `run` (< 15).
    @inline(__always)
    private mutating func endOfBandRunLength(run: Int) -> Int {
        (1 << run) + Int(reader.bits(run))
    }

    private mutating func decodeACFirst(_ block: UnsafeMutablePointer<Int16>, _ component: inout ScanComponentState) throws {
        if endOfBandRun > 0 {
            endOfBandRun -= 1
            return
        }
        guard let table = component.acTable else { return }
        var k = spectralStart
        while k <= spectralEnd {
            let runSize = reader.symbol(table)
            guard runSize >= 0 else { throw JPEGError.invalidHuffmanCode(component: component.frameIndex) }
            let run = runSize >> 4, size = runSize & 15
            if size != 0 {
                k += run
                let value = reader.signedValue(size: size) &<< Int32(approximationLow)
                block[naturalOrder[k]] = Int16(truncatingIfNeeded: value)
                k += 1
            } else if run == 15 {
                k += 16
            } else {
                endOfBandRun = endOfBandRunLength(run: run) - 1
                break
            }
        }
    }

    /// Adds one correction bit to an already non-zero coefficient (T.81 G.1.2.3).
    @inline(__always)
    private mutating func refineNonZero(_ coefficient: UnsafeMutablePointer<Int16>, bit: Int16) {
        if reader.bit(), coefficient.pointee & bit == 0 {
            coefficient.pointee = coefficient.pointee >= 0 ? coefficient.pointee &+ bit : coefficient.pointee &- bit
        }
    }

    private mutating func decodeACRefine(_ block: UnsafeMutablePointer<Int16>, _ component: inout ScanComponentState) throws {
        let bit = Int16(truncatingIfNeeded: 1 << approximationLow)
        var k = spectralStart
        if endOfBandRun == 0, let table = component.acTable {
            while k <= spectralEnd {
                let runSize = reader.symbol(table)
                guard runSize >= 0 else { throw JPEGError.invalidHuffmanCode(component: component.frameIndex) }
                var run = runSize >> 4
                var newValue: Int16 = 0
                if runSize & 15 != 0 {
                    // A coefficient becomes non-zero here: its sign is the next bit (its size is always 1).
                    newValue = reader.bit() ? bit : -bit
                } else if run != 15 {
                    endOfBandRun = endOfBandRunLength(run: run)
                    break
                }
                // Skip `run` zero coefficients, refining the non-zero ones passed on the way.
                while k <= spectralEnd {
                    let coefficient = block + naturalOrder[k]
                    if coefficient.pointee != 0 {
                        refineNonZero(coefficient, bit: bit)
                    } else {
                        if run == 0 { break }
                        run -= 1
                    }
                    k += 1
                }
                if newValue != 0 { block[naturalOrder[k]] = newValue }
                k += 1
            }
        }
        if endOfBandRun > 0 {
            while k <= spectralEnd {
                let coefficient = block + naturalOrder[k]
                if coefficient.pointee != 0 { refineNonZero(coefficient, bit: bit) }
                k += 1
            }
            endOfBandRun -= 1
        }
    }
}

/// "SOF0", "DHT", "APP1"... for messages.
func jpegMarkerName(_ code: UInt8) -> String {
    switch code {
    case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF: return "SOF\(code - 0xC0)"
    case 0xC4: return "DHT"
    case 0xCC: return "DAC"
    case 0xD0...0xD7: return "RST\(code - 0xD0)"
    case 0xD8: return "SOI"
    case 0xD9: return "EOI"
    case 0xDA: return "SOS"
    case 0xDB: return "DQT"
    case 0xDC: return "DNL"
    case 0xDD: return "DRI"
    case 0xE0...0xEF: return "APP\(code - 0xE0)"
    case 0xFE: return "COM"
    default: return "0xFF" + String(code, radix: 16, uppercase: true)
    }
}
