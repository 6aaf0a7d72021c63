// The vector type and helpers every kernel is written in. This file, like every file in
// Sources/KernelSources, is compiled three times (see Package.swift): with KERNELS_AVX512 and
// -march=x86-64-v4, with KERNELS_AVX2 and -march=x86-64-v3, and with neither for the baseline.
// A vector is one register of the class: 16 floats (zmm), 8 (ymm) or 4 (xmm / NEON q).
import KernelInterface

#if KERNELS_AVX512
typealias Vec = SIMD16<Float>
let compiledClass = CPUClass.avx512
#elseif KERNELS_AVX2
typealias Vec = SIMD8<Float>
let compiledClass = CPUClass.avx2
#else
typealias Vec = SIMD4<Float>
let compiledClass = CPUClass.portable
#endif

/// Floats per vector.
let lanes = Vec.scalarCount
/// Columns of a packed weight panel: two vectors, so a register tile row is two accumulators.
let panelWidth = 2 * Vec.scalarCount

@inline(__always)
func load(_ pointer: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vec.self)
}

@inline(__always)
func store(_ value: Vec, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vec.self)
}

/// `accumulator += a * b`, fused (one rounding) where the class has FMA: the x86-64 baseline
/// does not, and there `addProduct` would call libm's `fmaf` once per lane (~45x slower).
@inline(__always)
func multiplyAdd(_ accumulator: inout Vec, _ a: Vec, _ b: Vec) {
    #if KERNELS_AVX512 || KERNELS_AVX2 || arch(arm64)
    accumulator.addProduct(a, b)
    #else
    accumulator += a * b
    #endif
}

/// Lane-wise maximum and minimum as compare + blend (the standard library's generic
/// `pointwiseMax` goes lane by lane through `Swift.max`).
@inline(__always)
func lanewiseMax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: a .< b) }

@inline(__always)
func lanewiseMin(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .< a) }

extension Epilogue {
    /// The clamp that implements the epilogue: results become min(max(x, lower), upper).
    @inline(__always)
    var bounds: (lower: Vec, upper: Vec) {
        switch self {
        case .none: return (Vec(repeating: -.infinity), Vec(repeating: .infinity))
        case .relu: return (Vec(repeating: 0), Vec(repeating: .infinity))
        case .relu6: return (Vec(repeating: 0), Vec(repeating: 6))
        }
    }
}

/// Stores the first `count` lanes of a vector (0 <= count <= its width) as whole pieces of half,
/// quarter... width: the part-filled last vector of a row of 24 or 40 channels is one or two
/// stores, not a store per lane. Nothing past `count` is written.
@inline(__always)
func storePrefix(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 16 { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self); return }
    if count >= 8 {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.lowHalf, as: SIMD8<Float>.self)
        storePrefix(value.highHalf, pointer + 8, count: count &- 8)
    } else {
        storePrefix(value.lowHalf, pointer, count: count)
    }
}

@inline(__always)
func storePrefix(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 8 { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self); return }
    if count >= 4 {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.lowHalf, as: SIMD4<Float>.self)
        storePrefix(value.highHalf, pointer + 4, count: count &- 4)
    } else {
        storePrefix(value.lowHalf, pointer, count: count)
    }
}

@inline(__always)
func storePrefix(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 4 { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self); return }
    if count >= 2 {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.lowHalf, as: SIMD2<Float>.self)
        if count == 3 { pointer[2] = value[2] }
    } else if count == 1 {
        pointer[0] = value[0]
    }
}
