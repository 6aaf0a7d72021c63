/// Reads a deflate bit stream: bits are consumed least-significant first from bytes in order
/// (RFC 1951 section 3.1.1).
///
/// Up to 64 bits are kept in `buffer`; `refill()` tops it up with one unaligned 8-byte load when
/// the input has room, so the decoder's hot loop touches memory once per symbol. Bits above
/// `count` are either zero or already the next input bits (a refill may load part of the byte at
/// `position`; ORing the same bits in again later changes nothing). Only the low `count` bits are
/// ever trusted: the caller detects truncation by comparing a code's length with `count`.
struct InputBitStream {
    private let bytes: UnsafeRawBufferPointer
    /// Index of the next byte not yet moved into `buffer`.
    private(set) var position = 0
    private(set) var buffer: UInt64 = 0
    private(set) var count = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Fills the buffer to at least 56 bits, or with everything left in the input.
    @inline(__always)
    mutating func refill() {
        guard count <= 56 else { return }
        if position + 8 <= bytes.count, let base = bytes.baseAddress {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            buffer |= word &<< UInt64(count)
            position &+= (63 &- count) &>> 3
            count |= 56
        } else {
            while count <= 56 && position < bytes.count {
                buffer |= UInt64(bytes[position]) &<< UInt64(count)
                position += 1
                count += 8
            }
        }
    }

    /// Drops `n` bits; the caller has checked `n <= count`.
    @inline(__always)
    mutating func consume(_ n: Int) {
        buffer = buffer &>> UInt64(n)
        count -= n
    }

    /// Reads an `n`-bit little-endian value (n <= 32).
    @inline(__always)
    mutating func read(_ n: Int, _ what: @autoclosure () -> String) throws -> Int {
        if count < n { refill() }
        guard count >= n else { throw CompressionError.truncatedInput("input ended inside \(what())") }
        let value = Int(truncatingIfNeeded: buffer & ((1 &<< UInt64(n)) &- 1))
        consume(n)
        return value
    }

    /// Skips to the next byte boundary (stored blocks and the zlib trailer start there).
    mutating func alignToByte() {
        consume(count & 7)
    }

    /// Bytes consumed so far, counting a partly read byte as consumed.
    var bytesConsumed: Int { position - count / 8 }

    /// Input bytes not yet consumed (after `alignToByte`).
    var remainingByteCount: Int { bytes.count - bytesConsumed }

    /// Hands `n` whole bytes (at a byte boundary) to `body`, e.g. to copy a stored block.
    /// Returns false if the input has fewer than `n` bytes left.
    mutating func takeBytes(_ n: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        let start = bytesConsumed
        guard n >= 0, n <= bytes.count - start else { return false }
        body(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + n)]))
        position = start + n
        buffer = 0
        count = 0
        return true
    }
}
