/// The classes of CPU the kernels are compiled for. Every module but the kernels is built for
/// the baseline of its architecture; the kernel sources are compiled once per class, and one
/// compilation is chosen at start-up (see the Kernels module).
public enum CPUClass: String, CaseIterable, Sendable, CustomStringConvertible {
    /// x86-64-v4: AVX-512 (F, BW, CD, DQ, VL) on top of v3. 16-float vectors.
    case avx512
    /// x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE. 8-float vectors.
    case avx2
    /// The architecture's baseline (SSE2 on x86-64; NEON with FMA on arm64). 4-float vectors.
    case portable

    public var description: String { rawValue }

    /// The /proc/cpuinfo flags the class's compiled code may use, beyond the x86-64 baseline
    /// (empty for portable). The kernel clears a flag when the OS does not save that register
    /// state, so these flags also say the OS supports the registers.
    public var requiredFlags: [String] {
        switch self {
        case .portable:
            return []
        case .avx2:
            // x86-64-v2 (cx16, lahf_lm, popcnt, pni = SSE3, SSE4.1/4.2, SSSE3) and v3's additions
            // (abm is how Linux names LZCNT).
            return ["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
                    "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]
        case .avx512:
            return CPUClass.avx2.requiredFlags + ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        }
    }

    /// Floats in one vector register of the class's kernels.
    public var vectorWidth: Int {
        switch self {
        case .avx512: return 16
        case .avx2: return 8
        case .portable: return 4
        }
    }
}
