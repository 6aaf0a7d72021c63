import Foundation

/// A fast, seedable random number generator (xoshiro256**, seeded through SplitMix64) for
/// repeatable runs: the same seed gives the same shuffles, augmentations, dropout masks and
/// initial weights on every machine and with any number of threads.
///
/// Work done in parallel takes its own generator from `SeededRandom(seed:stream:)`, keyed by
/// what it works on (epoch, image index), so results never depend on which thread ran what.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = seed
        state = (SeededRandom.splitMix(&mixer), SeededRandom.splitMix(&mixer),
                 SeededRandom.splitMix(&mixer), SeededRandom.splitMix(&mixer))
    }

    /// An independent generator for one piece of work: `stream` values (e.g. [epoch, image])
    /// are mixed into the seed.
    public init(seed: UInt64, stream: [UInt64]) {
        var key = seed
        for value in stream {
            var mixer = key ^ (value &* 0x9E37_79B9_7F4A_7C15)
            key = SeededRandom.splitMix(&mixer)
        }
        self.init(seed: key)
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Standard normal (Box-Muller; one value per call).
    public mutating func normal() -> Double {
        var u = unit()
        while u <= 0 { u = unit() }
        let v = unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
