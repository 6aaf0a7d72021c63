/// The growing output of one inflate call: a manually managed byte buffer so that literal and
/// match copies in the decoder's hot loop are plain pointer writes.
///
/// Capacity never exceeds `limit`; a stream that would produce more fails with
/// `outputLimitExceeded` before anything beyond the limit is allocated. The owner must call
/// `deallocate()` (the decoder does so with `defer`).
///
/// A streaming output (`init(streamingChunk:limit:sink:)`) instead holds a window: when full, it
/// hands all but the last 32 KiB (the farthest a match may reach back) to its sink and slides.
struct InflateOutput {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int
    let limit: Int
    /// Bytes already handed to `sink` (and no longer in the buffer).
    private(set) var delivered = 0
    private let sink: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Deflate's window: how far back a match may copy from.
    static let window = 32 * 1024

    init(initialCapacity: Int, limit: Int) {
        self.limit = max(0, limit)
        self.capacity = max(1, min(initialCapacity, self.limit))
        self.base = .allocate(capacity: capacity)
        self.sink = nil
    }

    init(streamingChunk chunk: Int, limit: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.limit = max(0, limit)
        self.capacity = InflateOutput.window + max(4096, chunk)
        self.base = .allocate(capacity: capacity)
        self.sink = sink
    }

    /// Hands what is left to the sink (streaming outputs; a no-op otherwise).
    mutating func finish() throws {
        guard let sink, count > 0 else { return }
        try sink(UnsafeRawBufferPointer(start: base, count: count))
        delivered += count
        count = 0
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
        guard needed >= 0, needed <= limit - delivered else { throw CompressionError.outputLimitExceeded(limit: limit) }
        if let sink, count > InflateOutput.window {
            let handed = count - InflateOutput.window
            try sink(UnsafeRawBufferPointer(start: base, count: handed))
            base.update(from: base + handed, count: InflateOutput.window)  // may overlap; copies forward
            delivered += handed
            count = InflateOutput.window
            if needed - handed <= capacity { return }
            return try grow(toHold: needed - handed)
        }
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
