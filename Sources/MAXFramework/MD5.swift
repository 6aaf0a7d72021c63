import Foundation

/// MD5 (RFC 1321), streaming. Ours because CryptoKit is absent on Linux; used only to check
/// assets against `md5sums.txt` as `md5sum -c` does, never for security.
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    /// Bytes waiting for a full 64-byte block.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    /// Per-round left-rotation amounts (RFC 1321 §3.4).
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// floor(abs(sin(i + 1)) * 2^32), the table T of RFC 1321.
    private static let sines: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

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
        finalize().map { String(format: "%02x", $0) }.joined()
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

    /// One 64-byte block (RFC 1321 §3.4); all arithmetic wraps modulo 2^32. The four rounds are
    /// four loops over plain locals, so no step decides which round it is in.
    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        @inline(__always) func word(_ index: Int) -> UInt32 {
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
        }
        @inline(__always) func rotated(_ value: UInt32, _ shift: UInt32) -> UInt32 { (value << shift) | (value >> (32 &- shift)) }
        var (a, b, c, d) = state
        MD5.sines.withUnsafeBufferPointer { sines in
            MD5.shifts.withUnsafeBufferPointer { shifts in
                for index in 0..<16 {
                    let sum = ((b & c) | (~b & d)) &+ a &+ sines[index] &+ word(index)
                    (a, d, c) = (d, c, b)
                    b = b &+ rotated(sum, shifts[index])
                }
                for index in 16..<32 {
                    let sum = ((d & b) | (~d & c)) &+ a &+ sines[index] &+ word((5 &* index &+ 1) & 15)
                    (a, d, c) = (d, c, b)
                    b = b &+ rotated(sum, shifts[index])
                }
                for index in 32..<48 {
                    let sum = (b ^ c ^ d) &+ a &+ sines[index] &+ word((3 &* index &+ 5) & 15)
                    (a, d, c) = (d, c, b)
                    b = b &+ rotated(sum, shifts[index])
                }
                for index in 48..<64 {
                    let sum = (c ^ (b | ~d)) &+ a &+ sines[index] &+ word((7 &* index) & 15)
                    (a, d, c) = (d, c, b)
                    b = b &+ rotated(sum, shifts[index])
                }
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
