#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A float buffer with a fixed address, 64-byte aligned (one cache line, one AVX-512 vector),
/// zero-filled, freed with its owner. Kernels take raw pointers into it; the owner keeps it alive.
///
/// Buffers of `mappedBytes` or more (a model's workspace, large weights) are mapped on their
/// own rather than taken from the heap: the kernel hands out zeroed pages as they are first
/// touched, so an activation area a prediction never reaches costs no resident memory, and
/// freeing the buffer returns its memory to the system at once instead of leaving a hole in a
/// heap arena that only `malloc_trim` would give back.
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Bytes mapped for this buffer, or 0 when it came from the heap.
    private let mappedLength: Int

    /// Size from which a buffer is mapped on its own.
    public static let mappedBytes = 256 << 10

    public init(count: Int) {
        self.count = max(count, 0)
        // At least one vector's worth, so a kernel may load a full vector from an empty buffer.
        let capacity = max(self.count, 16)
        let bytes = capacity * MemoryLayout<Float>.stride
        if bytes >= AlignedBuffer.mappedBytes, let mapped = AlignedBuffer.map(bytes: bytes) {
            mappedLength = bytes
            pointer = mapped.bindMemory(to: Float.self, capacity: capacity)  // pages arrive zeroed
        } else {
            mappedLength = 0
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            pointer = raw.bindMemory(to: Float.self, capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    /// Whether the buffer was mapped on its own (for tests).
    public var isMapped: Bool { mappedLength > 0 }

    deinit {
        if mappedLength > 0 {
            munmap(UnsafeMutableRawPointer(pointer), mappedLength)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    /// Anonymous private pages (page-aligned, so 64-byte aligned); nil if the system refuses,
    /// and the heap is tried instead.
    private static func map(bytes: Int) -> UnsafeMutableRawPointer? {
        let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else { return nil }
        return address
    }
}
