/// A float buffer with a fixed address, 64-byte aligned (one cache line, one AVX-512 vector),
/// zero-filled, freed with its owner. Kernels take raw pointers into it; the owner keeps it alive.
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = max(count, 0)
        // At least one vector's worth, so a kernel may load a full vector from an empty buffer.
        let capacity = max(self.count, 16)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
