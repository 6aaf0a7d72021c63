// YCbCr -> RGB (JFIF / ITU-R BT.601 full range) in libjpeg-turbo's 16-bit fixed point, so that
// rounding matches it exactly. At the x86-64 baseline (no 32-bit lane multiply) the loop takes
// about 3.7x the instructions of the AVX2 build, which is why it is a kernel.

private let scaleBits = 16
private func fixed(_ x: Double) -> Int32 { Int32(x * Double(1 << scaleBits) + 0.5) }

extension Backend {
    /// libjpeg-turbo keeps these products in 256-entry tables; computing them gives the same
    /// integers and lets the compiler vectorise the loop (look-ups would need gathers).
    public static func yCbCrToRGB(_ luma: UnsafePointer<UInt8>, _ blueDifference: UnsafePointer<UInt8>,
                                  _ redDifference: UnsafePointer<UInt8>, count: Int, rgb out: UnsafeMutablePointer<UInt8>) {
        let rFromCr = fixed(1.40200), bFromCb = fixed(1.77200)
        let gFromCr = -fixed(0.71414), gFromCb = -fixed(0.34414)
        let rounding = Int32(1 << (scaleBits - 1))
        for x in 0..<count {
            let y = Int32(luma[x]), cb = Int32(blueDifference[x]) &- 128, cr = Int32(redDifference[x]) &- 128
            out[3 &* x] = clampSample(y &+ ((rFromCr &* cr &+ rounding) &>> 16))
            out[3 &* x &+ 1] = clampSample(y &+ ((gFromCb &* cb &+ rounding &+ gFromCr &* cr) &>> 16))
            out[3 &* x &+ 2] = clampSample(y &+ ((bFromCb &* cb &+ rounding) &>> 16))
        }
    }
}

@inline(__always)
private func clampSample(_ value: Int32) -> UInt8 {
    UInt8(truncatingIfNeeded: min(max(value, 0), 255))
}
