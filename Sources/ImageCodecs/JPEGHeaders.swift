/// Marker segments of a JPEG file (ITU T.81 annex B): what they declare, and the parsing that
/// turns their bytes into frame, scan and table descriptions. Entropy-coded data is elsewhere.

/// Reads the big-endian fields of one marker segment's payload; every read is bounds-checked
/// and a short segment becomes `JPEGError.malformedSegment`, never a trap.
struct JPEGSegmentReader {
    let payload: UnsafeBufferPointer<UInt8>
    /// The marker code (the byte after 0xFF) that introduced the segment.
    let marker: UInt8
    private(set) var offset = 0

    init(payload: UnsafeBufferPointer<UInt8>, marker: UInt8) {
        self.payload = payload
        self.marker = marker
    }

    var markerName: String { jpegMarkerName(marker) }

    var remaining: Int { payload.count - offset }

    mutating func byte() throws -> Int {
        guard offset < payload.count else {
            throw JPEGError.malformedSegment(marker: markerName, reason: "segment ends before its last field")
        }
        defer { offset += 1 }
        return Int(payload[offset])
    }

    /// The next `count` bytes, without copying.
    mutating func bytes(_ count: Int) throws -> UnsafeBufferPointer<UInt8> {
        guard count <= remaining else {
            throw JPEGError.malformedSegment(marker: markerName, reason: "segment ends before its last field")
        }
        defer { offset += count }
        return UnsafeBufferPointer(rebasing: payload[offset..<(offset + count)])
    }

    mutating func uint16() throws -> Int {
        let high = try byte()
        return high << 8 | (try byte())
    }

    func fail(_ reason: String) -> JPEGError {
        JPEGError.malformedSegment(marker: markerName, reason: reason)
    }
}

/// One colour component as the frame header declares it, with the geometry derived from it.
struct JPEGComponent {
    /// Component identifier used by scan headers to refer to it.
    let id: Int
    let horizontalFactor: Int
    let verticalFactor: Int
    let quantizationTableIndex: Int
    /// Samples per row and rows of this component after downsampling: ceil(size * factor / max).
    var width = 0
    var height = 0
    /// Blocks per row and per column of its coefficient buffer, padded to whole MCUs.
    var blocksPerLine = 0
    var blocksPerColumn = 0
    /// Blocks that hold image samples (what a non-interleaved scan codes): ceil(width / 8) etc.
    var usedBlocksPerLine: Int { (width + 7) / 8 }
    var usedBlocksPerColumn: Int { (height + 7) / 8 }
}

/// The frame header (SOF0/SOF1/SOF2): image size, components and their sampling factors.
struct JPEGFrame {
    let isProgressive: Bool
    let width: Int
    let height: Int
    var components: [JPEGComponent]
    let maxHorizontalFactor: Int
    let maxVerticalFactor: Int
    /// MCUs per row and per column of an interleaved scan.
    let mcusPerLine: Int
    let mcusPerColumn: Int

    /// Memory a decode of this frame takes at its peak: every component's coefficients, its
    /// samples, the upsampled copies of subsampled components, and the interleaved output.
    var decodingBytes: Int {
        var total = width * height * (components.count == 1 ? 1 : 3)
        for component in components {
            total += component.blocksPerLine * component.blocksPerColumn * 64 * MemoryLayout<Int16>.size
            total += component.usedBlocksPerLine * component.usedBlocksPerColumn * 64
            if component.horizontalFactor != maxHorizontalFactor || component.verticalFactor != maxVerticalFactor {
                total += width * height
            }
        }
        return total
    }

    /// Parses SOFn's payload, refusing what this decoder cannot produce and checking the pixel
    /// count against `limits` before anything is allocated.
    init(parsing reader: inout JPEGSegmentReader, isProgressive: Bool, limits: DecodingLimits) throws {
        let precision = try reader.byte()
        let height = try reader.uint16()
        let width = try reader.uint16()
        let componentCount = try reader.byte()
        guard precision == 8 else {
            throw JPEGError.unsupportedFeature("\(precision)-bit samples (only 8-bit JPEGs are supported)")
        }
        guard width > 0, height > 0 else { throw JPEGError.zeroDimensions(width: width, height: height) }
        guard width * height <= limits.maxPixels else {
            throw JPEGError.tooManyPixels(width: width, height: height, limit: limits.maxPixels)
        }
        switch componentCount {
        case 1, 3: break
        case 4: throw JPEGError.unsupportedFeature("4-component (CMYK/YCCK) colour")
        default: throw reader.fail("\(componentCount) components; a JPEG image has 1 or 3")
        }
        var components: [JPEGComponent] = []
        components.reserveCapacity(Int(componentCount))
        for _ in 0..<componentCount {
            let id = try reader.byte()
            let factors = try reader.byte()
            let table = try reader.byte()
            let h = factors >> 4, v = factors & 15
            guard (1...4).contains(h), (1...4).contains(v) else {
                throw reader.fail("component \(id) has sampling factors \(h)x\(v); each must be 1 to 4")
            }
            guard table < 4 else { throw reader.fail("component \(id) uses quantisation table \(table); the maximum is 3") }
            guard !components.contains(where: { $0.id == id }) else {
                throw reader.fail("component identifier \(id) appears twice")
            }
            components.append(JPEGComponent(id: id, horizontalFactor: h, verticalFactor: v, quantizationTableIndex: table))
        }
        let maxH = components.reduce(1) { max($0, $1.horizontalFactor) }
        let maxV = components.reduce(1) { max($0, $1.verticalFactor) }
        for component in components where maxH % component.horizontalFactor != 0 || maxV % component.verticalFactor != 0 {
            throw JPEGError.unsupportedFeature(
                "fractional sampling factors (component \(component.id) is \(component.horizontalFactor)x\(component.verticalFactor) of \(maxH)x\(maxV))")
        }
        let mcusPerLine = (width + 8 * maxH - 1) / (8 * maxH)
        let mcusPerColumn = (height + 8 * maxV - 1) / (8 * maxV)
        for index in components.indices {
            let h = components[index].horizontalFactor, v = components[index].verticalFactor
            components[index].width = (width * h + maxH - 1) / maxH
            components[index].height = (height * v + maxV - 1) / maxV
            components[index].blocksPerLine = mcusPerLine * h
            components[index].blocksPerColumn = mcusPerColumn * v
        }
        self.isProgressive = isProgressive
        self.width = width
        self.height = height
        self.components = components
        self.maxHorizontalFactor = maxH
        self.maxVerticalFactor = maxV
        self.mcusPerLine = mcusPerLine
        self.mcusPerColumn = mcusPerColumn
    }
}

/// One component taking part in a scan, with the Huffman tables it uses.
struct JPEGScanComponent {
    /// Index into `JPEGFrame.components`.
    let componentIndex: Int
    let dcTableIndex: Int
    let acTableIndex: Int
}

/// The scan header (SOS): which components, which coefficients and which bits it codes.
struct JPEGScanHeader {
    let components: [JPEGScanComponent]
    /// First and last coefficient (zig-zag index) coded by this scan.
    let spectralStart: Int
    let spectralEnd: Int
    /// Successive approximation: bit position of the previous scan (0 on a first pass) and of this one.
    let approximationHigh: Int
    let approximationLow: Int

    init(parsing reader: inout JPEGSegmentReader, frame: JPEGFrame) throws {
        let count = try reader.byte()
        guard (1...4).contains(count), count <= frame.components.count else {
            throw JPEGError.invalidScan("it lists \(count) components; the frame has \(frame.components.count)")
        }
        var components: [JPEGScanComponent] = []
        components.reserveCapacity(Int(count))
        for _ in 0..<count {
            let id = try reader.byte()
            let tables = try reader.byte()
            guard let index = frame.components.firstIndex(where: { $0.id == id }) else {
                throw JPEGError.invalidScan("it names component \(id), which the frame does not declare")
            }
            guard !components.contains(where: { $0.componentIndex == index }) else {
                throw JPEGError.invalidScan("it names component \(id) twice")
            }
            let dc = tables >> 4, ac = tables & 15
            guard dc < 4, ac < 4 else { throw JPEGError.invalidScan("component \(id) uses Huffman table \(max(dc, ac)); the maximum is 3") }
            components.append(JPEGScanComponent(componentIndex: index, dcTableIndex: dc, acTableIndex: ac))
        }
        spectralStart = try reader.byte()
        spectralEnd = try reader.byte()
        let approximation = try reader.byte()
        approximationHigh = approximation >> 4
        approximationLow = approximation & 15
        self.components = components

        if count > 1 {
            let blocksPerMCU = components.reduce(0) {
                let c = frame.components[$1.componentIndex]
                return $0 + c.horizontalFactor * c.verticalFactor
            }
            guard blocksPerMCU <= 10 else {
                throw JPEGError.invalidScan("an interleaved MCU would hold \(blocksPerMCU) blocks; the limit is 10")
            }
        }
        if frame.isProgressive {
            let valid: Bool
            if spectralStart == 0 {
                valid = spectralEnd == 0
            } else {
                valid = spectralEnd >= spectralStart && spectralEnd <= 63 && count == 1
            }
            guard valid, approximationLow <= 13,
                  approximationHigh == 0 || approximationLow == approximationHigh - 1 else {
                throw JPEGError.invalidScan(
                    "progression parameters Ss=\(spectralStart) Se=\(spectralEnd) Ah=\(approximationHigh) Al=\(approximationLow) are not allowed")
            }
        }
    }
}

/// Quantisation tables (DQT), stored in natural (row-major) order as the IDCT wants them.
struct JPEGQuantizationTables {
    private(set) var tables: [[Int32]?] = [nil, nil, nil, nil]

    mutating func parse(_ reader: inout JPEGSegmentReader) throws {
        while reader.remaining > 0 {
            let header = try reader.byte()
            let precision = header >> 4, index = header & 15
            guard index < 4 else { throw reader.fail("table index \(index); the maximum is 3") }
            guard precision <= 1 else { throw reader.fail("table precision code \(precision); must be 0 or 1") }
            var table = [Int32](repeating: 0, count: 64)
            for zigzagIndex in 0..<64 {
                let value = precision == 0 ? try reader.byte() : try reader.uint16()
                table[jpegNaturalOrder[zigzagIndex]] = Int32(value)
            }
            tables[index] = table
        }
    }
}

/// The Adobe APP14 segment's colour transform: 0 means the 3 components are RGB, not YCbCr.
func jpegAdobeTransform(_ reader: inout JPEGSegmentReader) -> Int? {
    let signature: [UInt8] = Array("Adobe".utf8)
    guard reader.payload.count >= 12, Array(reader.payload[0..<5]) == signature else { return nil }
    return Int(reader.payload[11])
}

/// Zig-zag index -> natural (row-major) index, with 16 spare entries pointing at the last
/// coefficient so that a corrupt run length past 63 writes somewhere harmless, as libjpeg does.
let jpegNaturalOrder: [Int] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]

/// `jpegNaturalOrder` as a raw pointer for the coefficient loops (allocated once for the life
/// of the process; indices are always below 80 by construction of those loops).
let jpegNaturalOrderPointer: UnsafePointer<Int> = {
    let pointer = UnsafeMutablePointer<Int>.allocate(capacity: jpegNaturalOrder.count)
    pointer.initialize(from: jpegNaturalOrder, count: jpegNaturalOrder.count)
    return UnsafePointer(pointer)
}()
