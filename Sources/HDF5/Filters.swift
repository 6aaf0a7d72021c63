import Compression

/// The filter pipeline message (section IV.A.2.l) and the filters this reader undoes:
/// deflate, shuffle and Fletcher-32. Chunks pass through the pipeline's filters in reverse.
struct FilterPipeline: Equatable {
    struct Filter: Equatable {
        let id: Int
        let name: String
        /// Bit 0: optional (the writer may have skipped it for a chunk, noted in the chunk's mask).
        let flags: UInt16
        let clientData: [UInt32]
    }

    static let deflate = 1, shuffle = 2, fletcher32 = 3, szip = 4, nbit = 5, scaleOffset = 6

    let filters: [Filter]

    static let empty = FilterPipeline(filters: [])

    static func parse(_ cursor: inout ByteCursor) throws -> FilterPipeline {
        let version = try cursor.u8()
        guard version == 1 || version == 2 else { throw HDF5Error.unsupported("filter pipeline version \(version)") }
        let count = Int(try cursor.u8())
        guard count <= 32 else { throw HDF5Error.corrupt("filter pipeline with \(count) filters") }
        if version == 1 { try cursor.skip(6) }
        var filters: [Filter] = []
        for _ in 0..<count {
            let id = Int(try cursor.u16())
            let nameLength = version == 1 || id >= 256 ? Int(try cursor.u16()) : 0
            let flags = try cursor.u16()
            let valueCount = Int(try cursor.u16())
            var name = ""
            if nameLength > 0 {
                let bytes = try cursor.take(version == 1 ? (nameLength + 7) / 8 * 8 : nameLength)
                name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            var values: [UInt32] = []
            for _ in 0..<valueCount { values.append(try cursor.u32()) }
            if version == 1 && valueCount % 2 == 1 { try cursor.skip(4) }
            filters.append(Filter(id: id, name: name, flags: flags, clientData: values))
        }
        return FilterPipeline(filters: filters)
    }

    /// Undoes the filters on one stored chunk. `mask` bit i set means filter i was skipped.
    /// `expectedSize` bounds decompression so a hostile chunk cannot inflate without limit.
    func decode(_ stored: ArraySlice<UInt8>, mask: UInt32, expectedSize: Int) throws -> [UInt8] {
        var data = Array(stored)
        for (index, filter) in filters.enumerated().reversed() {
            if index < 32, mask & (UInt32(1) << UInt32(index)) != 0 { continue }
            switch filter.id {
            case Self.deflate:
                data = try DeflateFilter.inflate(data, maxOutputBytes: expectedSize)
            case Self.shuffle:
                let elementSize = Int(filter.clientData.first ?? 1)
                data = Self.unshuffle(data, elementSize: elementSize)
            case Self.fletcher32:
                data = try Fletcher32.verifyAndStrip(data)
            default:
                let names = [Self.szip: "szip", Self.nbit: "N-bit", Self.scaleOffset: "scale-offset"]
                let name = names[filter.id] ?? (filter.name.isEmpty ? "filter \(filter.id)" : "filter \(filter.id) ('\(filter.name)')")
                throw HDF5Error.unsupported("\(name) compression is not supported (deflate, shuffle and fletcher32 are)")
            }
        }
        return data
    }

    /// Shuffle stored byte 0 of every element, then byte 1, ...; this puts them back.
    static func unshuffle(_ data: [UInt8], elementSize: Int) -> [UInt8] {
        guard elementSize > 1, data.count >= elementSize else { return data }
        let count = data.count / elementSize
        var output = data  // keeps any trailing partial element as stored
        data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                for byte in 0..<elementSize {
                    let plane = byte * count
                    for element in 0..<count {
                        out[element * elementSize + byte] = input[plane + element]
                    }
                }
            }
        }
        return output
    }
}

/// HDF5's Fletcher-32: sums over big-endian 16-bit words, stored after the data.
enum Fletcher32 {
    static func checksum<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8, C.Index == Int {
        var sum1: UInt32 = 0
        var sum2: UInt32 = 0
        var index = data.startIndex
        var words = data.count / 2
        while words > 0 {
            // 360 words keep the sums below 2^32 before folding.
            let block = min(words, 360)
            words -= block
            for _ in 0..<block {
                sum1 = sum1 &+ (UInt32(data[index]) << 8 | UInt32(data[index + 1]))
                sum2 = sum2 &+ sum1
                index += 2
            }
            sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
            sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
        }
        if data.count % 2 == 1 {
            sum1 = sum1 &+ UInt32(data[index]) << 8
            sum2 = sum2 &+ sum1
            sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
            sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
        }
        sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
        sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
        return sum2 << 16 | sum1
    }

    static func verifyAndStrip(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 4 else { throw HDF5Error.corrupt("chunk too short for its Fletcher-32 checksum") }
        let body = data.count - 4
        let stored = UInt32(data[body]) | UInt32(data[body + 1]) << 8 | UInt32(data[body + 2]) << 16 | UInt32(data[body + 3]) << 24
        let computed = checksum(data[0..<body])
        // Old library versions wrote the value byte-swapped; accept that spelling too.
        guard stored == computed || stored == computed.byteSwapped else {
            throw HDF5Error(.checksumMismatch, "chunk Fletcher-32 checksum mismatch: the data is damaged")
        }
        return Array(data[0..<body])
    }
}

/// The deflate filter's decoder: zlib streams, inflated by the Compression module.
enum DeflateFilter {
    static func inflate(_ data: [UInt8], maxOutputBytes: Int) throws -> [UInt8] {
        do {
            // A little slack: a checksum filter applied before deflate adds 4 bytes per chunk.
            return try Inflate.zlib(data, maxOutputBytes: maxOutputBytes + 64)
        } catch {
            throw HDF5Error.corrupt("deflate chunk does not decompress: \(error)")
        }
    }
}
