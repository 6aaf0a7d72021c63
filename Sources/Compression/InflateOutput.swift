/// The growing output of one inflate call: a manually managed byte buffer so that literal and
/// match copies in the decoder's hot loop are plain pointer writes.
///
/// Capacity never exceeds `limit`; a stream that would produce more fails with
/// `outputLimitExceeded` before anything beyond the limit is allocated. The owner must call
/// `deallocate()` (the decoder does so with `defer`).
struct InflateOutput {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int
    let limit: Int

    init(initialCapacity: Int, limit: Int) {
        self.limit = max(0, limit)
        self.capacity = max(1, min(initialCapacity, self.limit))
        self.base = .allocate(capacity: capacity)
    }

    func deallocate() {
        base.deallocate()
    }

    /// Makes room for `extra` more bytes, growing geometrically up to the limit.
    @inline(__always)
    mutating func reserve(_ extra: Int) throws {
        if count &+ extra > capacity { try grow(toHold: count &+ extra) }
    }

    private mutating func grow(toHold needed: Int) throws {
        guard needed <= limit, needed >= 0 else { throw CompressionError.outputLimitExceeded(limit: limit) }
        let newCapacity = min(limit, max(needed, capacity &* 2))
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends one byte; room must have been reserved.
    @inline(__always)
    mutating func appendReserved(_ byte: UInt8) {
        base[count] = byte
        count &+= 1
    }

    /// Appends raw bytes, e.g. a stored block.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count &+= bytes.count
    }

    /// Appends `length` bytes copied from `distance` bytes back (which may overlap what is being
    /// written: distance 1 repeats the last byte). Room must have been reserved and the distance
    /// checked against `count`.
    @inline(__always)
    mutating func appendMatchReserved(length: Int, distance: Int) {
        let destination = base + count
        let source = destination - distance
        if distance >= length {
            destination.update(from: source, count: length)
        } else if distance == 1 {
            destination.update(repeating: source.pointee, count: length)
        } else {
            var i = 0
            while i < length {
                destination[i] = source[i]
                i &+= 1
            }
        }
        count &+= length
    }

    /// The bytes written so far, as an array.
    func toArray() -> [UInt8] {
        [UInt8](UnsafeBufferPointer(start: base, count: count))
    }
}
