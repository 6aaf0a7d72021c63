/// Reads entropy-coded JPEG data bit by bit: removes the 0x00 stuffed after each 0xFF data
/// byte and stops at the next marker, after which it supplies zero bits (as libjpeg does) while
/// remembering that it did, so that running out of real data is detected rather than decoded.
struct JPEGBitReader {
    private let data: UnsafeBufferPointer<UInt8>
    /// Next byte to read; once a marker is reached, the position of its 0xFF.
    private(set) var position: Int
    /// Unread bits, most significant first.
    private var buffer: UInt64 = 0
    private var bitCount = 0
    /// Zero bits appended after the data ended; those at the end of `buffer` are not real.
    private var paddingBits = 0
    private var atMarker = false
    /// The data ran out without a marker: the file is cut short.
    private(set) var reachedEndOfFile = false

    init(data: UnsafeBufferPointer<UInt8>, position: Int) {
        self.data = data
        self.position = position
    }

    /// True once a decoded code used bits that lie beyond the end of the entropy-coded data.
    var consumedPadding: Bool { paddingBits > bitCount }

    /// Tops the buffer up to at least 57 bits.
    @inline(never)
    private mutating func refill() {
        // Eight bytes ahead without a 0xFF among them (the usual case): as many whole bytes as
        // fit go in at once, exactly those the byte loop below would have taken.
        if !atMarker, bitCount <= 56, position + 8 <= data.count, let base = data.baseAddress {
            let word = UInt64(bigEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let inverted = ~word  // a 0xFF byte of `word` is a zero byte here
            if (inverted &- 0x0101_0101_0101_0101) & ~inverted & 0x8080_8080_8080_8080 == 0 {
                let taken = (64 - bitCount) >> 3  // 1...8
                let bytes = taken == 8 ? word : word &>> UInt64(64 - 8 * taken)
                buffer |= bytes &<< UInt64(64 - bitCount - 8 * taken)
                bitCount += 8 * taken
                position += taken
                return
            }
        }
        while bitCount <= 56 {
            if !atMarker, position < data.count {
                let byte = data[position]
                if byte != 0xFF {
                    position += 1
                    buffer |= UInt64(byte) &<< UInt64(56 - bitCount)
                    bitCount += 8
                    continue
                }
            }
            appendSpecialByte()
        }
    }

    /// Appends the byte at `position` when it is 0xFF (stuffed data, fill or a marker) or when
    /// the data has ended: then a zero byte of padding.
    private mutating func appendSpecialByte() {
        var byte: UInt8 = 0
        if atMarker {
            paddingBits += 8
        } else if position >= data.count {
            atMarker = true
            reachedEndOfFile = true
            paddingBits += 8
        } else {
            // 0xFF 0x00 is a data byte 0xFF; extra 0xFF are fill; anything else is a marker.
            var next = position + 1
            while next < data.count, data[next] == 0xFF { next += 1 }
            if next >= data.count {
                atMarker = true
                reachedEndOfFile = true
                paddingBits += 8
            } else if data[next] == 0 {
                byte = 0xFF
                position = next + 1
            } else {
                position = next - 1
                atMarker = true
                paddingBits += 8
            }
        }
        buffer |= UInt64(byte) &<< UInt64(56 - bitCount)
        bitCount += 8
    }

    /// The next 16 bits without consuming them.
    @inline(__always)
    mutating func peek16() -> UInt32 {
        if bitCount < 16 { refill() }
        return UInt32(truncatingIfNeeded: buffer &>> 48)
    }

    @inline(__always)
    mutating func skip(_ count: Int) {
        buffer = buffer &<< UInt64(count)
        bitCount -= count
    }

    /// `count` (0...16) bits as an unsigned number.
    @inline(__always)
    mutating func bits(_ count: Int) -> Int32 {
        if count == 0 { return 0 }
        if bitCount < count { refill() }
        let value = Int32(truncatingIfNeeded: buffer &>> UInt64(64 - count))
        skip(count)
        return value
    }

    @inline(__always)
    mutating func bit() -> Bool {
        if bitCount < 1 { refill() }
        let set = buffer & (1 << 63) != 0
        skip(1)
        return set
    }

    /// The next Huffman-coded symbol, or -1 when the bits are no code of `table`.
    @inline(__always)
    mutating func symbol(_ table: JPEGHuffmanTable) -> Int {
        let next = peek16()
        let entry = table.lookup[Int(next &>> UInt32(16 - JPEGHuffmanTable.lookupBits))]
        if entry != 0 {
            skip(Int(entry &>> 8))
            return Int(entry & 0xFF)
        }
        return longSymbol(table, next16Bits: next)
    }

    @inline(never)
    private mutating func longSymbol(_ table: JPEGHuffmanTable, next16Bits next: UInt32) -> Int {
        guard let (symbol, length) = table.decodeLong(next16Bits: next) else { return -1 }
        skip(length)
        return symbol
    }

    /// Reads `size` (0...16) bits and maps them to the signed value they code (T.81 F.2.2.1).
    @inline(__always)
    mutating func signedValue(size: Int) -> Int32 {
        if size == 0 { return 0 }
        let raw = bits(size)
        return raw < Int32(1) &<< Int32(size - 1) ? raw &- (Int32(1) &<< Int32(size)) &+ 1 : raw
    }

    /// Drops buffered bits and any bytes before the next marker, and returns that marker's
    /// code (nil at the end of the data) with the position of its 0xFF.
    mutating func seekMarker() -> (code: UInt8, position: Int)? {
        buffer = 0
        bitCount = 0
        paddingBits = 0
        atMarker = false
        var index = position
        while index + 1 < data.count {
            if data[index] == 0xFF, data[index + 1] != 0, data[index + 1] != 0xFF {
                position = index
                return (data[index + 1], index)
            }
            index += 1
        }
        position = data.count
        return nil
    }

    /// Continues reading after a restart marker at `markerPosition`.
    mutating func resume(after markerPosition: Int) {
        position = markerPosition + 2
        reachedEndOfFile = false
    }
}
