import Foundation

/// MD5 (RFC 1321), streaming. Ours because CryptoKit is absent on Linux; used only to check
/// assets against `md5sums.txt` as `md5sum -c` does, never for security.
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    /// Bytes waiting for a full 64-byte block.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    /// Adds bytes; whole 64-byte blocks are compressed straight from the buffer.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        totalBytes &+= UInt64(buffer.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            offset = take
            if pending.count == 64 {
                compress(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        while buffer.count - offset >= 64 {
            compress(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 64]))
            offset += 64
        }
        if offset < buffer.count { pending.append(contentsOf: buffer[offset...]) }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The 16-byte digest; the hasher is left as it was, so more data could still follow.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = totalBytes &* 8
        var tail: [UInt8] = [0x80]
        let afterMarker = (copy.pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: afterMarker <= 56 ? 56 - afterMarker : 120 - afterMarker)
        for shift in stride(from: 0, to: 64, by: 8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        copy.totalBytes = 0  // padding is not message data
        tail.withUnsafeBytes { copy.absorbPadding($0) }
        var digest: [UInt8] = []
        for word in [copy.state.0, copy.state.1, copy.state.2, copy.state.3] {
            for shift in stride(from: 0, to: 32, by: 8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    /// The digest as 32 lowercase hex digits, as `md5sum` prints it.
    public func hexDigest() -> String {
        // Not `String(format:)`, which costs ~150k instructions per digest through Foundation.
        let digits = Array("0123456789abcdef".utf8)
        let digest = finalize()
        return String(unsafeUninitializedCapacity: 32) { text in
            for (index, byte) in digest.enumerated() {
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 15)]
            }
            return 32
        }
    }

    public static func hex(of bytes: [UInt8]) -> String {
        var hasher = MD5()
        hasher.update(bytes)
        return hasher.hexDigest()
    }

    /// The digest of a file, read in 1 MiB chunks.
    public static func hex(ofFileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = MD5()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.hexDigest()
    }

    private mutating func absorbPadding(_ buffer: UnsafeRawBufferPointer) {
        let saved = totalBytes
        update(buffer)
        totalBytes = saved
    }

    private mutating func compress(_ block: [UInt8]) {
        block.withUnsafeBytes { compress($0) }
    }

    /// One 64-byte block (RFC 1321 §3.4), its 64 steps written out with their constants, as the
    /// RFC's reference code has them: every rotation is by a constant (one instruction) and no
    /// step looks up a table or an index (measured: 22.6 -> ~8 instructions per byte). All
    /// arithmetic wraps modulo 2^32.
    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        @inline(__always) func word(_ index: Int) -> UInt32 {
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
        }
        @inline(__always) func rotated(_ value: UInt32, _ shift: UInt32) -> UInt32 { (value &<< shift) | (value &>> (32 &- shift)) }
        @inline(__always) func f(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) {
            a = b &+ rotated(a &+ (d ^ (b & (c ^ d))) &+ x &+ t, s)
        }
        @inline(__always) func g(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) {
            a = b &+ rotated(a &+ (c ^ (d & (b ^ c))) &+ x &+ t, s)
        }
        @inline(__always) func h(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) {
            a = b &+ rotated(a &+ (b ^ c ^ d) &+ x &+ t, s)
        }
        @inline(__always) func i(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) {
            a = b &+ rotated(a &+ (c ^ (b | ~d)) &+ x &+ t, s)
        }
        let x0 = word(0)
        let x1 = word(1)
        let x2 = word(2)
        let x3 = word(3)
        let x4 = word(4)
        let x5 = word(5)
        let x6 = word(6)
        let x7 = word(7)
        let x8 = word(8)
        let x9 = word(9)
        let x10 = word(10)
        let x11 = word(11)
        let x12 = word(12)
        let x13 = word(13)
        let x14 = word(14)
        let x15 = word(15)
        var (a, b, c, d) = state
        f(&a, b, c, d, x0, 7, 0xD76AA478)
        f(&d, a, b, c, x1, 12, 0xE8C7B756)
        f(&c, d, a, b, x2, 17, 0x242070DB)
        f(&b, c, d, a, x3, 22, 0xC1BDCEEE)
        f(&a, b, c, d, x4, 7, 0xF57C0FAF)
        f(&d, a, b, c, x5, 12, 0x4787C62A)
        f(&c, d, a, b, x6, 17, 0xA8304613)
        f(&b, c, d, a, x7, 22, 0xFD469501)
        f(&a, b, c, d, x8, 7, 0x698098D8)
        f(&d, a, b, c, x9, 12, 0x8B44F7AF)
        f(&c, d, a, b, x10, 17, 0xFFFF5BB1)
        f(&b, c, d, a, x11, 22, 0x895CD7BE)
        f(&a, b, c, d, x12, 7, 0x6B901122)
        f(&d, a, b, c, x13, 12, 0xFD987193)
        f(&c, d, a, b, x14, 17, 0xA679438E)
        f(&b, c, d, a, x15, 22, 0x49B40821)
        g(&a, b, c, d, x1, 5, 0xF61E2562)
        g(&d, a, b, c, x6, 9, 0xC040B340)
        g(&c, d, a, b, x11, 14, 0x265E5A51)
        g(&b, c, d, a, x0, 20, 0xE9B6C7AA)
        g(&a, b, c, d, x5, 5, 0xD62F105D)
        g(&d, a, b, c, x10, 9, 0x02441453)
        g(&c, d, a, b, x15, 14, 0xD8A1E681)
        g(&b, c, d, a, x4, 20, 0xE7D3FBC8)
        g(&a, b, c, d, x9, 5, 0x21E1CDE6)
        g(&d, a, b, c, x14, 9, 0xC33707D6)
        g(&c, d, a, b, x3, 14, 0xF4D50D87)
        g(&b, c, d, a, x8, 20, 0x455A14ED)
        g(&a, b, c, d, x13, 5, 0xA9E3E905)
        g(&d, a, b, c, x2, 9, 0xFCEFA3F8)
        g(&c, d, a, b, x7, 14, 0x676F02D9)
        g(&b, c, d, a, x12, 20, 0x8D2A4C8A)
        h(&a, b, c, d, x5, 4, 0xFFFA3942)
        h(&d, a, b, c, x8, 11, 0x8771F681)
        h(&c, d, a, b, x11, 16, 0x6D9D6122)
        h(&b, c, d, a, x14, 23, 0xFDE5380C)
        h(&a, b, c, d, x1, 4, 0xA4BEEA44)
        h(&d, a, b, c, x4, 11, 0x4BDECFA9)
        h(&c, d, a, b, x7, 16, 0xF6BB4B60)
        h(&b, c, d, a, x10, 23, 0xBEBFBC70)
        h(&a, b, c, d, x13, 4, 0x289B7EC6)
        h(&d, a, b, c, x0, 11, 0xEAA127FA)
        h(&c, d, a, b, x3, 16, 0xD4EF3085)
        h(&b, c, d, a, x6, 23, 0x04881D05)
        h(&a, b, c, d, x9, 4, 0xD9D4D039)
        h(&d, a, b, c, x12, 11, 0xE6DB99E5)
        h(&c, d, a, b, x15, 16, 0x1FA27CF8)
        h(&b, c, d, a, x2, 23, 0xC4AC5665)
        i(&a, b, c, d, x0, 6, 0xF4292244)
        i(&d, a, b, c, x7, 10, 0x432AFF97)
        i(&c, d, a, b, x14, 15, 0xAB9423A7)
        i(&b, c, d, a, x5, 21, 0xFC93A039)
        i(&a, b, c, d, x12, 6, 0x655B59C3)
        i(&d, a, b, c, x3, 10, 0x8F0CCC92)
        i(&c, d, a, b, x10, 15, 0xFFEFF47D)
        i(&b, c, d, a, x1, 21, 0x85845DD1)
        i(&a, b, c, d, x8, 6, 0x6FA87E4F)
        i(&d, a, b, c, x15, 10, 0xFE2CE6E0)
        i(&c, d, a, b, x6, 15, 0xA3014314)
        i(&b, c, d, a, x13, 21, 0x4E0811A1)
        i(&a, b, c, d, x4, 6, 0xF7537E82)
        i(&d, a, b, c, x11, 10, 0xBD3AF235)
        i(&c, d, a, b, x2, 15, 0x2AD7D2BB)
        i(&b, c, d, a, x9, 21, 0xEB86D391)
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
