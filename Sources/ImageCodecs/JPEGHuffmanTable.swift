import Foundation

/// A Huffman table from a DHT segment (ITU T.81 annex C), arranged for fast decoding: codes of
/// up to `lookupBits` bits resolve with one table look-up, longer ones by canonical code ranges.
/// Immutable once built, so one table serves any number of decodes at once (see
/// `JPEGHuffmanTableCache`).
final class JPEGHuffmanTable: @unchecked Sendable {
    static let lookupBits = 9
    private static let lookupSize = 1 << lookupBits

    /// Indexed by the next `lookupBits` bits: `length << 8 | symbol`, or 0 when the code is longer.
    /// A raw buffer owned by this table (freed in deinit) so the hot loop reads it without
    /// bounds checks: every index is a `lookupBits`-bit number, always in range.
    let lookup: UnsafeMutablePointer<UInt16>
    /// Indexed like `lookup`, for decoding AC coefficients: a code and the value bits after it
    /// that both fit in the `lookupBits` bits, decoded ahead: `value << 16 | run << 8 | bits
    /// used`, or 0. Most coefficients of a photograph or a scanned digit are small and take one
    /// look-up this way (libjpeg-turbo's "fast AC" table). Built for every table (a DHT's class
    /// does not change its codes); a DC table's is never read.
    let valueLookup: UnsafeMutablePointer<Int32>
    /// For each code length 1...16: the largest code of that length (-1 when there is none),
    /// and the offset that turns a code of that length into an index into `symbols`.
    private let maxCode: [Int32]
    private let symbolOffset: [Int32]
    private let symbols: [UInt8]

    /// Builds the table from the 16 code-length counts and the symbols in code order.
    /// Refuses counts that describe more codes than fit (as libjpeg does, the all-ones code of
    /// each length included).
    init(counts: UnsafeBufferPointer<UInt8>, symbols: UnsafeBufferPointer<UInt8>) throws {
        // Validate before allocating: a class initialiser that throws part-way never runs deinit.
        var code = 0, symbolIndex = 0
        for length in 1...16 {
            let count = Int(counts[length - 1])
            guard code + count < 1 << length, symbolIndex + count <= symbols.count else {
                throw JPEGError.malformedSegment(marker: "DHT", reason: "its code-length counts describe more codes than fit in \(length) bits")
            }
            code = (code + count) << 1
            symbolIndex += count
        }

        lookup = UnsafeMutablePointer<UInt16>.allocate(capacity: Self.lookupSize)
        lookup.initialize(repeating: 0, count: Self.lookupSize)
        self.symbols = Array(symbols)
        var maxCode = [Int32](repeating: -1, count: 17)
        var symbolOffset = [Int32](repeating: 0, count: 17)
        code = 0
        symbolIndex = 0
        for length in 1...16 {
            let count = Int(counts[length - 1])
            symbolOffset[length] = Int32(symbolIndex - code)
            if length <= Self.lookupBits {
                let shift = Self.lookupBits - length
                for _ in 0..<count {
                    let entry = UInt16(length << 8) | UInt16(symbols[symbolIndex])
                    (lookup + (code << shift)).update(repeating: entry, count: 1 << shift)
                    code += 1
                    symbolIndex += 1
                }
            } else {
                code += count
                symbolIndex += count
            }
            if count > 0 { maxCode[length] = Int32(code - 1) }
            code <<= 1
        }
        self.maxCode = maxCode
        self.symbolOffset = symbolOffset
        valueLookup = Self.makeValueLookup(lookup)
    }

    /// `valueLookup` from the finished `lookup`: for each `lookupBits`-bit prefix whose code of
    /// length L codes a non-zero coefficient of size s (run r) with L + s <= `lookupBits`, the
    /// value those s bits code (T.81 F.2.2.1) with r and L + s.
    private static func makeValueLookup(_ lookup: UnsafeMutablePointer<UInt16>) -> UnsafeMutablePointer<Int32> {
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: lookupSize)
        for index in 0..<lookupSize {
            let entry = Int(lookup[index])
            let length = entry >> 8, run = (entry >> 4) & 15, size = entry & 15
            guard entry != 0, size != 0, length + size <= lookupBits else {
                table[index] = 0
                continue
            }
            let raw = (index >> (lookupBits - length - size)) & ((1 << size) - 1)
            let value = raw < 1 << (size - 1) ? raw - (1 << size) + 1 : raw
            table[index] = Int32(value) << 16 | Int32(run << 8 | (length + size))
        }
        return table
    }

    deinit {
        lookup.deallocate()
        valueLookup.deallocate()
    }

    /// The symbol of a code longer than `lookupBits`, given the next 16 bits (MSB first);
    /// returns its length too, or nil when the bits are no code of this table.
    func decodeLong(next16Bits bits: UInt32) -> (symbol: Int, length: Int)? {
        for length in (Self.lookupBits + 1)...16 {
            let code = Int32(bits >> UInt32(16 - length))
            if code <= maxCode[length] {
                let index = Int(symbolOffset[length] + code)
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
            let counts = try reader.bytes(16)
            let total = counts.reduce(0) { $0 + Int($1) }
            let symbols = try reader.bytes(total)
            let table = try JPEGHuffmanTableCache.shared.table(counts: counts, symbols: symbols)
            if tableClass == 0 { dc[index] = table } else { ac[index] = table }
        }
    }
}

/// The tables built most recently, found again by their DHT bytes. Nearly every encoder
/// (libjpeg and its descendants, cameras, browsers) writes the example tables of T.81 annex K,
/// so a server decoding upload after upload would otherwise build the same four tables, with
/// their look-up arrays, for every image. A few entries, replaced in turn, bound what hostile
/// files can make it hold; a table that fails to build is never stored.
final class JPEGHuffmanTableCache: @unchecked Sendable {
    static let shared = JPEGHuffmanTableCache()
    static let capacity = 8

    private struct Entry {
        /// The 16 counts and the symbols, as the segment has them.
        let key: [UInt8]
        let table: JPEGHuffmanTable
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var nextReplaced = 0

    /// The table for these counts and symbols: a stored one with the same bytes, or a new one.
    func table(counts: UnsafeBufferPointer<UInt8>, symbols: UnsafeBufferPointer<UInt8>) throws -> JPEGHuffmanTable {
        let keyCount = counts.count + symbols.count
        lock.lock()
        for entry in entries where entry.key.count == keyCount {
            let same = entry.key.withUnsafeBufferPointer { key in
                memcmp(key.baseAddress!, counts.baseAddress!, counts.count) == 0
                    && (symbols.isEmpty || memcmp(key.baseAddress! + counts.count, symbols.baseAddress!, symbols.count) == 0)
            }
            if same {
                lock.unlock()
                return entry.table
            }
        }
        lock.unlock()
        let table = try JPEGHuffmanTable(counts: counts, symbols: symbols)
        let entry = Entry(key: Array(counts) + Array(symbols), table: table)
        lock.lock()
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[nextReplaced] = entry
            nextReplaced = (nextReplaced + 1) % Self.capacity
        }
        lock.unlock()
        return table
    }
}
