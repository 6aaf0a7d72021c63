import Kernels

/// Decodes baseline and progressive Huffman-coded 8-bit JPEG files (grayscale or three-component
/// colour, any integral sampling factors, restart intervals) to the same pixels as libjpeg-turbo's
/// default settings: accurate integer IDCT and fancy chroma upsampling. Arithmetic coding,
/// lossless, hierarchical, 12-bit and CMYK/YCCK files are refused with a `JPEGError` naming the feature.
///
/// The stages live in their own files: marker segments (`JPEGHeaders`), Huffman tables and the
/// bit reader, scan decoding (`JPEGScanDecoder`), upsampling and colour conversion; the IDCT and
/// YCbCr conversion are CPU kernels (module Kernels), compiled for each class of x86-64 CPU.
public enum JPEGDecoder {
    /// Decodes a whole JPEG file held in memory into a `.gray` or `.rgb` image.
    /// The frame's pixel count is checked against `limits` before anything is allocated.
    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = .default) throws -> Image {
        try bytes.withUnsafeBufferPointer { data in
            var session = JPEGDecodingSession(data: data, limits: limits)
            let image = try session.decode()
            return session.memory.map { image.holding($0, limits: limits) } ?? image
        }
    }
}

/// The state built up while reading a file's markers in order.
private struct JPEGDecodingSession {
    let data: UnsafeBufferPointer<UInt8>
    let limits: DecodingLimits
    var frame: JPEGFrame?
    var quantization = JPEGQuantizationTables()
    /// The quantisation table each component used in its first scan (libjpeg latches it then).
    var latchedQuantization: [[Int32]?] = []
    var huffman = JPEGHuffmanTables()
    var restartInterval = 0
    var sawJFIF = false
    var adobeTransform: Int?
    /// Every component's blocks, one after another; allocated at the first scan.
    var coefficients: [Int16] = []
    var coefficientOffsets: [Int] = []
    var completedScans = 0
    /// The decode's share of the memory budget, taken once the frame header gives the size.
    var memory: DecodingReservation?

    init(data: UnsafeBufferPointer<UInt8>, limits: DecodingLimits) {
        self.data = data
        self.limits = limits
    }

    mutating func decode() throws -> Image {
        guard data.count >= 2, data[0] == 0xFF, data[1] == 0xD8 else { throw JPEGError.notJPEG }
        var position = 2
        markers: while true {
            guard let (code, afterCode) = nextMarker(from: position) else {
                // libjpeg would output what it has, with a warning; Pillow refuses such files, so do we.
                throw JPEGError.truncated(context: frame == nil
                    ? "the data ends before any frame header (SOF marker)"
                    : "the data ends before the end-of-image marker")
            }
            position = afterCode
            switch code {
            case 0xD9:
                break markers
            case 0xD0...0xD7, 0x01:
                continue  // Stand-alone markers without a segment.
            case 0xD8:
                throw JPEGError.malformedSegment(marker: "SOI", reason: "a second start-of-image marker appears inside the image")
            default:
                guard position + 2 <= data.count else {
                    throw JPEGError.truncated(context: "the data ends inside the \(jpegMarkerName(code)) segment's length")
                }
                let length = Int(data[position]) << 8 | Int(data[position + 1])
                guard length >= 2 else {
                    throw JPEGError.malformedSegment(marker: jpegMarkerName(code), reason: "its length \(length) is less than 2")
                }
                guard position + length <= data.count else {
                    throw JPEGError.truncated(context: "the \(jpegMarkerName(code)) segment needs \(length) bytes, \(data.count - position) remain")
                }
                var reader = JPEGSegmentReader(
                    payload: UnsafeBufferPointer(rebasing: data[(position + 2)..<(position + length)]),
                    marker: code)
                position += length
                if code == 0xDA {
                    position = try decodeScan(&reader, entropyDataStart: position)
                } else {
                    try handleSegment(code, &reader)
                }
            }
        }
        return try makeImage()
    }

    /// The code of the next marker at or after `position` and the position just after it.
    /// Stray bytes before it are skipped, as libjpeg does (with a warning).
    private func nextMarker(from position: Int) -> (UInt8, Int)? {
        var index = position
        while index + 1 < data.count {
            if data[index] == 0xFF {
                var next = index + 1
                while next < data.count, data[next] == 0xFF { next += 1 }
                guard next < data.count else { return nil }
                if data[next] != 0 { return (data[next], next + 1) }
                index = next + 1
            } else {
                index += 1
            }
        }
        return nil
    }

    private mutating func handleSegment(_ code: UInt8, _ reader: inout JPEGSegmentReader) throws {
        switch code {
        case 0xC0, 0xC1, 0xC2:
            guard frame == nil else {
                throw JPEGError.malformedSegment(marker: reader.markerName, reason: "a second frame header appears; multi-frame files are not JPEG images")
            }
            let parsed = try JPEGFrame(parsing: &reader, isProgressive: code == 0xC2, limits: limits)
            let output = parsed.width * parsed.height * (parsed.components.count == 1 ? 1 : 3)
            memory = try limits.reserveMemory(output: output, working: parsed.decodingBytes - output,
                                              width: parsed.width, height: parsed.height, format: .jpeg)
            frame = parsed
        case 0xC3:
            throw JPEGError.unsupportedFeature("lossless JPEG (SOF3)")
        case 0xC5, 0xC6, 0xC7:
            throw JPEGError.unsupportedFeature("hierarchical (differential) JPEG (\(reader.markerName))")
        case 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF:
            let lossless = code == 0xCB || code == 0xCF
            throw JPEGError.unsupportedFeature("arithmetic coding (\(reader.markerName))" + (lossless ? ", lossless" : ""))
        case 0xC8, 0xF0...0xFD:
            throw JPEGError.unsupportedFeature("JPEG extension marker \(reader.markerName)")
        case 0xC4:
            try huffman.parse(&reader)
        case 0xDB:
            try quantization.parse(&reader)
        case 0xDD:
            restartInterval = try reader.uint16()
        case 0xE0:
            let payload = reader.payload  // "JFIF\0", compared in place
            if payload.count >= 5, payload[0] == 0x4A, payload[1] == 0x46, payload[2] == 0x49, payload[3] == 0x46, payload[4] == 0 {
                sawJFIF = true
            }
        case 0xEE:
            if let transform = jpegAdobeTransform(&reader) { adobeTransform = transform }
        default:
            break  // APPn (EXIF, ICC, ...), COM, DNL and others carry nothing the pixels need.
        }
    }

    /// Parses a scan header and decodes its entropy-coded data; returns the position of the
    /// marker that ends it.
    private mutating func decodeScan(_ reader: inout JPEGSegmentReader, entropyDataStart: Int) throws -> Int {
        guard let frame else { throw JPEGError.missingFrameHeader }
        let scan = try JPEGScanHeader(parsing: &reader, frame: frame)
        if coefficients.isEmpty {
            var total = 0
            coefficientOffsets.reserveCapacity(frame.components.count)
            for component in frame.components {
                coefficientOffsets.append(total)
                total += component.blocksPerLine * component.blocksPerColumn * 64
            }
            coefficients = [Int16](repeating: 0, count: total)
            latchedQuantization = Array(repeating: nil, count: frame.components.count)
        }
        for member in scan.components where latchedQuantization[member.componentIndex] == nil {
            let index = frame.components[member.componentIndex].quantizationTableIndex
            guard let table = quantization.tables[index] else { throw JPEGError.missingQuantizationTable(index: index) }
            latchedQuantization[member.componentIndex] = table
        }
        let end = try coefficients.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { throw JPEGError.noImageData }
            var decoder = try JPEGScanDecoder(
                scan: scan, frame: frame, huffmanTables: huffman, restartInterval: restartInterval,
                data: data, position: entropyDataStart, coefficients: base, coefficientOffsets: coefficientOffsets)
            return try decoder.decode()
        }
        completedScans += 1
        return end
    }

    /// Runs the IDCT over every component and converts the result to gray or RGB pixels.
    private func makeImage() throws -> Image {
        guard let frame else { throw JPEGError.missingFrameHeader }
        guard completedScans > 0 else { throw JPEGError.noImageData }
        var planes: [JPEGPlane] = []
        planes.reserveCapacity(frame.components.count)
        for (index, component) in frame.components.enumerated() {
            // A component no scan carried has all-zero coefficients: any table gives mid-gray.
            let table = latchedQuantization[index] ?? [Int32](repeating: 0, count: 64)
            planes.append(inverseTransform(component, offset: coefficientOffsets[index], quantization: table))
        }
        let width = frame.width, height = frame.height
        if frame.components.count == 1 {
            let plane = planes[0]
            var samples = [UInt8](repeating: 0, count: width * height)
            plane.samples.withUnsafeBufferPointer { source in
                samples.withUnsafeMutableBufferPointer { target in
                    guard let from = source.baseAddress, let to = target.baseAddress else { return }
                    for row in 0..<height { (to + row * width).update(from: from + row * plane.stride, count: width) }
                }
            }
            guard let image = Image(width: width, height: height, layout: .gray, samples: samples) else { throw JPEGError.noImageData }
            return image
        }
        let fullResolution = frame.components.indices.map { index -> JPEGPlane in
            let component = frame.components[index]
            let horizontal = frame.maxHorizontalFactor / component.horizontalFactor
            let vertical = frame.maxVerticalFactor / component.verticalFactor
            if horizontal == 1 && vertical == 1 { return planes[index] }
            return JPEGUpsampler.upsample(planes[index], horizontal: horizontal, vertical: vertical,
                                          outputWidth: width, outputHeight: height)
        }
        let samples = JPEGColorConversion.interleave(fullResolution[0], fullResolution[1], fullResolution[2],
                                                     width: width, height: height, isYCbCr: isYCbCr(frame))
        guard let image = Image(width: width, height: height, layout: .rgb, samples: samples) else { throw JPEGError.noImageData }
        return image
    }

    /// Whether three components are YCbCr (the usual case) or RGB, decided as libjpeg does.
    private func isYCbCr(_ frame: JPEGFrame) -> Bool {
        if sawJFIF { return true }
        if let adobeTransform { return adobeTransform != 0 }
        let ids = frame.components.map(\.id)
        return ids != [0x52, 0x47, 0x42]  // 'R', 'G', 'B'
    }

    /// Dequantises and inverse-transforms the blocks of one component that hold samples.
    private func inverseTransform(_ component: JPEGComponent, offset: Int, quantization: [Int32]) -> JPEGPlane {
        let blocksWide = component.usedBlocksPerLine, blocksHigh = component.usedBlocksPerColumn
        let stride = blocksWide * 8
        var samples = [UInt8](repeating: 0, count: stride * blocksHigh * 8)
        coefficients.withUnsafeBufferPointer { coefficientBuffer in
            quantization.withUnsafeBufferPointer { quantBuffer in
                samples.withUnsafeMutableBufferPointer { sampleBuffer in
                    guard let coefficientBase = coefficientBuffer.baseAddress, let quant = quantBuffer.baseAddress,
                          let out = sampleBuffer.baseAddress else { return }
                    let kernels = Kernels.selected
                    for blockRow in 0..<blocksHigh {
                        kernels.inverseDCT(coefficientBase + offset + blockRow * component.blocksPerLine * 64,
                                           blocks: blocksWide, quantization: quant,
                                           output: out + blockRow * 8 * stride, stride: stride)
                    }
                }
            }
        }
        return JPEGPlane(samples: samples, width: component.width, height: component.height, stride: stride)
    }
}
