/// Small vector helpers shared by the kernels. The kernels work on 8-lane float vectors: one AVX2
/// register on x86-64 (Package.swift builds this module for x86-64-v3), two NEON registers on arm64.

typealias Vec8 = SIMD8<Float>

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func store8(_ value: Vec8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vec8.self)
}

/// `accumulator += a * b`. Fused (one rounding) where the CPU has FMA in the build: x86-64-v3 and
/// arm64. Other targets take the unfused form, because there `addProduct` would call libm's `fmaf`
/// once per lane.
@inline(__always)
func multiplyAdd(_ accumulator: inout Vec8, _ a: Vec8, _ b: Vec8) {
    #if arch(x86_64) || arch(arm64)
    accumulator.addProduct(a, b)
    #else
    accumulator += a * b
    #endif
}

/// A float buffer with a fixed address, 64-byte aligned, freed with its owner. Kernels take raw
/// pointers into it; the owning object keeps it alive.
final class AlignedBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = max(count, 0)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(self.count, 16) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(self.count, 16))
        pointer.initialize(repeating: 0, count: max(self.count, 16))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// Lane-wise maximum and minimum as compare + blend. (The standard library's generic
/// `pointwiseMax` goes lane by lane through `Swift.max`.)
@inline(__always)
func lanewiseMax(_ a: Vec8, _ b: Vec8) -> Vec8 { a.replacing(with: b, where: a .< b) }

@inline(__always)
func lanewiseMin(_ a: Vec8, _ b: Vec8) -> Vec8 { a.replacing(with: b, where: b .< a) }
